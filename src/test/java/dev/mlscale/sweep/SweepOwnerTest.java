package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One process owns a sweep: parallel resumes, a killed owner. Real mlscale processes. */
class SweepOwnerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void aKilledOwnerShowsInterruptedAndOfTenParallelResumesExactlyOneRunsIt() throws Exception {
    CliHarness cli = new CliHarness(home);
    Path ran = work.resolve("ran.txt");
    Path release = work.resolve("release");
    Files.writeString(
        work.resolve("wait.py"),
        """
        import os, time
        from mlscale import params, report
        open(%s, "a").write(os.environ["MLSCALE_RUN_ID"] + "\\n")
        while not os.path.exists(%s):
            time.sleep(0.05)
        report(step=1, score=params()["x"])
        """
            .formatted(
                JSON.writeValueAsString(ran.toString()),
                JSON.writeValueAsString(release.toString())));
    Files.writeString(
        work.resolve("job.yaml"),
        "name: wait\ncommand: [python3, wait.py]\nparams: {x: 0}\nresources: {cpu: 100m}\n");
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: owned
            job: job.yaml
            objective: {metric: score, goal: maximize}
            algorithm: grid
            space: {x: {grid: [1, 2, 3, 4]}}
            budget: {max_trials: 4, max_parallel: 2}
            """);
    Process first = cli.start(work.resolve("first.txt"), "sweep", "run", sweep.toString());
    CliHarness.waitUntil(
        "two trials running", () -> Files.exists(ran) && Files.readAllLines(ran).size() == 2);
    JsonNode sweeps = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out());
    assertThat(sweeps).hasSize(1);
    String id = sweeps.get(0).get("sweep").asText();
    assertThat(sweeps.get(0).get("state").asText()).isEqualTo("Running");

    first.destroyForcibly().waitFor(); // kill -9
    JsonNode after = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out()).get(0);
    assertThat(after.get("state").asText()).isEqualTo("Interrupted");
    assertThat(after.get("message").asText())
        .contains("process " + first.pid())
        .contains("is gone")
        .contains("'mlscale sweep resume " + id + "'");
    CliHarness.Result show = cli.run("sweep", "show", id);
    assertThat(show.out()).contains("Interrupted").contains("mlscale sweep resume " + id);

    List<Process> resumes = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      resumes.add(cli.start(work.resolve("resume-" + i + ".txt"), "sweep", "resume", id));
    }
    try {
      tenResumes(cli, resumes, id, ran, release);
    } finally {
      Files.writeString(release, ""); // the jobs end by themselves
      resumes.forEach(Process::destroyForcibly);
    }
  }

  private void tenResumes(CliHarness cli, List<Process> resumes, String id, Path ran, Path release)
      throws Exception {
    org.awaitility.Awaitility.await("all resumes but one giving up")
        .atMost(Duration.ofSeconds(120))
        .until(() -> resumes.stream().filter(Process::isAlive).count() <= 1);
    List<Process> alive = resumes.stream().filter(Process::isAlive).toList();
    assertThat(alive.size()).as("resumes that go on").isEqualTo(1);
    Process winner = alive.get(0);
    for (int i = 0; i < 10; i++) {
      Process p = resumes.get(i);
      if (p != winner) {
        String said = Files.readString(work.resolve("resume-" + i + ".txt"));
        assertThat(p.exitValue()).as(said).isEqualTo(2);
        assertThat(said)
            .contains("sweep " + id + " is already running in process " + winner.pid() + " on ");
      }
    }
    Files.writeString(release, "");
    assertThat(winner.waitFor(120, TimeUnit.SECONDS)).isTrue();
    int w = resumes.indexOf(winner);
    assertThat(winner.exitValue())
        .as(Files.readString(work.resolve("resume-" + w + ".txt")))
        .isZero();

    List<String> lines = Files.readAllLines(ran);
    Set<Integer> numbers = new TreeSet<>();
    Pattern trial = Pattern.compile("-t(\\d+)-");
    for (String l : lines) {
      Matcher m = trial.matcher(l);
      assertThat(m.find()).as(l).isTrue();
      numbers.add(Integer.parseInt(m.group(1)));
    }
    // the two trials that ran when the owner was killed are followed, not started again
    assertThat(lines).as("each trial ran once, the kill and ten resumes included").hasSize(4);
    assertThat(numbers).containsExactly(0, 1, 2, 3);
    JsonNode done = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out()).get(0);
    assertThat(done.get("state").asText()).isEqualTo("Succeeded");
  }
}

package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One process owns a local pipeline run: a killed owner shows Interrupted, and of two resumes one
 * continues it (stopping what the dead owner left running) while the other is refused. Real mlscale
 * processes.
 */
class PipelineOwnerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  @Test
  void aKilledOwnerShowsInterruptedAndOneOfTwoResumesContinuesIt() throws Exception {
    CliHarness cli = new CliHarness(home);
    Path ran = work.resolve("ran.txt");
    Path release = work.resolve("release");
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
            name: owned
            dag:
              - name: a
                command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s; while [ ! -e %2$s ]; do sleep 0.1; done']
              - name: b
                depends: [a]
                command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s']
            """
                .formatted(ran, release));
    Process first = cli.start(work.resolve("first.txt"), "pipeline", "run", p.toString());
    CliHarness.waitUntil(
        "a running", () -> Files.exists(ran) && Files.readAllLines(ran).size() == 1);
    JsonNode runs = JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out());
    String id = runs.get(0).get("id").asText();
    assertThat(runs.get(0).get("phase").asText()).isEqualTo("Running");
    long oldA = JSON.readTree(cli.run("status", id + "-a", "-o", "json").out()).get("pid").asLong();

    first.destroyForcibly().waitFor(); // kill -9: task a's process group lives on
    assertThat(alive(oldA)).as("a's process outlives its owner").isTrue();
    JsonNode after = JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out()).get(0);
    assertThat(after.get("phase").asText()).isEqualTo("Interrupted");
    assertThat(after.get("message").asText())
        .contains("process " + first.pid() + " on ")
        .contains("is gone")
        .contains("'mlscale pipeline resume " + id + "' continues it");
    CliHarness.Result status = cli.run("pipeline", "status", id);
    assertThat(status.out())
        .contains("Interrupted")
        .contains("mlscale pipeline resume " + id)
        .containsPattern("a +Interrupted");
    CliHarness.Result retry = cli.run("pipeline", "retry", id);
    assertThat(retry.exit()).isEqualTo(2);
    assertThat(retry.err()).contains("'mlscale pipeline resume " + id + "' continues it");

    List<Process> resumes = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      resumes.add(cli.start(work.resolve("resume-" + i + ".txt"), "pipeline", "resume", id));
    }
    try {
      CliHarness.waitUntil(
          "one resume refused", () -> resumes.stream().filter(Process::isAlive).count() <= 1);
      Process winner = resumes.stream().filter(Process::isAlive).findFirst().orElseThrow();
      int loser = resumes.get(0) == winner ? 1 : 0;
      String said = Files.readString(work.resolve("resume-" + loser + ".txt"));
      assertThat(resumes.get(loser).exitValue()).as(said).isEqualTo(2);
      assertThat(said)
          .contains(
              "pipeline run " + id + " is already running in process " + winner.pid() + " on ");

      // a's process is followed by the winner, never stopped nor started again
      CliHarness.waitUntil(
          "a followed again",
          () ->
              JSON.readTree(cli.run("pipeline", "status", id, "-o", "json").out())
                  .get("phase")
                  .asText()
                  .equals("Running"));
      assertThat(alive(oldA)).as("the dead owner's task a runs on").isTrue();
      Files.writeString(release, "");
      assertThat(winner.waitFor(120, TimeUnit.SECONDS)).isTrue();
      String winnerSaid = Files.readString(work.resolve("resume-" + (1 - loser) + ".txt"));
      assertThat(winner.exitValue()).as(winnerSaid).isZero();
      assertThat(Files.readAllLines(ran)).as("a ran once").containsExactly(id + "-a", id + "-b");
      JsonNode done = JSON.readTree(cli.run("pipeline", "status", id, "-o", "json").out());
      assertThat(done.get("phase").asText()).isEqualTo("Succeeded");
      assertThat(done.get("tasks").get(0).get("attempt").asInt()).isEqualTo(1);
      assertThat(
              JSON.readTree(cli.run("status", id + "-a", "-o", "json").out()).get("state").asText())
          .isEqualTo("Succeeded");
    } finally {
      Files.writeString(release, "");
      resumes.forEach(Process::destroyForcibly);
    }
  }
}

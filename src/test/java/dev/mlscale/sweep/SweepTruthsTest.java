package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Small truths of sweeps: ls -o json, an empty id, an objective nobody reported. */
class SweepTruthsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void anEmptyIdIsAMistakeNotTheOnlySweepAndAnUnreportedObjectiveNamesNoBest() throws Exception {
    CliHarness cli = new CliHarness(home);
    CliHarness.Result none = cli.run("sweep", "ls", "-o", "json");
    assertThat(none.exit()).as(none.all()).isZero();
    assertThat(JSON.readTree(none.out())).isEmpty();

    Files.writeString(
        work.resolve("job.yaml"),
        "name: quiet\ncommand: [python3, -c, \"print('no metrics')\"]\nparams: {x: 0}\n");
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: quiet
            job: job.yaml
            objective: {metric: score, goal: maximize}
            algorithm: grid
            space: {x: {grid: [1, 2]}}
            budget: {max_trials: 2, max_parallel: 1}
            """);
    CliHarness.Result r = cli.run("sweep", "run", sweep.toString());
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err()).contains("'score' was never reported").doesNotContain("best:");

    JsonNode sweeps = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out());
    assertThat(sweeps).hasSize(1);
    String id = sweeps.get(0).get("sweep").asText();
    assertThat(sweeps.get(0).get("state").asText()).isEqualTo("Failed");
    assertThat(sweeps.get(0).get("trials").asInt()).isEqualTo(2);

    CliHarness.Result show = cli.run("sweep", "show", id);
    assertThat(show.exit()).as(show.all()).isZero();
    assertThat(show.out().lines().filter(l -> l.matches("^\\d+ .*")))
        .hasSize(2)
        .allMatch(l -> l.split("\\s+")[2].equals("-"));
    assertThat(show.all()).doesNotContainIgnoringCase("best");

    for (String[] args :
        new String[][] {{"sweep", "resume", ""}, {"sweep", "show", ""}, {"status", ""}}) {
      CliHarness.Result empty = cli.run(args);
      assertThat(empty.exit()).as(String.join(" ", args) + ": " + empty.all()).isEqualTo(2);
      assertThat(empty.err()).contains("give a");
    }
  }
}

package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pipeline retry on this machine: what succeeded stays, the rest runs again under the same id. */
class PipelineRetryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void retryKeepsWhatSucceededAndTheWorkspaceAndRunsTheRestAgain() throws Exception {
    Path ran = work.resolve("ran.txt");
    Path fixed = work.resolve("fixed");
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
            name: flaky
            params: {word: default}
            dag:
              - name: a
                command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s; echo made-by-a > "$MLSCALE_WORKSPACE/a.txt"']
              - name: b
                depends: [a]
                command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s; test -e %2$s || exit 3; echo "b read $(cat "$MLSCALE_WORKSPACE/a.txt") and ${params.word}"']
              - name: c
                depends: [b]
                command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s']
            on_exit:
              name: tell
              command: [sh, -c, 'echo "$MLSCALE_RUN_ID" >> %1$s; echo "exit sees $MLSCALE_PIPELINE_STATUS"']
            """
                .formatted(ran, fixed));
    CliHarness cli = new CliHarness(home);
    CliHarness.Result first = cli.run("pipeline", "run", p.toString(), "--set", "params.word=set");
    assertThat(first.exit()).as(first.all()).isEqualTo(1);
    String id =
        JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out()).get(0).get("id").asText();
    assertThat(first.err())
        .contains("'mlscale pipeline retry " + id + "' runs what did not succeed again");
    assertThat(Files.readAllLines(ran)).containsExactly(id + "-a", id + "-b", id + "-tell");

    Files.writeString(fixed, "");
    Files.writeString(ran, "");
    CliHarness.Result retried = cli.run("pipeline", "retry", id);
    assertThat(retried.exit()).as(retried.all()).isZero();
    assertThat(retried.err())
        .contains("▶ retrying pipeline " + id)
        .contains("pipeline " + id + " succeeded");
    // a is not run again; b reads a's file from the kept workspace, with the run's --set value
    assertThat(Files.readAllLines(ran))
        .containsExactly(id + "-b-try2", id + "-c", id + "-tell-try2");
    assertThat(retried.out())
        .contains("[b-try2] b read made-by-a and set")
        .contains("[tell-try2] exit sees Succeeded");

    JsonNode view = JSON.readTree(cli.run("pipeline", "status", id, "-o", "json").out());
    assertThat(view.get("phase").asText()).isEqualTo("Succeeded");
    assertThat(view.get("tasks"))
        .extracting(
            t ->
                t.get("name").asText()
                    + "="
                    + t.get("phase").asText()
                    + "/"
                    + t.get("attempt").asInt()
                    + "/"
                    + t.get("ref").asText())
        .containsExactly(
            "a=Succeeded/1/" + id + "-a",
            "b=Succeeded/2/" + id + "-b-try2",
            "c=Succeeded/1/" + id + "-c",
            "tell=Succeeded/2/" + id + "-tell-try2");
    String table = cli.run("pipeline", "status", id).out();
    assertThat(table).containsPattern("TASK +STATE +TRY").containsPattern("b +Succeeded +2 ");
    // the first try's run is still there to look at
    assertThat(
            JSON.readTree(cli.run("status", id + "-b", "-o", "json").out()).get("state").asText())
        .isEqualTo("Failed");

    CliHarness.Result again = cli.run("pipeline", "retry", id);
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err())
        .contains(
            "pipeline run " + id + " is Succeeded; retry runs a Failed or Cancelled run again");
  }

  @Test
  void aSpecThatChangedSinceTheRunIsRefused() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            "name: changes\ndag:\n  - {name: a, command: [sh, -c, 'exit 1']}\n");
    CliHarness cli = new CliHarness(home);
    assertThat(cli.run("pipeline", "run", p.toString()).exit()).isEqualTo(1);
    String id =
        JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out()).get(0).get("id").asText();
    Files.writeString(p, "name: changes\ndag:\n  - {name: z, command: [sh, -c, 'exit 0']}\n");
    CliHarness.Result r = cli.run("pipeline", "retry", id);
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("has changed since pipeline run " + id)
        .contains("it had tasks a, now z");
    assertThat(
            JSON.readTree(cli.run("pipeline", "status", id, "-o", "json").out())
                .get("phase")
                .asText())
        .isEqualTo("Failed");
  }

  static List<String> lines(Path p) throws Exception {
    return Files.exists(p) ? Files.readAllLines(p) : List.of();
  }
}

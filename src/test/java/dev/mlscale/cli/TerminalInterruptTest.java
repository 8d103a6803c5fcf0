package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ctrl-C typed into a real terminal (a pseudo-terminal, whose line discipline sends SIGINT to the
 * foreground process group) while {@code pipeline run} or {@code sweep run} works, and SIGTERM: the
 * work stops, the records say Cancelled, the terminal says so, exit code 130.
 */
class TerminalInterruptTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  /** mlscale in a pseudo-terminal; Ctrl-C is typed once the file {@code cue} exists. */
  private Process inTerminal(CliHarness cli, Path cue, Path transcript, String... args)
      throws Exception {
    Path helper = Path.of(getClass().getResource("pty_run.py").toURI());
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "python3",
                helper.toString(),
                cue.toString(),
                transcript.toString(),
                work.resolve("mlscale.pid").toString(),
                "--"));
    cmd.addAll(CliHarness.command(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(work.resolve("helper.txt").toFile());
    pb.environment().putAll(cli.env);
    return pb.start();
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private Path pipeline() throws Exception {
    return Files.writeString(
        work.resolve("pipeline.yaml"),
        """
        name: typed
        dag:
          - {name: a, command: [python3, -c, "import time; print('a starts', flush=True); time.sleep(300)"]}
          - {name: b, depends: [a], command: [python3, -c, "print('b')"]}
        on_exit:
          name: tell
          command: [sh, -c, 'echo "exit sees $MLSCALE_PIPELINE_STATUS"']
        """);
  }

  /** Waits for task a of the only pipeline run to run; returns the run id and a's pid. */
  private String[] started(CliHarness cli) throws Exception {
    String[] found = new String[2];
    CliHarness.waitUntil(
        "task a running",
        () -> {
          JsonNode runs = JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out());
          if (runs.size() != 1) {
            return false;
          }
          found[0] = runs.get(0).get("id").asText();
          JsonNode a = JSON.readTree(cli.run("status", found[0] + "-a", "-o", "json").out());
          if (!a.path("pid").isNumber() || cli.run("logs", found[0] + "-a").out().isEmpty()) {
            return false;
          }
          found[1] = Long.toString(a.get("pid").asLong());
          return true;
        });
    return found;
  }

  private void assertCancelled(CliHarness cli, String id, long pidOfA, String said)
      throws Exception {
    assertThat(alive(pidOfA)).as("task a's process is stopped").isFalse();
    JsonNode view = JSON.readTree(cli.run("pipeline", "status", id, "-o", "json").out());
    assertThat(view.get("phase").asText()).isEqualTo("Cancelled");
    assertThat(view.get("tasks"))
        .extracting(t -> t.get("name").asText() + "=" + t.get("phase").asText())
        .containsExactly("a=Cancelled", "b=Skipped", "tell=Succeeded");
    assertThat(
            JSON.readTree(cli.run("status", id + "-a", "-o", "json").out()).get("state").asText())
        .isEqualTo("Cancelled");
    assertThat(said)
        .contains("⊘ a cancelled")
        .contains("[tell] exit sees Cancelled")
        .contains("pipeline " + id + " cancelled in");
  }

  /** Ctrl-C typed into the terminal, or SIGTERM sent to mlscale (as a service manager does). */
  @ParameterizedTest
  @ValueSource(strings = {"SIGINT (Ctrl-C)", "SIGTERM"})
  void aPipelineRunInATerminalIsCancelled(String how) throws Exception {
    CliHarness cli = new CliHarness(home);
    Path cue = work.resolve("cue");
    Path transcript = work.resolve("terminal.txt");
    Process terminal = inTerminal(cli, cue, transcript, "pipeline", "run", pipeline().toString());
    String[] run = started(cli);
    long pidOfA = Long.parseLong(run[1]);
    assertThat(alive(pidOfA)).isTrue();

    if (how.equals("SIGTERM")) {
      String mlscale = Files.readString(work.resolve("mlscale.pid")).strip();
      new ProcessBuilder("kill", "-TERM", mlscale).start().waitFor();
    } else {
      Files.writeString(cue, ""); // Ctrl-C
    }
    assertThat(terminal.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String said = Files.readString(transcript);
    assertThat(terminal.exitValue()).as(said).isEqualTo(130);
    assertThat(said).contains(how + ": cancelling");
    assertCancelled(cli, run[0], pidOfA, said);
  }

  @Test
  void ctrlCInATerminalCancelsASweep() throws Exception {
    CliHarness cli = new CliHarness(home);
    Files.writeString(
        work.resolve("job.yaml"),
        """
        name: slow
        command: [python3, -c, "import time; print('trial starts', flush=True); time.sleep(300)"]
        params: {x: 0}
        resources: {cpu: 100m}
        """);
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: typed
            job: job.yaml
            objective: {metric: score, goal: maximize}
            algorithm: grid
            space: {x: {grid: [1, 2, 3, 4]}}
            budget: {max_trials: 4, max_parallel: 2}
            """);
    Path cue = work.resolve("cue");
    Path transcript = work.resolve("terminal.txt");
    Process terminal = inTerminal(cli, cue, transcript, "sweep", "run", sweep.toString());
    List<Long> pids = new ArrayList<>();
    List<String> runIds = new ArrayList<>();
    CliHarness.waitUntil(
        "two trials running",
        () -> {
          pids.clear();
          runIds.clear();
          for (JsonNode r : JSON.readTree(cli.run("ls", "-o", "json").out())) {
            String run = r.get("run").asText();
            JsonNode s = JSON.readTree(cli.run("status", run, "-o", "json").out());
            if (s.path("pid").isNumber() && !cli.run("logs", run).out().isEmpty()) {
              pids.add(s.get("pid").asLong());
              runIds.add(run);
            }
          }
          return pids.size() == 2;
        });
    String id =
        JSON.readTree(cli.run("sweep", "ls", "-o", "json").out()).get(0).get("sweep").asText();

    Files.writeString(cue, ""); // Ctrl-C
    assertThat(terminal.waitFor(90, TimeUnit.SECONDS)).isTrue();
    String said = Files.readString(transcript);
    assertThat(terminal.exitValue()).as(said).isEqualTo(130);
    assertThat(said)
        .contains("SIGINT (Ctrl-C): cancelling")
        .contains("sweep " + id + " cancelled")
        .contains("'mlscale sweep resume " + id + "' continues it");
    for (long pid : pids) {
      assertThat(alive(pid)).as("trial process %d is stopped", pid).isFalse();
    }
    for (String run : runIds) {
      assertThat(JSON.readTree(cli.run("status", run, "-o", "json").out()).get("state").asText())
          .as(run)
          .isEqualTo("Cancelled");
    }
    JsonNode s = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out()).get(0);
    assertThat(s.get("state").asText()).isEqualTo("Cancelled");
  }
}

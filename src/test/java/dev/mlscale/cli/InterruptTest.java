package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ctrl-C and SIGTERM on a real mlscale process: the run is recorded as Cancelled, exit 130. */
class InterruptTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @ParameterizedTest
  @ValueSource(strings = {"INT", "TERM"})
  void aSignalCancelsTheRunAndRecordsIt(String signal) throws Exception {
    CliHarness cli = new CliHarness(home);
    Path spec =
        Files.writeString(
            work.resolve("sleeper.yaml"),
            """
            name: sleeper
            command: [python3, -c, "import time; print('started', flush=True); time.sleep(300)"]
            """);
    Path terminal = work.resolve("terminal.txt");
    Process p = cli.start(terminal, "run", spec.toString());
    JsonNode started =
        org.awaitility.Awaitility.await("the job Running and printing 'started'")
            .atMost(java.time.Duration.ofSeconds(60))
            .until(
                () -> {
                  JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
                  if (runs.size() != 1) {
                    return null;
                  }
                  JsonNode s =
                      JSON.readTree(
                          cli.run("status", runs.get(0).get("run").asText(), "-o", "json").out());
                  return s.get("state").asText().equals("Running")
                          && Files.readString(terminal).contains("started")
                      ? s
                      : null;
                },
                java.util.Objects::nonNull);
    String id = started.get("run").asText();
    long pid = started.get("pid").asLong();

    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String said = Files.readString(terminal);
    assertThat(p.exitValue()).as(said).isEqualTo(130);
    assertThat(said)
        .contains("SIG" + signal + (signal.equals("INT") ? " (Ctrl-C)" : "") + ": cancelling");
    assertThat(said).contains(id + " cancelled in");
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
        .as("the job's process is stopped")
        .isFalse();

    JsonNode s = JSON.readTree(cli.run("status", id, "-o", "json").out());
    assertThat(s.get("state").asText()).isEqualTo("Cancelled");
    assertThat(s.get("message").asText())
        .isEqualTo("cancelled by SIG" + signal + (signal.equals("INT") ? " (Ctrl-C)" : ""));
    assertThat(s.get("attempts")).hasSize(1);
    assertThat(s.get("attempts").get(0).get("state").asText()).isEqualTo("CANCELLED");
    assertThat(s.get("attempts").get(0).get("endedAt").isNull()).isFalse();
  }
}

package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of {@code mlscale run}: the job is not touched (it is no child of mlscale's
 * output), runs to its end, and {@code status} tells what happened since.
 */
class UnwatchedRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void aJobOutlivesItsKilledMlscaleAndStatusSaysHowItEnded() throws Exception {
    CliHarness cli = new CliHarness(home);
    Path release = work.resolve("release");
    Path done = work.resolve("done");
    Files.writeString(
        work.resolve("wait.py"),
        """
        import os, sys, time
        print("started", flush=True)
        while not os.path.exists(%s):
            time.sleep(0.05)
        print("still writing after mlscale died", flush=True)
        open(%s, "w").write("done")
        """
            .formatted(
                JSON.writeValueAsString(release.toString()),
                JSON.writeValueAsString(done.toString())));
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"), "name: outlives\ncommand: [python3, wait.py]\n");
    Path terminal = work.resolve("terminal.txt");
    Process p = cli.start(terminal, "run", spec.toString());
    org.awaitility.Awaitility.await("the job printing 'started'")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> Files.readString(terminal).contains("started"));
    JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
    String id = runs.get(0).get("run").asText();
    p.destroyForcibly().waitFor(); // kill -9

    JsonNode s = JSON.readTree(cli.run("status", id, "-o", "json").out());
    assertThat(s.get("state").asText()).isEqualTo("Lost");
    assertThat(s.get("message").asText())
        .contains("(pid " + p.pid() + ") is gone")
        .contains("attempt 1 runs on unwatched");

    Files.writeString(release, "");
    org.awaitility.Awaitility.await("the job running to its end, its output going on")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> Files.exists(done));
    org.awaitility.Awaitility.await("status saying the attempt completed while nobody watched")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> JSON.readTree(cli.run("status", id, "-o", "json").out()).get("message").asText(),
            m -> m.contains("attempt 1 completed while nobody watched"));
    assertThat(cli.run("logs", id).out()).contains("still writing after mlscale died");
  }
}

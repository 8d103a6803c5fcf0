package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
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
    String id = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && !Files.readString(terminal).contains("started")) {
      Thread.sleep(50);
    }
    JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
    id = runs.get(0).get("run").asText();
    p.destroyForcibly().waitFor(); // kill -9

    JsonNode s = JSON.readTree(cli.run("status", id, "-o", "json").out());
    assertThat(s.get("state").asText()).isEqualTo("Lost");
    assertThat(s.get("message").asText())
        .contains("(pid " + p.pid() + ") is gone")
        .contains("attempt 1 runs on unwatched");

    Files.writeString(release, "");
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline && !Files.exists(done)) {
      Thread.sleep(50);
    }
    assertThat(done).as("the job ran to its end, its output going on").exists();
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String message = "";
    while (System.nanoTime() < deadline && !message.contains("while nobody watched")) {
      message = JSON.readTree(cli.run("status", id, "-o", "json").out()).get("message").asText();
      Thread.sleep(50);
    }
    assertThat(message).contains("attempt 1 completed while nobody watched");
    assertThat(cli.run("logs", id).out()).contains("still writing after mlscale died");
  }
}

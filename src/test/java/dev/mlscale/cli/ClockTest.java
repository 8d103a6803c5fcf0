package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the commands print as times and durations comes from the context's clock, not the JVM's. */
class ClockTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  /** A clock the test moves by hand; every command of the test reads it. */
  private static final class HandClock extends Clock {
    private volatile Instant now;

    HandClock(Instant now) {
      this.now = now;
    }

    void set(Instant t) {
      now = t;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.ofHours(2);
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  @Test
  void agesAndDurationsArePrintedFromTheInjectedClock() throws Exception {
    Instant t0 = Instant.parse("2026-03-01T12:00:00Z");
    HandClock clock = new HandClock(t0);
    Path started = work.resolve("started");
    Path release = work.resolve("release");
    Files.writeString(
        work.resolve("held.py"),
        """
        import os, time
        open(%s, "w").close()
        while not os.path.exists(%s):
            time.sleep(0.02)
        """
            .formatted(
                JSON.writeValueAsString(started.toString()),
                JSON.writeValueAsString(release.toString())));
    Path spec =
        Files.writeString(work.resolve("job.yaml"), "name: held\ncommand: [python3, held.py]\n");
    CliHarness cli = new CliHarness(home).with(clock);
    var running = CompletableFuture.supplyAsync(() -> cli.run("run", spec.toString()));
    org.awaitility.Awaitility.await("the job running")
        .atMost(Duration.ofSeconds(60))
        .until(() -> Files.exists(started) || running.isDone());
    assertThat(running).as("the run ended before its job started").isNotDone();

    clock.set(t0.plusSeconds(90)); // a running run's duration runs up to now
    String ls = cli.run("ls").out();
    assertThat(ls).containsPattern("Running +- +1 +1m30s ago +1m30s\\s");

    Files.writeString(release, "");
    CliHarness.Result run = running.get(60, TimeUnit.SECONDS);
    assertThat(run.exit()).as(run.all()).isZero();
    assertThat(run.err() + run.out()).contains("succeeded in 1m30s");

    clock.set(t0.plusSeconds(120)); // an ended run's duration stays, its age goes on
    assertThat(cli.run("ls").out()).containsPattern("Succeeded +Completed +1 +2m ago +1m30s\\s");
    String id = JSON.readTree(cli.run("ls", "-o", "json").out()).get(0).get("run").asText();
    assertThat(cli.run("status", id).out())
        .contains("Created:   2026-03-01 14:00:00") // in the clock's zone, UTC+2
        .contains("Duration:  1m30s");
  }
}

package dev.mlscale.top;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mlscale top} on this machine: a running job's real process group, read from /proc. */
class LocalTopTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void showsARunningJobsMemoryAndCpuAgainstItsLimits() throws Exception {
    // the job forks a child that holds 150 MiB and spins: top counts the whole group
    Files.writeString(
        work.resolve("burn.py"),
        """
        import os, sys, time
        if os.fork() == 0:
            block = bytearray(150 * 1024 * 1024)
            for i in range(0, len(block), 4096):
                block[i] = 1
            open(sys.argv[1], "w").write("ready")
            while True:
                pass
        os.wait()
        """);
    Path ready = work.resolve("ready");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: burn
            command: [python3, burn.py, "%s"]
            resources: {cpu: 500m, memory: 1Gi}
            """
                .formatted(ready));
    CliHarness cli = new CliHarness(home);
    var pool = Executors.newSingleThreadExecutor();
    var running = pool.submit(() -> cli.run("run", spec.toString()));
    try {
      Awaitility.await("the job holds its memory")
          .atMost(Duration.ofMinutes(2))
          .until(() -> Files.exists(ready));
      CliHarness.Result top = cli.run("top", "-o", "json");
      assertThat(top.exit()).as(top.all()).isZero();
      JsonNode rows = JSON.readTree(top.out());
      assertThat(rows).hasSize(1);
      JsonNode row = rows.get(0);
      assertThat(row.get("run").asText()).startsWith("burn-");
      assertThat(row.get("node").asText()).isEqualTo("local");
      assertThat(row.get("memory").asLong()).isGreaterThan(150L << 20);
      assertThat(row.get("memoryLimit").asLong()).isEqualTo(1L << 30);
      assertThat(row.get("cpuRequest").asLong()).isEqualTo(500);
      assertThat(row.get("cpu").asLong()).as("a spinning process used CPU").isPositive();

      CliHarness.Result table = cli.run("top");
      assertThat(table.out())
          .contains("RUN", "MEMORY", "MEM REQ/LIM")
          .contains(row.get("run").asText())
          .contains("-/1.0Gi");
      cli.run("cancel", row.get("run").asText());
    } finally {
      running.get(2, TimeUnit.MINUTES);
      pool.shutdown();
    }
    assertThat(cli.run("top").out()).contains("No run is running");
  }
}

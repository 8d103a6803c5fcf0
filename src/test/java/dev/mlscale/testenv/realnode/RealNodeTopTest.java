package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.Scripts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlscale top --target k8s} on the real node: a running pod's CPU and memory, as the real
 * metrics-server (testenv/metrics, built from sigs.k8s.io/metrics-server) scraped them from the
 * real kubelet, against the pod's requests and limits.
 */
@RealNodeTest
class RealNodeTopTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void parts() {
    RealNode.ensureUp();
    Scripts.run("metrics/up.sh", "metrics-up.log", Duration.ofMinutes(40));
  }

  @Test
  void showsARunningPodsUsageFromMetricsServer(TestNamespace ns) throws Exception {
    Path spec =
        Files.writeString(
            work.resolve("hold.yaml"),
            """
            name: hold
            image: python:3.11-slim
            command: [python3, hold.py]
            resources: {cpu: 300m, memory: 256Mi}
            """);
    Files.writeString(
        work.resolve("hold.py"),
        """
        import time
        block = bytearray(96 * 1024 * 1024)
        for i in range(0, len(block), 4096):
            block[i] = 1
        print("holding", flush=True)
        while True:
            sum(range(10000))
            time.sleep(0.01)
        """);
    CliHarness cli =
        new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    List<String> run =
        new ArrayList<>(List.of("run", spec.toString(), "--target", "k8s", "-n", ns.name()));
    run.addAll(RealNode.PLACE);
    var pool = Executors.newSingleThreadExecutor();
    var running = pool.submit(() -> cli.run(run.toArray(String[]::new)));
    try {
      JsonNode[] row = new JsonNode[1];
      Awaitility.await("metrics-server reports the pod holding its memory")
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofSeconds(2))
          .until(
              () -> {
                CliHarness.Result top =
                    cli.run("top", "--target", "k8s", "-n", ns.name(), "-o", "json");
                assertThat(top.exit()).as(top.all()).isZero();
                JsonNode rows = JSON.readTree(top.out());
                if (rows.size() != 1 || rows.get(0).get("memory").isNull()) {
                  return false;
                }
                row[0] = rows.get(0);
                return row[0].get("memory").asLong() > (96L << 20);
              });
      JsonNode r = row[0];
      assertThat(r.get("run").asText()).startsWith("hold-");
      assertThat(r.get("node").asText()).isEqualTo(RealNode.NAME);
      assertThat(r.get("where").asText()).startsWith(r.get("run").asText());
      assertThat(r.get("cpuRequest").asLong()).isEqualTo(300);
      assertThat(r.get("memoryLimit").asLong()).isEqualTo(256L << 20);
      assertThat(r.get("cpu").asLong()).isPositive();

      CliHarness.Result table = cli.run("top", "--target", "k8s", "-n", ns.name());
      assertThat(table.out()).contains(r.get("run").asText()).contains("real-0").contains("/256Mi");
      cli.run("cancel", r.get("run").asText(), "--target", "k8s", "-n", ns.name());
    } finally {
      running.get(3, TimeUnit.MINUTES);
      pool.shutdown();
    }
  }
}

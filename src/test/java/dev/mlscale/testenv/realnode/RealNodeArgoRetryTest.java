package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlscale pipeline retry --target k8s} as {@code argo retry} does it, on the real Argo
 * controller with real containers: the task that succeeded is kept (it does not run again), the
 * workspace claim is kept with its files, the failed task and what depends on it run again.
 */
@RealNodeTest
class RealNodeArgoRetryTest {
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
    dev.mlscale.testenv.infra.ArgoTestEnv.controller();
  }

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  @Test
  void aFailedWorkflowRunsAgainFromItsFailedTaskWithItsWorkspace(TestNamespace ns)
      throws Exception {
    RealNode.executorRole(ns.client());
    Path file =
        Files.writeString(
            work.resolve("flaky.yaml"),
            """
            name: flaky
            image: python:3.11-slim
            kubernetes: {node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator: Exists}]}
            dag:
              - name: a
                command: [python3, -c, "import os; open(os.path.join(os.environ['MLSCALE_WORKSPACE'], 'a-runs'), 'a').write('a'); print('a ran')"]
              - name: b
                depends: [a]
                command: [python3, -c, "import os, sys; f = os.path.join(os.environ['MLSCALE_WORKSPACE'], 'b-tries'); n = len(open(f).read()) if os.path.exists(f) else 0; open(f, 'a').write('b'); print('b try', n + 1); sys.exit(0 if n else 1)"]
              - name: c
                depends: [b]
                command: [python3, -c, "import os; print('a ran', len(open(os.path.join(os.environ['MLSCALE_WORKSPACE'], 'a-runs')).read()), 'time(s)')"]
            """);
    CliHarness.Result first = on(ns, "pipeline", "run", file.toString());
    assertThat(first.exit()).as(first.err()).isEqualTo(1);
    String id = first.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");

    CliHarness.Result retry = on(ns, "pipeline", "retry", id);
    assertThat(retry.exit()).as(retry.all()).isZero();
    assertThat(retry.out()).contains("retrying " + id);
    CliHarness.waitUntil(
        "the retried workflow to end",
        () -> {
          String s = on(ns, "pipeline", "status", id).out();
          return s.contains("Succeeded") && !s.contains("Running");
        });
    CliHarness.Result status = on(ns, "pipeline", "status", id, "-o", "json");
    assertThat(status.out()).contains("\"Succeeded\"");
    String logs = on(ns, "pipeline", "logs", id).out();
    assertThat(logs).contains("b try 2").contains("a ran 1 time(s)");
  }

  /** A pipeline command against the test namespace. */
  private CliHarness.Result on(TestNamespace ns, String... command) {
    java.util.List<String> a = new java.util.ArrayList<>(java.util.List.of(command));
    a.addAll(java.util.List.of("--target", "k8s", "-n", ns.name()));
    return cli().run(a.toArray(String[]::new));
  }
}

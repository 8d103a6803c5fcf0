package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiled pipelines on the real test cluster: validated against Argo's full CRD schema, and run by
 * the real Argo workflow controller over simulated pods.
 */
@ClusterTest
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ArgoPipelineTest {
  @TempDir Path home;
  @TempDir Path work;

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  @Test
  void compiledWorkflowsPassTheServersValidation(TestNamespace ns) {
    ArgoTestEnv.crds();
    CliHarness.Result r =
        cli()
            .run(
                "pipeline",
                "render",
                "src/test/resources/pipeline/diamond-k8s.yaml",
                "-n",
                ns.name(),
                "--server-dry-run");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("accepts all 6 objects");
    CliHarness.Result ml =
        cli()
            .run(
                "pipeline",
                "render",
                "examples/ml-pipeline/pipeline.yaml",
                "-n",
                ns.name(),
                "--server-dry-run");
    assertThat(ml.exit()).as(ml.err()).isZero();
    assertThat(ml.out()).contains("amazon/aws-cli").contains("onExit");
  }

  @Test
  void theArgoControllerRunsTheDiamondAndStopsAtTheFailedTask(TestNamespace ns) throws Exception {
    ArgoTestEnv.controller();
    CliHarness.Result failing =
        cli()
            .run(
                "pipeline",
                "run",
                "src/test/resources/pipeline/diamond-k8s.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name());
    assertThat(failing.exit()).as(failing.err()).isEqualTo(1);
    assertThat(failing.err())
        .contains("● a Succeeded")
        .contains("● b Succeeded")
        .contains("● c Failed")
        .doesNotContain("● d Succeeded")
        .contains(" failed");

    String ok =
        Files.readString(Path.of("src/test/resources/pipeline/diamond-k8s.yaml"))
            .replace("sim.mlscale.dev/exit-code: \"3\"", "sim.mlscale.dev/duration: 1s")
            .replaceAll("(?s)on_exit:.*", "");
    Path file = Files.writeString(work.resolve("ok.yaml"), ok);
    CliHarness.Result r =
        cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("● d Succeeded").contains(" succeeded");
    assertThat(r.err().indexOf("● d Running"))
        .isGreaterThan(r.err().indexOf("● b Succeeded"))
        .isGreaterThan(r.err().indexOf("● c Succeeded"));
  }
}

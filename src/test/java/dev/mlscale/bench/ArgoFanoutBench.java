package dev.mlscale.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * N parallel training tasks on the real test cluster, the same 1 s simulated pods both ways, in the
 * same run: as a pipeline's for_each on the real Argo workflow controller, and as one job with N
 * rows (ONE Indexed Job, the baseline). Shows what the pipeline engine costs on top of plain
 * Kubernetes Jobs. Run by bench/argo_fanout.sh; writes bench/results/argo_fanout.json.
 */
@Tag("bench")
class ArgoFanoutBench {
  static final int TASKS = Integer.getInteger("bench.tasks", 200);

  @TempDir Path home;
  @TempDir Path work;

  @Test
  void forEachOnArgoAgainstOneIndexedJob() throws Exception {
    ArgoTestEnv.controller();
    CliHarness cli =
        new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < TASKS; i++) {
      rows.append("{i: ").append(i).append("}, ");
    }
    String pod =
        "image: python:3.11-slim\n"
            + "    command: [python3, -c, \"print(1)\", \"${params.i}\"]\n"
            + "    resources: {cpu: 10m, memory: 32Mi}\n"
            + "    kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 1s}}\n";
    Path pipeline =
        Files.writeString(
            work.resolve("fan.yaml"),
            "name: fan\nparallelism: "
                + TASKS
                + "\ndag:\n  - name: t\n    "
                + pod
                + "    for_each: ["
                + rows
                + "]\n");
    Path job =
        Files.writeString(
            work.resolve("rows.yaml"),
            "name: rows\n"
                + pod.replace("\n    ", "\n")
                + "params: {i: 0}\n"
                + "rows: ["
                + rows
                + "]\n");
    String nsA = namespace("bench-argo");
    long a0 = System.nanoTime();
    CliHarness.Result argo =
        cli.run("pipeline", "run", pipeline.toString(), "--target", "k8s", "-n", nsA);
    double argoS = seconds(a0);
    assertThat(argo.exit()).as(argo.err()).isZero();

    String nsB = namespace("bench-indexed");
    long b0 = System.nanoTime();
    CliHarness.Result indexed = cli.run("run", job.toString(), "--target", "k8s", "-n", nsB, "-q");
    double indexedS = seconds(b0);
    assertThat(indexed.exit()).as(indexed.err()).isZero();

    // leave the cluster as it was: a thousand finished pods slow every later test
    TestCluster.get().client().namespaces().withName(nsA).delete();
    TestCluster.get().client().namespaces().withName(nsB).delete();

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("tasks", TASKS);
    result.put("argo_for_each_s", argoS);
    result.put("indexed_job_s", indexedS);
    result.put("ratio", argoS / indexedS);
    Path out = Path.of("bench/results/argo_fanout.json");
    Files.createDirectories(out.getParent());
    Files.writeString(
        out,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(result));
    System.out.printf(
        "%d tasks of 1 s: Argo for_each %.1f s, one Indexed Job %.1f s (%.2fx)%n",
        TASKS, argoS, indexedS, argoS / indexedS);
  }

  private static String namespace(String prefix) {
    var admin = TestCluster.get().client();
    String name = prefix + "-" + Long.toString(System.currentTimeMillis(), 36);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    admin
        .serviceAccounts()
        .inNamespace(name)
        .withName("default")
        .waitUntilCondition(java.util.Objects::nonNull, 60, TimeUnit.SECONDS);
    return name;
  }

  private static double seconds(long from) {
    return Duration.ofNanos(System.nanoTime() - from).toMillis() / 1000.0;
  }
}

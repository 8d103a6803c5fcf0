package dev.mlscale.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A random sweep of N trials (default 1,000) on the real test cluster, each trial a Job, at most P
 * at a time: the time to finish. Run by bench/k8s_sweep.sh; writes bench/results/k8s_sweep.json.
 */
@Tag("bench")
class ClusterSweepBench {
  static final int TRIALS = Integer.getInteger("bench.trials", 1000);
  static final int PARALLEL = Integer.getInteger("bench.parallel", 100);

  @Test
  void randomSweepOnTheCluster(@TempDir Path dir, @TempDir Path home) throws Exception {
    var admin = TestCluster.get().client();
    String ns = "bench-sweep-" + Long.toString(System.currentTimeMillis(), 36);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
        .create();
    admin
        .serviceAccounts()
        .inNamespace(ns)
        .withName("default")
        .waitUntilCondition(java.util.Objects::nonNull, 60, TimeUnit.SECONDS);
    Files.writeString(dir.resolve("train.py"), "print('trial')\n");
    Files.writeString(
        dir.resolve("job.yaml"),
        """
        name: trial
        image: python:3.11-slim
        command: [python, train.py]
        params: {lr: 0.1}
        resources: {cpu: 10m, memory: 16Mi}
        kubernetes: {pod_annotations: {sim.mlscale.dev/message: '{"score": 0.5}'}}
        """);
    Path sweep =
        Files.writeString(
            dir.resolve("sweep.yaml"),
            """
        name: big
        job: job.yaml
        objective: {metric: score}
        algorithm: random
        space: {lr: {loguniform: [1.0e-4, 1.0e-1]}}
        budget: {max_trials: %d, max_parallel: %d}
        """
                .formatted(TRIALS, PARALLEL));
    long t0 = System.nanoTime();
    CliHarness.Result r =
        new CliHarness(home)
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
            .run("sweep", "run", sweep.toString(), "--target", "k8s", "-n", ns);
    double seconds = (System.nanoTime() - t0) / 1e9;
    assertThat(r.exit()).as(r.err()).isZero();
    admin.namespaces().withName(ns).delete();
    String json =
        String.format(
            "{\n  \"trials\": %d,\n  \"max_parallel\": %d,\n  \"seconds\": %.1f,\n"
                + "  \"trials_per_second\": %.2f\n}\n",
            TRIALS, PARALLEL, seconds, TRIALS / seconds);
    Files.createDirectories(Path.of("bench", "results"));
    Files.writeString(Path.of("bench", "results", "k8s_sweep.json"), json);
    System.out.println("BENCH " + json);
  }
}

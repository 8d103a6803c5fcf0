package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.sweep.ClusterTrials;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sweep on the real node: 4 trials, 2 at a time, whose intermediate metrics are the real
 * programs' output read from their pods' logs, and the median rule stopping the lagging trials
 * while they run.
 */
@RealNodeTest
class RealNodeSweepTest {
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
  }

  @Test
  void medianEarlyStoppingActsOnRealIntermediateMetrics(TestNamespace ns) throws Exception {
    Files.writeString(
        work.resolve("train.py"),
        """
        import sys, time
        from mlscale import report
        quality = sys.argv[1]
        for step in range(1, 31):
            report(step=step, accuracy=(0.9 if quality == "good" else 0.1) + step / 1000)
            time.sleep(0.3)
        """);
    Files.writeString(
        work.resolve("job.yaml"),
        """
        name: trial
        image: python:3.11-slim
        command: [python3, train.py]
        args: ["${params.quality}"]
        params: {quality: good, replica: 1}
        resources: {cpu: 200m, memory: 128Mi}
        kubernetes:
          node_pool: real
          tolerations: [{key: mlscale.dev/real-node, operator: Exists}]
        """);
    // grid order: the two good trials first, then the two bad ones, 2 at a time
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: real-median
            job: job.yaml
            objective: {metric: accuracy, goal: maximize}
            algorithm: grid
            space:
              quality: {choice: [good, bad]}
              replica: {choice: [1, 2]}
            budget: {max_trials: 4, max_parallel: 2}
            early_stopping: {rule: median, min_steps: 3}
            """);
    CliHarness cli =
        new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    CliHarness.Result r =
        cli.run("sweep", "run", sweep.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isZero();
    List<Job> jobs =
        ns.client().batch().v1().jobs().withLabel(ClusterTrials.SWEEP).list().getItems().stream()
            .sorted(
                Comparator.comparing(
                    j -> j.getMetadata().getAnnotations().get(ClusterTrials.TRIAL_PARAMS)))
            .toList();
    assertThat(jobs).hasSize(4);
    for (Job j : jobs) {
      String params = j.getMetadata().getAnnotations().get(ClusterTrials.TRIAL_PARAMS);
      String state = j.getMetadata().getAnnotations().get("mlscale.dev/trial-state");
      assertThat(j.getSpec().getTemplate().getSpec().getNodeSelector())
          .containsEntry("role", "real");
      if (params.contains("\"bad\"")) {
        // stopped while running, long before its 30 steps: the median of the good curves
        assertThat(state).as(params).isEqualTo("PRUNED");
      } else {
        assertThat(state).as(params).isEqualTo("COMPLETED");
        assertThat(
                Double.parseDouble(
                    j.getMetadata().getAnnotations().get("mlscale.dev/trial-objective")))
            .isGreaterThan(0.9);
      }
    }
    assertThat(r.err()).contains("best: trial");
  }

  @Test
  void sweepTrialsGetTheirSetupFromAnIndexThatNeedsCredentials(TestNamespace ns) throws Exception {
    RealNode.createClaim(ns.client(), "model-storage");
    Files.writeString(work.resolve("requirements.txt"), "threadpoolctl\n");
    Files.writeString(
        work.resolve("train.py"),
        """
        import sys, threadpoolctl
        from mlscale import report
        report(step=1, score=float(sys.argv[1]))
        print("threadpoolctl", threadpoolctl.__version__)
        """);
    Files.writeString(
        work.resolve("job.yaml"),
        """
        name: trial
        image: python:3.11-slim
        setup:
          requirements: requirements.txt
          index_credentials: index-login
        command: [python3, train.py]
        args: ["${params.x}"]
        params: {x: 0.5}
        resources: {cpu: 200m, memory: 256Mi}
        kubernetes:
          node_pool: real
          tolerations: [{key: mlscale.dev/real-node, operator: Exists}]
        """);
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: real-setup
            job: job.yaml
            objective: {metric: score, goal: maximize}
            algorithm: grid
            space: {x: {choice: [0.25, 0.75]}}
            budget: {max_trials: 2, max_parallel: 2}
            """);
    ns.client()
        .secrets()
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("index-login")
                .endMetadata()
                .addToStringData("username", "ml")
                .addToStringData("password", "s3cr3t/pw")
                .build())
        .create();
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, work.resolve("requirements.txt"))
            .requireCredentials("ml", "s3cr3t/pw")) {
      CliHarness cli =
          new CliHarness(home)
              .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
              .with("PIP_INDEX_URL", index.url());
      CliHarness.Result r =
          cli.run("sweep", "run", sweep.toString(), "--target", "k8s", "-n", ns.name());
      assertThat(r.exit()).as(r.all()).isZero();
      assertThat(r.err()).contains("best: trial").contains("score=0.75");
      assertThat(index.downloads()).anyMatch(f -> f.startsWith("threadpoolctl-"));
      // the password is in no object mlscale made and in no log
      String everything =
          ns.client().configMaps().list().getItems().toString()
              + ns.client().batch().v1().jobs().list().getItems().toString()
              + r.all();
      assertThat(everything).doesNotContain("s3cr3t");
      for (var p : ns.client().pods().list().getItems()) {
        assertThat(
                ns.client()
                    .pods()
                    .withName(p.getMetadata().getName())
                    .inContainer("setup-env")
                    .getLog())
            .doesNotContain("s3cr3t");
      }
    }
  }
}

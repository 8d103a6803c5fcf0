package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pipeline whose task runs the distributed example (LightGBM's data-parallel learner, 2 workers)
 * on the real Argo controller and the real node: Argo's executor creates the gang's Indexed Job
 * from the task's resource template, the two pods find each other through the task's headless
 * Service and train together, the step succeeds when both did, and the next task runs after it and
 * reads worker 0's metrics from the run's workspace.
 */
@RealNodeTest
class RealNodeArgoDistributedTest {
  private static final Path EXAMPLE = CliHarness.repo().resolve("examples/distributed");
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
    ArgoTestEnv.controller();
  }

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  /** A pipeline of the example as task train (with {@code trainParams}), then task after. */
  private Path pipeline(TestNamespace ns, String trainParams) throws IOException {
    return pipeline(ns, trainParams, 1);
  }

  private Path pipeline(TestNamespace ns, String trainParams, int retries) throws IOException {
    RealNode.executorRole(ns.client());
    RealNode.createClaim(ns.client(), "model-storage");
    for (String f : List.of("train.py", "requirements.txt")) {
      Files.copy(EXAMPLE.resolve(f), work.resolve(f));
    }
    // the example's job, small enough for the real node's 2 CPUs, placed there
    Files.writeString(
        work.resolve("job.yaml"),
        Files.readString(EXAMPLE.resolve("job.yaml"))
                .replace("  cpu: 1\n", "  cpu: 250m\n")
                .replace("  memory: 1Gi\n", "  memory: 512Mi\n")
                .replace("retries: 1 ", "retries: " + retries + " ")
            + "kubernetes:\n"
            + "  node_pool: real\n"
            + "  tolerations: [{key: mlscale.dev/real-node, operator: Exists}]\n");
    return Files.writeString(
        work.resolve("pipeline.yaml"),
        """
            name: gangs
            kubernetes: {node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator: Exists}]}
            dag:
              - {name: train, job: job.yaml, params: %s}
              - name: after
                depends: [train]
                image: python:3.11-slim
                command: [python3, -c, "import os; w = os.environ['MLSCALE_WORKSPACE']; r = os.environ['MLSCALE_PIPELINE_RUN']; print('after: ' + open(w + '/.mlscale/metrics/' + r + '-train.json').read())"]
            """
            .formatted(trainParams));
  }

  @Test
  void aDistributedTaskTrainsAsAGangOfTwoPodsAndTheNextTaskRunsAfterIt(TestNamespace ns)
      throws IOException {
    Path file = pipeline(ns, "{rounds: 20, rows: 8000}");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, EXAMPLE.resolve("requirements.txt"))) {
      CliHarness.Result r =
          cli()
              .with("PIP_INDEX_URL", index.url())
              .run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
      assertThat(r.exit()).as(r.all()).isZero();
      assertThat(r.err()).contains("[train ✔] → [after ✔]");
      String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
      // the first try's Job, created by Argo's executor, owned by the Workflow
      Job job = ns.client().batch().v1().jobs().withName(id + "-train-a1").get();
      assertThat(job).isNotNull();
      assertThat(job.getMetadata().getOwnerReferences())
          .singleElement()
          .satisfies(o -> assertThat(o.getKind()).isEqualTo("Workflow"));
      assertThat(job.getStatus().getSucceeded()).isEqualTo(2);
      List<Pod> pods =
          ns.client()
              .pods()
              .withLabel("batch.kubernetes.io/job-name", id + "-train-a1")
              .list()
              .getItems();
      assertThat(pods).hasSize(2);
      for (Pod p : pods) {
        assertThat(p.getSpec().getNodeName()).isEqualTo(RealNode.NAME);
        assertThat(p.getSpec().getSubdomain()).isEqualTo(id + "-train");
        String log =
            ns.client().pods().withName(p.getMetadata().getName()).inContainer("main").getLog();
        // the peers were found by their DNS names (the task's Service), and trained together
        assertThat(log)
            .containsPattern("of 2: \\d+ training rows; peers 10\\.244\\.")
            .contains("total number of machines: 2")
            .contains("final loss");
      }
      assertThat(ns.client().services().withName(id + "-train").get()).isNotNull();
      // the next task read worker 0's metrics from the run's workspace
      CliHarness.Result logs =
          cli().run("pipeline", "logs", id, "after", "--target", "k8s", "-n", ns.name());
      assertThat(logs.out()).contains("after: {").contains("loss");
    }
  }

  /** Waits until both workers of {@code job} have logged round 10. */
  private static void awaitTraining(TestNamespace ns, String job) {
    await("both workers of " + job + " to train")
        .atMost(Duration.ofMinutes(5))
        .pollInterval(Duration.ofSeconds(1))
        .ignoreExceptions()
        .until(
            () ->
                ns
                        .client()
                        .pods()
                        .withLabel("batch.kubernetes.io/job-name", job)
                        .list()
                        .getItems()
                        .stream()
                        .filter(
                            p ->
                                ns.client()
                                    .pods()
                                    .withName(p.getMetadata().getName())
                                    .inContainer("main")
                                    .getLog()
                                    .contains("round 10 "))
                        .count()
                    == 2);
  }

  private CliHarness.Result detached(PackageIndex index, Path file, TestNamespace ns) {
    CliHarness.Result r =
        cli()
            .with("PIP_INDEX_URL", index.url())
            .run(
                "pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name(), "--detach");
    assertThat(r.exit()).as(r.all()).isZero();
    return r;
  }

  @Test
  void aGangKilledMidTrainingFailsTheTaskAndPipelineRetryTrainsItAgain(TestNamespace ns)
      throws Exception {
    Path file = pipeline(ns, "{rounds: 60, rows: 8000, round_pause: 0.5}", 0);
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, EXAMPLE.resolve("requirements.txt"))) {
      String id = detached(index, file, ns).out().trim();
      String job = id + "-train"; // no retries: one try, its Job named like the task
      awaitTraining(ns, job);
      assertThat(RealNodeDistributedTest.killWorker(job, 1)).isPositive();
      CliHarness.Result failed =
          cli().run("pipeline", "status", id, "--target", "k8s", "-n", ns.name(), "-w");
      assertThat(failed.out()).as(failed.all()).contains("Failed");
      CliHarness.Result retry =
          cli().run("pipeline", "retry", id, "--target", "k8s", "-n", ns.name());
      assertThat(retry.exit()).as(retry.all()).isZero();
      CliHarness.Result done =
          cli().run("pipeline", "status", id, "--target", "k8s", "-n", ns.name(), "-w");
      assertThat(done.out()).as(done.all()).contains("Succeeded");
      // the failed Job made way for the retry's, which both workers completed
      Job again = ns.client().batch().v1().jobs().withName(job).get();
      assertThat(again.getStatus().getSucceeded()).isEqualTo(2);
    }
  }

  @Test
  void cancellingThePipelineStopsTheGangsWorkers(TestNamespace ns) throws IOException {
    Path file = pipeline(ns, "{rounds: 200, rows: 8000, round_pause: 1}");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, EXAMPLE.resolve("requirements.txt"))) {
      String id = detached(index, file, ns).out().trim();
      String job = id + "-train-a1";
      awaitTraining(ns, job);
      CliHarness.Result cancel =
          cli().run("pipeline", "cancel", id, "--target", "k8s", "-n", ns.name(), "--grace", "5s");
      assertThat(cancel.exit()).as(cancel.all()).isIn(0, 130);
      // Argo stops only its own pods; mlscale suspends the gang's Job, whose workers then stop
      assertThat(ns.client().batch().v1().jobs().withName(job).get().getSpec().getSuspend())
          .isTrue();
      await("the workers of " + job + " to stop")
          .atMost(Duration.ofMinutes(2))
          .until(
              () ->
                  ns.client()
                      .pods()
                      .withLabel("batch.kubernetes.io/job-name", job)
                      .list()
                      .getItems()
                      .isEmpty());
    }
  }
}

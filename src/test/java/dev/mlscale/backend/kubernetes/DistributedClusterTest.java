package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A distributed run as a gang on the test cluster's simulated nodes (KWOK): ONE Indexed Job with a
 * headless Service, rank 0's metrics, and a failed worker that fails the Job and is retried as a
 * whole new gang. The real-node tests show real workers finding each other by DNS.
 */
@ClusterTest
class DistributedClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  private CliHarness.Result mlscale(String... args) {
    return new CliHarness(home)
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .run(args);
  }

  /** The gang of {@link #spec} with 2 workers, for each of 2 rows, {@code parallelism} at once. */
  private Path rowsSpec(String annotations, int retries, int parallelism) throws IOException {
    Path spec = spec(annotations, retries);
    return Files.writeString(
        spec,
        Files.readString(spec).replace("workers: 3", "workers: 2")
            + "params: {lr: 0.1}\nrows: [{lr: 0.1}, {lr: 0.01}]\nparallelism: "
            + parallelism
            + "\n");
  }

  private Path spec(String annotations, int retries) throws IOException {
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    return Files.writeString(
        work.resolve("job.yaml"),
        """
        name: gang
        image: python:3.11-slim
        command: [python, train.py]
        resources: {cpu: 500m, memory: 1Gi}
        distributed: {workers: 3}
        retries: RETRIES
        kubernetes:
          node_pool: train-cpu
          pod_annotations: {ANNOTATIONS}
        """
            .replace("RETRIES", Integer.toString(retries))
            .replace("ANNOTATIONS", annotations));
  }

  private JsonNode onlyRun() throws IOException {
    JsonNode runs = JSON.readTree(mlscale("ls", "-o", "json").out());
    assertThat(runs).hasSize(1);
    return JSON.readTree(mlscale("status", runs.get(0).get("run").asText(), "-o", "json").out());
  }

  @Test
  void aGangIsOneIndexedJobWithAHeadlessServiceAndRankZerosMetrics(TestNamespace ns)
      throws IOException {
    Path spec =
        spec(
            "sim.mlscale.dev/duration: 1s, sim.mlscale.dev/message-0: '{\"loss\": 0.25}',"
                + " sim.mlscale.dev/message-1: '{\"loss\": 9}',"
                + " sim.mlscale.dev/message-2: '{\"loss\": 9}'",
            0);
    CliHarness.Result dry = mlscale("render", spec.toString(), "-n", ns.name(), "--server-dry-run");
    assertThat(dry.exit()).as(dry.err()).isZero();
    assertThat(dry.err()).contains("accepts all 3 objects");

    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isZero();
    JsonNode s = onlyRun();
    String run = s.get("run").asText();
    assertThat(s.get("metrics").get("loss").asDouble()).isEqualTo(0.25);
    List<Job> jobs = ns.client().batch().v1().jobs().list().getItems();
    assertThat(jobs).singleElement();
    assertThat(jobs.get(0).getSpec().getCompletions()).isEqualTo(3);
    assertThat(jobs.get(0).getSpec().getParallelism()).isEqualTo(3);
    Service svc = ns.client().services().withName(run).get();
    assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(svc.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(run));
    List<Pod> pods = ns.client().pods().withLabel("mlscale.dev/run", run).list().getItems();
    assertThat(pods).hasSize(3);
    assertThat(pods).allSatisfy(p -> assertThat(p.getSpec().getSubdomain()).isEqualTo(run));
    assertThat(pods.stream().map(p -> p.getSpec().getHostname()))
        .containsExactlyInAnyOrder(run + "-0", run + "-1", run + "-2");
  }

  @Test
  void aFailedWorkerFailsTheJobAndARetryStartsTheWholeGangAsANewJob(TestNamespace ns)
      throws IOException {
    Path spec =
        spec("sim.mlscale.dev/duration: 2s, sim.mlscale.dev/exit-code-indexes: '0=0,1=3,2=0'", 1);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err()).contains("a new Job starts all 3 workers again");
    JsonNode s = onlyRun();
    String run = s.get("run").asText();
    assertThat(s.get("state").asText()).isEqualTo("Failed");
    assertThat(s.get("message").asText())
        .startsWith("worker 1: ")
        .contains("exit code 3")
        .contains("the Job stopped the other workers");
    assertThat(ns.client().batch().v1().jobs().list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder(run, run + "-a2");
    assertThat(ns.client().services().list().getItems())
        .extracting(x -> x.getMetadata().getName())
        .containsExactlyInAnyOrder(run, run + "-a2");
  }

  @Test
  void workersWhosePeersNeverCameEndTheGangAsGangNotStarted(TestNamespace ns) throws IOException {
    // what the worker launcher does after start_timeout (WorkerLauncherTest runs it for real):
    // exit 75 with the missing workers as the termination message
    Path spec =
        spec(
            "sim.mlscale.dev/duration: 1s, sim.mlscale.dev/exit-code: '75',"
                + " sim.mlscale.dev/message: 'gang not started: 1 of 3 workers had no address"
                + " after 600s (gang-2.gang)'",
            0);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    JsonNode s = onlyRun();
    assertThat(s.get("reason").asText()).isEqualTo("GangNotStarted");
    assertThat(s.get("message").asText()).contains("1 of 3 workers had no address after 600s");
  }

  @Test
  void aSweepsDistributedTrialIsRetriedAsANewGangAndStaysOneTrial(TestNamespace ns)
      throws IOException {
    spec("sim.mlscale.dev/duration: 1s, sim.mlscale.dev/exit-code-indexes: '0=0,1=3,2=0'", 1);
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: gs
            job: job.yaml
            objective: {metric: loss, goal: minimize}
            algorithm: random
            seed: 3
            space: {lr: {uniform: [0.01, 0.1]}}
            budget: {max_trials: 2, max_parallel: 2}
            """);
    CliHarness.Result r =
        mlscale("sweep", "run", sweep.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.err()).contains("no trial completed: 2 failed");
    List<Job> jobs =
        ns.client()
            .batch()
            .v1()
            .jobs()
            .withLabel(dev.mlscale.sweep.ClusterTrials.SWEEP)
            .list()
            .getItems();
    String id = jobs.get(0).getMetadata().getLabels().get(dev.mlscale.sweep.ClusterTrials.SWEEP);
    assertThat(jobs)
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder(id + "-t0", id + "-t0-a2", id + "-t1", id + "-t1-a2");
    // each retried gang is a whole new Job with its own Service
    assertThat(ns.client().services().list().getItems()).hasSize(4);
    JsonNode show =
        JSON.readTree(
            mlscale("sweep", "show", id, "-o", "json", "--target", "k8s", "-n", ns.name()).out());
    assertThat(show.get("trials")).hasSize(2);
    assertThat(show.get("trials"))
        .allSatisfy(t -> assertThat(t.get("state").asText()).isEqualTo("FAILED"));
  }

  @Test
  void eachRowOfADistributedJobIsAGangOfItsOwnAtMostParallelismAtOnce(TestNamespace ns)
      throws IOException {
    Path spec =
        rowsSpec(
            "sim.mlscale.dev/duration: 2s, sim.mlscale.dev/message-0: '{\"loss\": 0.5}',"
                + " sim.mlscale.dev/message-1: '{\"loss\": 9}'",
            0,
            1);
    CliHarness.Result dry = mlscale("render", spec.toString(), "-n", ns.name(), "--server-dry-run");
    assertThat(dry.exit()).as(dry.err()).isZero();
    // per row: its files ConfigMap, its Service, its Job
    assertThat(dry.err()).contains("accepts all 6 objects");
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isZero();
    String run = r.err().lines().filter(l -> l.startsWith("▶ ")).findFirst().orElseThrow();
    run = run.split("\\s+")[1].replaceFirst("-r0$", ""); // the first row's id
    List<Job> jobs = ns.client().batch().v1().jobs().list().getItems();
    assertThat(jobs)
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder(run + "-r0", run + "-r1");
    assertThat(jobs).allSatisfy(j -> assertThat(j.getSpec().getCompletions()).isEqualTo(2));
    assertThat(ns.client().services().list().getItems())
        .extracting(x -> x.getMetadata().getName())
        .containsExactlyInAnyOrder(run + "-r0", run + "-r1");
    // parallelism 1: the second row's gang was created once the first had finished
    Job r0 = ns.client().batch().v1().jobs().withName(run + "-r0").get();
    Job r1 = ns.client().batch().v1().jobs().withName(run + "-r1").get();
    assertThat(java.time.Instant.parse(r1.getMetadata().getCreationTimestamp()))
        .isAfterOrEqualTo(java.time.Instant.parse(r0.getStatus().getCompletionTime()));
    // each row is a run of its own, with worker 0's metrics, from any machine
    for (String row : List.of(run + "-r0", run + "-r1")) {
      JsonNode s = JSON.readTree(mlscale("status", row, "-o", "json").out());
      assertThat(s.get("state").asText()).as(row).isEqualTo("Succeeded");
      assertThat(s.get("metrics").get("loss").asDouble()).isEqualTo(0.5);
    }
  }

  @Test
  void aFailedRowsGangIsRetriedWholeAsANewJob(TestNamespace ns) throws IOException {
    Path spec =
        rowsSpec(
            "sim.mlscale.dev/duration: 1s, sim.mlscale.dev/exit-code-indexes: '0=0,1=3'", 1, 2);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err()).contains("a new Job starts all 2 workers again");
    String run = r.err().lines().filter(l -> l.startsWith("▶ ")).findFirst().orElseThrow();
    run = run.split("\\s+")[1].replaceFirst("-r0$", ""); // the first row's id
    assertThat(ns.client().batch().v1().jobs().list().getItems())
        .extracting(j -> j.getMetadata().getName())
        .containsExactlyInAnyOrder(run + "-r0", run + "-r0-a2", run + "-r1", run + "-r1-a2");
  }
}

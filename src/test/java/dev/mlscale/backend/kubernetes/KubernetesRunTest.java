package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mlscale run --target k8s against the real test cluster (API server, scheduler, Job controller;
 * pods simulated by KWOK through the sim.mlscale.dev annotations).
 */
@ClusterTest
class KubernetesRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  private CliHarness.Result mlscale(String... args) {
    return new CliHarness(home)
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .run(args);
  }

  private Path spec(String yaml) throws IOException {
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    return Files.writeString(work.resolve("job.yaml"), yaml);
  }

  private JsonNode onlyRun() throws IOException {
    JsonNode runs = JSON.readTree(mlscale("ls", "-o", "json").out());
    assertThat(runs).hasSize(1);
    return JSON.readTree(mlscale("status", runs.get(0).get("run").asText(), "-o", "json").out());
  }

  @Test
  void basicJobRunsOnTheTrainCpuPoolAndReportsItsMetrics(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: basic
            image: python:3.11-slim
            command: [python, train.py]
            args: ["${params.epochs}"]
            params: {epochs: 3}
            resources: {cpu: 500m, memory: 1Gi}
            kubernetes:
              node_pool: train-cpu
              pod_annotations:
                sim.mlscale.dev/duration: 1s
                sim.mlscale.dev/message: '{"accuracy": 0.93, "loss": 0.2, "step": 3}'
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("Running on node train-cpu-").contains("metrics: accuracy=0.93");
    // the pod's output, streamed while it ran (KWOK serves testenv/sim/pod.log for every pod)
    assertThat(r.out()).contains("simulated pod output: KWOK ran no program in this container");
    JsonNode s = onlyRun();
    assertThat(s.get("state").asText()).isEqualTo("Succeeded");
    assertThat(s.get("target").asText()).isEqualTo("kubernetes");
    Pod pod =
        ns.client()
            .pods()
            .withLabel("mlscale.dev/run", s.get("run").asText())
            .list()
            .getItems()
            .get(0);
    assertThat(pod.getSpec().getNodeName()).startsWith("train-cpu-");
    assertThat(pod.getSpec().getContainers().get(0).getCommand())
        .containsExactly("python", "train.py", "3");
    // the params ConfigMap belongs to the Job, so deleting the Job deletes it too
    assertThat(
            ns.client()
                .configMaps()
                .withName(s.get("run").asText() + "-files")
                .get()
                .getMetadata()
                .getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getKind()).isEqualTo("Job"));
  }

  @Test
  void oomKilledJobIsExplainedWithItsLimitAndTheFix(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: oom
            image: python:3.11-slim
            command: [python, train_oom.py]
            resources: {cpu: 500m, memory: 3Gi}
            kubernetes: {pod_annotations: {sim.mlscale.dev/oom: "true"}}
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).isEqualTo(1);
    JsonNode s = onlyRun();
    assertThat(s.get("reason").asText()).isEqualTo("OOMKilled");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
    assertThat(s.get("message").asText()).contains("memory limit of 3Gi").contains("on_oom");
  }

  @Test
  void gpuJobLandsOnTheGpuPool(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: gpu
            image: python:3.11-slim
            command: [python, train.py]
            resources: {cpu: 1, memory: 2Gi, gpus: 1}
            kubernetes: {gpu_product: NVIDIA-A100-SXM4-40GB}
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("Running on node train-gpu-");
  }

  @Test
  void unschedulableJobIsExplainedWithTheSchedulersReason(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: greedy
            image: python:3.11-slim
            command: [python, train.py]
            resources: {gpus: 8}
            timeout: 5s
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("Unschedulable: 0/")
        .contains("Insufficient nvidia.com/gpu")
        .contains("no node of any pool is big enough for it")
        .contains("train-gpu=8 CPU, 2 GPU");
    assertThat(onlyRun().get("reason").asText()).isEqualTo("DeadlineExceeded");
  }

  @Test
  void failFastExitCodeFailsAtOnceThroughThePodFailurePolicy(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: usage
            image: python:3.11-slim
            command: [python, train.py]
            retries: {limit: 3, fail_fast_exit_codes: [2]}
            kubernetes: {pod_annotations: {sim.mlscale.dev/exit-code: "2"}}
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).isEqualTo(1);
    JsonNode s = onlyRun();
    assertThat(s.get("reason").asText()).isEqualTo("Error");
    assertThat(s.get("message").asText())
        .contains("exited with code 2, one of fail_fast_exit_codes");
    assertThat(
            ns.client()
                .pods()
                .withLabel("mlscale.dev/run", s.get("run").asText())
                .list()
                .getItems())
        .hasSize(1);
  }

  @Test
  void modelStorageClaimIsMountedPerRun(TestNamespace ns) throws IOException {
    ns.client()
        .persistentVolumeClaims()
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName("model-storage")
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteMany")
                .withStorageClassName("nfs-storage")
                .withNewResources()
                .addToRequests("storage", new Quantity("10Gi"))
                .endResources()
                .endSpec()
                .build())
        .create();
    ns.client()
        .persistentVolumeClaims()
        .withName("model-storage")
        .waitUntilCondition(
            c -> c != null && c.getStatus() != null && "Bound".equals(c.getStatus().getPhase()),
            60,
            TimeUnit.SECONDS);
    Path spec =
        spec(
            """
            name: saver
            image: python:3.11-slim
            command: [python, train.py]
            outputs: {model: mnist}
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    String run = onlyRun().get("run").asText();
    Pod pod = ns.client().pods().withLabel("mlscale.dev/run", run).list().getItems().get(0);
    assertThat(pod.getSpec().getContainers().get(0).getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/mlscale/output");
              assertThat(m.getSubPath()).isEqualTo("models/mnist/" + run);
            });
  }

  @Test
  void missingNamespaceAndClaimAreUserErrorsThatCreateNothing(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: saver
            image: python:3.11-slim
            command: [python, train.py]
            outputs: {model: mnist}
            """);
    CliHarness.Result noNs = mlscale("run", spec.toString(), "--target", "k8s", "-n", "no-such-ns");
    assertThat(noNs.exit()).isEqualTo(2);
    assertThat(noNs.err()).contains("namespace 'no-such-ns' does not exist");
    CliHarness.Result noClaim = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(noClaim.exit()).isEqualTo(2);
    assertThat(noClaim.err())
        .contains("claim 'model-storage' does not exist in namespace " + ns.name());
    assertThat(ns.client().batch().v1().jobs().list().getItems()).isEmpty();
    assertThat(
            ns.client()
                .configMaps()
                .withLabel("app.kubernetes.io/managed-by", "mlscale")
                .list()
                .getItems())
        .isEmpty();
  }

  @Test
  void renderedObjectsPassTheApiServersValidation(TestNamespace ns) {
    for (String name : List.of("basic", "gpu")) {
      CliHarness.Result r =
          mlscale(
              "render",
              "src/test/resources/render/" + name + "/job.yaml",
              "-n",
              ns.name(),
              "--server-dry-run");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err()).contains("accepts all 2 objects");
    }
    assertThat(ns.client().batch().v1().jobs().list().getItems()).isEmpty();
  }

  @Test
  void unreachableApiServerIsAnEnvironmentError(@TempDir Path dir) throws IOException {
    Path kubeconfig =
        Files.writeString(
            dir.resolve("config"),
            """
        apiVersion: v1
        kind: Config
        clusters: [{name: gone, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: t}}]
        contexts: [{name: gone, context: {cluster: gone, user: u}}]
        current-context: gone
        """);
    Path spec = spec("name: x\nimage: i\ncommand: [python, train.py]\n");
    CliHarness.Result r =
        mlscale("run", spec.toString(), "--target", "k8s", "--kubeconfig", kubeconfig.toString());
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("cannot reach the API server").contains("context gone");
    CliHarness.Result badContext =
        mlscale(
            "run",
            spec.toString(),
            "--target",
            "k8s",
            "--kubeconfig",
            kubeconfig.toString(),
            "--context",
            "nope");
    assertThat(badContext.exit()).isEqualTo(2);
    assertThat(badContext.err()).contains("context 'nope'");
  }

  @Test
  void rowsRunAsOneIndexedJobWithAParallelismCap(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: rows
            image: python:3.11-slim
            command: [python, train.py]
            args: ["${params.activation}"]
            params: {activation: relu}
            rows: [{activation: relu}, {activation: tanh}, {activation: softmax}, {activation: elu}]
            parallelism: 2
            resources: {cpu: 1, memory: 4Gi}
            kubernetes:
              pod_annotations:
                sim.mlscale.dev/duration: 1s
                sim.mlscale.dev/message: '{"accuracy": 0.9}'
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("4/4 done, 4 succeeded, 0 failed");
    var jobs = ns.client().batch().v1().jobs().list().getItems();
    assertThat(jobs)
        .singleElement()
        .satisfies(
            job -> {
              assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
              assertThat(job.getSpec().getParallelism()).isEqualTo(2);
              assertThat(job.getStatus().getSucceeded()).isEqualTo(4);
            });
    JsonNode runs = JSON.readTree(mlscale("ls", "-o", "json").out());
    assertThat(runs).hasSize(4);
    for (JsonNode run : runs) {
      assertThat(run.get("state").asText()).isEqualTo("Succeeded");
      assertThat(run.get("metrics").get("accuracy").asDouble()).isEqualTo(0.9);
    }
  }

  @Test
  void lsAndStatusReadTheClusterNotTheLocalStore(TestNamespace ns, @TempDir Path otherHome)
      throws IOException {
    Path spec =
        spec(
            """
            name: rows
            image: python:3.11-slim
            command: [python, train.py]
            rows: [{lr: 0.1}, {lr: 0.01}]
            kubernetes:
              pod_annotations: {sim.mlscale.dev/message: '{"accuracy": 0.5}'}
            """);
    assertThat(mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name()).exit()).isZero();
    // another machine: an empty MLSCALE_HOME, only the kubeconfig
    CliHarness elsewhere =
        new CliHarness(otherHome).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    JsonNode jobs =
        JSON.readTree(elsewhere.run("ls", "--target", "k8s", "-n", ns.name(), "-o", "json").out());
    assertThat(jobs).hasSize(1);
    String run = jobs.get(0).get("run").asText();
    assertThat(jobs.get(0).get("state").asText()).isEqualTo("Succeeded");
    assertThat(jobs.get(0).get("succeeded").asInt()).isEqualTo(2);
    CliHarness.Result row =
        elsewhere.run("status", run + "-r1", "--target", "k8s", "-n", ns.name());
    assertThat(row.exit()).as(row.err()).isZero();
    assertThat(row.out()).contains("Succeeded").contains("accuracy=0.5");
    assertThat(row.out().lines().filter(l -> l.contains(run + "-"))).hasSize(1);
    CliHarness.Result logs = elsewhere.run("logs", run + "-r1", "--target", "k8s", "-n", ns.name());
    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.out()).startsWith("simulated pod output: KWOK ran no program");
    CliHarness.Result missing = elsewhere.run("status", "nope", "--target", "k8s", "-n", ns.name());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("run 'nope' not found");
  }

  @Test
  void cancelStopsTheRunAndDeleteLeavesNothingBehind(TestNamespace ns) throws Exception {
    Path spec =
        spec(
            """
            name: forever
            image: python:3.11-slim
            command: [python, train.py]
            kubernetes: {pod_annotations: {sim.mlscale.dev/hold: "true"}}
            """);
    var running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name()));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(
            () ->
                ns.client().pods().list().getItems().stream()
                    .anyMatch(p -> "Running".equals(p.getStatus().getPhase())));
    String run = ns.client().batch().v1().jobs().list().getItems().get(0).getMetadata().getName();
    CliHarness.Result cancel = mlscale("cancel", run, "--target", "k8s", "-n", ns.name());
    assertThat(cancel.exit()).as(cancel.err()).isZero();
    CliHarness.Result result = running.get(60, TimeUnit.SECONDS);
    assertThat(result.exit()).isEqualTo(130);
    assertThat(
            JSON.readTree(mlscale("ls", "--target", "k8s", "-n", ns.name(), "-o", "json").out())
                .get(0)
                .get("state")
                .asText())
        .isEqualTo("Cancelled");
    ns.client()
        .pods()
        .withLabel("mlscale.dev/run", run)
        .informOnCondition(List::isEmpty)
        .get(60, TimeUnit.SECONDS);

    CliHarness.Result delete = mlscale("delete", run, "--target", "k8s", "-n", ns.name());
    assertThat(delete.exit()).as(delete.err()).isZero();
    assertThat(ns.client().batch().v1().jobs().list().getItems()).isEmpty();
    ns.client()
        .configMaps()
        .withLabel("mlscale.dev/run", run)
        .informOnCondition(List::isEmpty)
        .get(60, TimeUnit.SECONDS);
  }

  @Test
  void aLostNodeIsADisruptionThatDoesNotCountAsAFailure(
      TestNamespace ns, dev.mlscale.testenv.NodeControl nodes) throws Exception {
    Path spec =
        spec(
            """
            name: survivor
            image: python:3.11-slim
            command: [python, train.py]
            retries: 0
            kubernetes:
              node_pool: train-cpu
              pod_annotations: {sim.mlscale.dev/duration: 75s}
            """);
    var running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name()));
    Pod first =
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(60))
            .until(
                () ->
                    ns.client().pods().list().getItems().stream()
                        .filter(p -> "Running".equals(p.getStatus().getPhase()))
                        .findFirst()
                        .orElse(null),
                java.util.Objects::nonNull);
    nodes.deleteNode(first.getSpec().getNodeName());
    CliHarness.Result r = running.get(4, TimeUnit.MINUTES);
    // retries: 0, yet the run succeeds: the lost pod is a disruption, ignored by the
    // podFailurePolicy, and the Job controller ran a replacement on another node
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(
            ns.client().pods().list().getItems().stream()
                .filter(p -> "Succeeded".equals(p.getStatus().getPhase()))
                .map(p -> p.getSpec().getNodeName()))
        .singleElement()
        .isNotEqualTo(first.getSpec().getNodeName());
    assertThat(r.err()).contains("was lost");
  }

  @Test
  void onOomRunsANewJobWithMoreMemoryThatSucceeds(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: hungry
            image: python:3.11-slim
            command: [python, train.py]
            resources: {cpu: 500m, memory: 2Gi}
            on_oom: {increase: 2x, max: 8Gi}
            kubernetes:
              pod_annotations:
                sim.mlscale.dev/oom-below: 4Gi
                sim.mlscale.dev/message: '{"accuracy": 0.8}'
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains("OOMKilled at 2Gi; on_oom: a new Job with 4Gi")
        .contains("after 2 attempts");
    JsonNode s = onlyRun();
    assertThat(s.get("state").asText()).isEqualTo("Succeeded");
    assertThat(s.get("attempts").findValuesAsText("reason"))
        .containsExactly("OOMKilled", "Completed");
    assertThat(s.get("attempts").findValuesAsText("memoryLimit"))
        .containsExactly(Long.toString(2L << 30), Long.toString(4L << 30));
    String run = s.get("run").asText();
    assertThat(
            ns.client().batch().v1().jobs().list().getItems().stream()
                .map(j -> j.getMetadata().getName()))
        .containsExactlyInAnyOrder(run, run + "-a2");
  }

  @Test
  void workshopStepFiveOnTheClusterOnlyTheLeakyRowDies(TestNamespace ns) throws IOException {
    Path spec =
        spec(
            """
            name: multi
            image: python:3.11-slim
            command: [python, train.py]
            args: ["${params.activation}"]
            params: {activation: relu}
            rows: [{activation: relu}, {activation: tanh}, {activation: softmax}, {waste_mb: 1500}]
            parallelism: 2
            resources: {cpu: 1200m, memory: 4200Mi}
            kubernetes:
              node_pool: train-cpu
              pod_annotations:
                sim.mlscale.dev/oom-indexes: "3"
                sim.mlscale.dev/message: '{"accuracy": 0.9}'
                sim.mlscale.dev/message-1: '{"accuracy": 0.95}'
            """);
    CliHarness.Result r = mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("4/4 done, 3 succeeded, 1 failed");
    JsonNode runs = JSON.readTree(mlscale("ls", "-o", "json").out());
    java.util.Map<String, JsonNode> byRun = new java.util.TreeMap<>();
    runs.forEach(run -> byRun.put(run.get("run").asText(), run));
    List<JsonNode> rows = List.copyOf(byRun.values());
    assertThat(rows).hasSize(4);
    assertThat(rows.get(3).get("reason").asText()).isEqualTo("OOMKilled");
    assertThat(rows.get(3).get("message").asText()).contains("memory limit of 4200Mi");
    for (int i = 0; i < 3; i++) {
      assertThat(rows.get(i).get("state").asText()).isEqualTo("Succeeded");
    }
    assertThat(rows.get(1).get("metrics").get("accuracy").asDouble()).isEqualTo(0.95);
    assertThat(rows.get(0).get("metrics").get("accuracy").asDouble()).isEqualTo(0.9);
    String job = rows.get(0).get("run").asText().replaceFirst("-r0$", "");
    CliHarness.Result status = mlscale("status", job, "--target", "k8s", "-n", ns.name());
    assertThat(status.out()).contains("OOMKilled").contains("3 of 4 succeeded, 1 failed");
  }

  @Test
  void aMissingRbacPermissionIsAUserErrorThatNamesTheFix(TestNamespace ns, @TempDir Path dir)
      throws IOException {
    ns.client()
        .serviceAccounts()
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                .withNewMetadata()
                .withName("nobody")
                .endMetadata()
                .build())
        .create();
    String token =
        ns.client()
            .serviceAccounts()
            .withName("nobody")
            .tokenRequest(
                new io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    String server = TestCluster.get().client().getConfiguration().getMasterUrl();
    Path kubeconfig =
        Files.writeString(
            dir.resolve("config"),
            """
        apiVersion: v1
        kind: Config
        clusters: [{name: test, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
        users: [{name: nobody, user: {token: "%s"}}]
        contexts: [{name: nobody, context: {cluster: test, user: nobody}}]
        current-context: nobody
        """
                .formatted(server, token));
    Path spec = spec("name: x\nimage: i\ncommand: [python, train.py]\n");
    CliHarness.Result r =
        mlscale(
            "run",
            spec.toString(),
            "--target",
            "k8s",
            "--kubeconfig",
            kubeconfig.toString(),
            "-n",
            ns.name());
    assertThat(r.exit()).as(r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("not allowed to")
        .contains(ns.name())
        .contains("ask for an RBAC role that allows it");
    assertThat(ns.client().batch().v1().jobs().list().getItems()).isEmpty();
  }
}

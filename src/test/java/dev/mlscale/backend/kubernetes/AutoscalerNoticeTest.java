package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What mlscale says while a run waits for a node that the cluster autoscaler adds. The real
 * cluster-autoscaler is not in the test cluster (its Go modules are not served here), so this test
 * does its two visible acts by hand, the way it does them: a core/v1 Event from source {@code
 * cluster-autoscaler} on the waiting pod (reason TriggeredScaleUp, its message format), then a new
 * node of the group (a KWOK node with the pool's {@code role} label). It proves mlscale's side: the
 * live line and {@code status} say which group grows, and the run starts on the new node.
 */
@ClusterTest
class AutoscalerNoticeTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  private CliHarness.Result mlscale(String... args) {
    return new CliHarness(home)
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .run(args);
  }

  @Test
  void aRunWaitingForANodeSaysTheAutoscalerIsAddingOneAndStartsOnIt(TestNamespace ns)
      throws Exception {
    String pool = "grow-" + ns.name();
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: waits
            image: python:3.11-slim
            command: [python, train.py]
            resources: {cpu: 1, memory: 1Gi}
            kubernetes:
              node_pool: %s
              pod_annotations: {sim.mlscale.dev/duration: 1s}
            """
                .formatted(pool));
    KubernetesClient admin = TestCluster.get().client();
    CompletableFuture<CliHarness.Result> run =
        CompletableFuture.supplyAsync(
            () -> mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name()));
    Pod pod =
        await("the run's pod to be Unschedulable (no node has role=" + pool + ")")
            .atMost(Duration.ofMinutes(1))
            .until(() -> unschedulable(ns), Optional::isPresent)
            .orElseThrow();
    String runId = pod.getMetadata().getLabels().get("mlscale.dev/run");
    ns.client()
        .v1()
        .events()
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName(pod.getMetadata().getName() + ".scaleup")
                .withNamespace(ns.name())
                .endMetadata()
                .withNewInvolvedObject()
                .withApiVersion("v1")
                .withKind("Pod")
                .withName(pod.getMetadata().getName())
                .withNamespace(ns.name())
                .withUid(pod.getMetadata().getUid())
                .endInvolvedObject()
                .withNewSource()
                .withComponent("cluster-autoscaler")
                .endSource()
                .withType("Normal")
                .withReason("TriggeredScaleUp")
                .withMessage("pod triggered scale-up: [{" + pool + " 0->1 (max: 2)}]")
                .withFirstTimestamp(Instant.now().toString())
                .withLastTimestamp(Instant.now().toString())
                .withCount(1)
                .build())
        .create();
    String says =
        "the cluster autoscaler is adding a node to node group "
            + pool
            + " (0 → 1 node, at most 2)";
    JsonNode waiting =
        await("status to say the autoscaler adds a node")
            .atMost(Duration.ofSeconds(30))
            .until(
                () ->
                    JSON.readTree(
                        mlscale("status", runId, "--target", "k8s", "-n", ns.name(), "-o", "json")
                            .out()),
                s -> s.path("reason").asText().contains(says));
    assertThat(waiting.get("state").asText()).isEqualTo("Pending");
    assertThat(waiting.get("reason").asText()).contains("Unschedulable");

    Node node = admin.nodes().resource(node(pool)).create();
    try {
      CliHarness.Result r = run.get(2, TimeUnit.MINUTES);
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err())
          .contains(pod.getMetadata().getName() + ": " + says)
          .contains("Running on node " + pool + "-0");
    } finally {
      admin.nodes().resource(node).delete();
    }
  }

  private static Optional<Pod> unschedulable(TestNamespace ns) {
    return ns.client().pods().list().getItems().stream()
        .filter(
            p ->
                p.getStatus() != null
                    && p.getStatus().getConditions() != null
                    && p.getStatus().getConditions().stream()
                        .anyMatch(
                            c ->
                                "PodScheduled".equals(c.getType())
                                    && "Unschedulable".equals(c.getReason())))
        .findFirst();
  }

  /** A simulated node of the group, as the autoscaler's kwok provider makes from its template. */
  private static Node node(String pool) {
    Map<String, Quantity> size =
        Map.of(
            "cpu", new Quantity("4"),
            "memory", new Quantity("16Gi"),
            "pods", new Quantity("110"));
    return new NodeBuilder()
        .withNewMetadata()
        .withName(pool + "-0")
        .withAnnotations(Map.of("kwok.x-k8s.io/node", "fake"))
        .withLabels(
            Map.of(
                "role",
                pool,
                "kubernetes.io/hostname",
                pool + "-0",
                "kubernetes.io/os",
                "linux",
                "kubernetes.io/arch",
                "amd64"))
        .endMetadata()
        .withNewStatus()
        .withAllocatable(size)
        .withCapacity(size)
        .endStatus()
        .build();
  }
}

package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@ClusterTest
class NodeLossTest {

  private static final String JOB_LABEL = "batch.kubernetes.io/job-name";

  @Test
  void deletingTheNodeOfARunningPodMakesTheJobControllerReplaceIt(
      KubernetesClient client, NodeControl nodes) {
    // 10s of work: without the node-loss freeze the first pod would simply finish on the
    // deleted node (before pod GC's 40s quarantine) and no replacement would be made.
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName("long-train")
            .endMetadata()
            .withNewSpec()
            .withBackoffLimit(3)
            .withNewTemplate()
            .withNewMetadata()
            .addToAnnotations(Sim.DURATION, "10s")
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withNodeSelector(Map.of(TestCluster.ROLE_LABEL, "train-cpu"))
            .withContainers(Sim.container("train"))
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.batch().v1().jobs().resource(job).create();
    Pod first =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> runningPod(client, null), p -> p != null);
    String lostNode = first.getSpec().getNodeName();

    nodes.deleteNode(lostNode);

    // The pod GC controller removes pods bound to a node that no longer exists (after a ~40s
    // quarantine); the Job controller counts the failure and creates a replacement.
    Pod replacement =
        await()
            .atMost(Duration.ofMinutes(3))
            .pollInterval(Duration.ofSeconds(1))
            .until(() -> runningPod(client, first.getMetadata().getUid()), p -> p != null);
    assertThat(replacement.getSpec().getNodeName()).isNotEqualTo(lostNode);

    Job done =
        client
            .batch()
            .v1()
            .jobs()
            .withName("long-train")
            .waitUntilCondition(
                j -> Sim.condition(j, "Complete").isPresent(), 90, TimeUnit.SECONDS);
    assertThat(done.getStatus().getSucceeded()).isEqualTo(1);
    assertThat(done.getStatus().getFailed()).isEqualTo(1);
  }

  /** A running pod of the long-train Job other than the one with uid {@code except}. */
  private static Pod runningPod(KubernetesClient client, String except) {
    List<Pod> pods = client.pods().withLabel(JOB_LABEL, "long-train").list().getItems();
    return pods.stream()
        .filter(p -> !p.getMetadata().getUid().equals(except))
        .filter(p -> Sim.hasPhase(p, "Running"))
        .findFirst()
        .orElse(null);
  }

  @Test
  void notReadyNodeGetsTheNotReadyTaint(TestCluster cluster, NodeControl nodes) {
    String name = cluster.nodeNames("default").get(0);

    Node notReady = nodes.makeNodeNotReady(name);

    assertThat(TestCluster.isReady(notReady)).isFalse();
    // The node lifecycle controller (real kube-controller-manager) reacts with a NoExecute taint.
    cluster
        .client()
        .nodes()
        .withName(name)
        .waitUntilCondition(
            n ->
                n.getSpec().getTaints() != null
                    && n.getSpec().getTaints().stream()
                        .anyMatch(
                            t ->
                                "node.kubernetes.io/not-ready".equals(t.getKey())
                                    && "NoExecute".equals(t.getEffect())),
            60,
            TimeUnit.SECONDS);

    Node ready = nodes.makeNodeReady(name);
    assertThat(TestCluster.isReady(ready)).isTrue();
    assertThat(TestCluster.hasLifecycleTaint(ready)).isFalse();
  }
}

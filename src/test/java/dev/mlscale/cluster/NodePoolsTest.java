package dev.mlscale.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pools table and the node and GPU lines, from node objects as the API server gives them. */
class NodePoolsTest {
  static Node node(String name, String role, boolean ready, String cpu, String memory, int gpus) {
    var b =
        new NodeBuilder()
            .withNewMetadata()
            .withName(name)
            .withLabels(role == null ? Map.of() : Map.of("role", role))
            .endMetadata()
            .withNewStatus()
            .addNewCondition()
            .withType("Ready")
            .withStatus(ready ? "True" : "False")
            .endCondition()
            .addToAllocatable("cpu", new Quantity(cpu))
            .addToAllocatable("memory", new Quantity(memory));
    if (gpus > 0) {
      b.addToAllocatable("nvidia.com/gpu", new Quantity(Integer.toString(gpus)));
    }
    return b.endStatus().build();
  }

  @Test
  void poolsSumTheReadyNodesOfEachRole() {
    NodePools p =
        NodePools.of(
            List.of(
                node("a", "train-cpu", true, "4", "16Gi", 0),
                node("b", "train-cpu", true, "3500m", "8Gi", 0),
                node("c", "train-cpu", false, "4", "16Gi", 0),
                node("g", "train-gpu", true, "8", "64Gi", 2),
                node("x", null, true, "2", "512Mi", 0)));
    assertThat(p.pools())
        .containsExactly(
            new NodePool("(none)", 1, 1, "2", "512Mi", 0, null),
            new NodePool("train-cpu", 3, 2, "7500m", "24Gi", 0, null),
            new NodePool("train-gpu", 1, 1, "8", "64Gi", 2, null));
    assertThat(p.checks().get(0).status()).isEqualTo(CheckStatus.OK);
    assertThat(p.checks().get(0).detail())
        .isEqualTo("4 of 5 nodes Ready in 3 pool(s) by label 'role'");
    assertThat(p.checks().get(1).detail()).isEqualTo("2 GPU(s) advertised in pool(s) train-gpu");
  }

  @Test
  void noReadyNodeBlocksAndNoGpuIsOnlyAWarning() {
    NodePools p = NodePools.of(List.of(node("a", "x", false, "4", "16Gi", 0)));
    assertThat(p.checks().get(0).blocks()).isTrue();
    assertThat(p.checks().get(1).status()).isEqualTo(CheckStatus.MISSING);
    assertThat(p.checks().get(1).blocks()).isFalse();
    assertThat(p.checks().get(1).fix()).contains("nvidia-device-plugin");
  }

  @Test
  void theFixNamesTheUserTheApiServerSaw() {
    assertThat(ClusterChecker.subjectFlag("system:serviceaccount:ml:ci", "ml"))
        .isEqualTo("--service-account ci");
    assertThat(ClusterChecker.subjectFlag("system:serviceaccount:tools:bot", "ml"))
        .isEqualTo("--service-account tools:bot");
    assertThat(ClusterChecker.subjectFlag("alice@example.com", "ml"))
        .isEqualTo("--user alice@example.com");
  }
}

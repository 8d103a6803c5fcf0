package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.spec.CpuQuantity;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plain-words explanations of pod states, and which pools could fit a job. Pure. */
class ExplainTest {
  private static Pod waiting(String reason, String message) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p")
        .endMetadata()
        .withNewSpec()
        .withNodeName("n1")
        .endSpec()
        .withNewStatus()
        .withPhase("Pending")
        .addNewContainerStatus()
        .withName("main")
        .withImage("registry.example/ml:v9")
        .withNewState()
        .withNewWaiting()
        .withReason(reason)
        .withMessage(message)
        .endWaiting()
        .endState()
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void imagePullProblemsNameTheImageAndTheFix() {
    assertThat(PodExplainer.describe(waiting("ImagePullBackOff", "Back-off pulling image")))
        .isEqualTo(
            "cannot pull image registry.example/ml:v9 (ImagePullBackOff): Back-off pulling"
                + " image; check the image name and the registry credentials (imagePullSecrets)");
    assertThat(PodExplainer.describe(waiting("ContainerCreating", null)))
        .isEqualTo("Pending on node n1");
  }

  @Test
  void unschedulablePodsQuoteTheScheduler() {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .endMetadata()
            .withNewSpec()
            .endSpec()
            .withNewStatus()
            .withPhase("Pending")
            .addNewCondition()
            .withType("PodScheduled")
            .withStatus("False")
            .withReason("Unschedulable")
            .withMessage("0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
            .endCondition()
            .endStatus()
            .build();
    assertThat(PodExplainer.describe(pod))
        .startsWith("Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu.")
        .contains("mlscale keeps waiting");
  }

  private static Node node(String role, String cpu, String memory, String gpus) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(role + "-0")
        .addToLabels("role", role)
        .endMetadata()
        .withNewStatus()
        .addToAllocatable("cpu", new Quantity(cpu))
        .addToAllocatable("memory", new Quantity(memory))
        .addToAllocatable("nvidia.com/gpu", new Quantity(gpus))
        .endStatus()
        .build();
  }

  @Test
  void poolsThatCouldFitAreNamed() {
    List<Node> nodes =
        List.of(
            node("train-cpu", "4", "16Gi", "0"),
            node("train-mem", "4", "64Gi", "0"),
            node("train-gpu", "8", "64Gi", "2"));
    Resources big = new Resources(CpuQuantity.parse("2"), MemorySize.parse("32Gi"), 0);
    assertThat(PoolFit.hint(nodes, big))
        .isEqualTo("pools with nodes big enough when free: train-gpu, train-mem");
    Resources huge = new Resources(CpuQuantity.parse("2"), MemorySize.parse("1Gi"), 4);
    assertThat(PoolFit.hint(nodes, huge)).startsWith("no node of any pool is big enough");
  }
}

package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@ClusterTest
class GpuSchedulingTest {

  @Test
  void gpuJobRunsOnlyOnGpuNodesAndCompletes(KubernetesClient client, TestCluster cluster) {
    Job job =
        new JobBuilder()
            .withNewMetadata()
            .withName("gpu-train")
            .endMetadata()
            .withNewSpec()
            .withCompletions(3)
            .withParallelism(3)
            .withBackoffLimit(0)
            .withNewTemplate()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withTolerations(Sim.gpuToleration())
            .addNewContainerLike(Sim.container("train"))
            .withNewResources()
            .addToRequests(Sim.GPU, new Quantity("1"))
            .addToLimits(Sim.GPU, new Quantity("1"))
            .addToRequests("cpu", new Quantity("1"))
            .addToRequests("memory", new Quantity("2Gi"))
            .endResources()
            .endContainer()
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    client.batch().v1().jobs().resource(job).create();

    Job done =
        client
            .batch()
            .v1()
            .jobs()
            .withName("gpu-train")
            .waitUntilCondition(
                j ->
                    Sim.condition(j, "Complete").isPresent()
                        || Sim.condition(j, "Failed").isPresent(),
                120,
                TimeUnit.SECONDS);

    assertThat(Sim.condition(done, "Complete"))
        .as("Job conditions: %s", done.getStatus().getConditions())
        .isPresent();
    assertThat(done.getStatus().getSucceeded()).isEqualTo(3);
    List<String> gpuNodes = cluster.nodeNames("train-gpu");
    assertThat(gpuNodes).hasSize(2);
    List<Pod> pods =
        client.pods().withLabel("batch.kubernetes.io/job-name", "gpu-train").list().getItems();
    assertThat(pods)
        .hasSize(3)
        .allSatisfy(
            p -> {
              assertThat(p.getSpec().getNodeName()).isIn(gpuNodes);
              assertThat(p.getStatus().getPhase()).isEqualTo("Succeeded");
            });
  }

  @Test
  void podAskingForMoreGpusThanAnyNodeHasStaysPending(KubernetesClient client) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("too-many-gpus")
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withTolerations(Sim.gpuToleration())
            .addNewContainerLike(Sim.container("train"))
            .withNewResources()
            .addToRequests(Sim.GPU, new Quantity("3"))
            .addToLimits(Sim.GPU, new Quantity("3"))
            .endResources()
            .endContainer()
            .endSpec()
            .build();
    client.pods().resource(pod).create();

    Pod pending =
        client
            .pods()
            .withName("too-many-gpus")
            .waitUntilCondition(
                p ->
                    Sim.condition(p, "PodScheduled")
                        .filter(c -> "False".equals(c.getStatus()))
                        .isPresent(),
                60,
                TimeUnit.SECONDS);

    PodCondition scheduled = Sim.condition(pending, "PodScheduled").orElseThrow();
    assertThat(scheduled.getReason()).isEqualTo("Unschedulable");
    assertThat(scheduled.getMessage()).contains("Insufficient nvidia.com/gpu");
    assertThat(pending.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(pending.getSpec().getNodeName()).isNull();
  }
}

package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@ClusterTest
class JobFailureTest {

  private static Job job(String name, Map<String, String> podAnnotations) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withNewTemplate()
        .withNewMetadata()
        .withAnnotations(podAnnotations)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withContainers(Sim.container("train"))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static Pod onlyPod(KubernetesClient client, String job) {
    List<Pod> pods = client.pods().withLabel("batch.kubernetes.io/job-name", job).list().getItems();
    assertThat(pods).hasSize(1);
    return pods.get(0);
  }

  @Test
  void oomKilledPodFailsJobWithoutRetries(KubernetesClient client) {
    client.batch().v1().jobs().resource(job("oom", Map.of(Sim.OOM, "true"))).create();

    Job failed =
        client
            .batch()
            .v1()
            .jobs()
            .withName("oom")
            .waitUntilCondition(j -> Sim.condition(j, "Failed").isPresent(), 90, TimeUnit.SECONDS);

    assertThat(Sim.condition(failed, "Failed").orElseThrow().getReason())
        .isEqualTo("BackoffLimitExceeded");
    assertThat(failed.getStatus().getFailed()).isEqualTo(1);
    Pod pod = onlyPod(client, "oom");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
    ContainerStateTerminated terminated = Sim.terminated(pod).orElseThrow();
    assertThat(terminated.getReason()).isEqualTo("OOMKilled");
    assertThat(terminated.getExitCode()).isEqualTo(137);
  }

  @Test
  void exitCodeAnnotationFailsPodWithThatCode(KubernetesClient client) {
    client
        .batch()
        .v1()
        .jobs()
        .resource(job("exit3", Map.of(Sim.EXIT_CODE, "3", Sim.MESSAGE, "bad input")))
        .create();

    client
        .batch()
        .v1()
        .jobs()
        .withName("exit3")
        .waitUntilCondition(j -> Sim.condition(j, "Failed").isPresent(), 90, TimeUnit.SECONDS);

    ContainerStateTerminated terminated = Sim.terminated(onlyPod(client, "exit3")).orElseThrow();
    assertThat(terminated.getExitCode()).isEqualTo(3);
    assertThat(terminated.getReason()).isEqualTo("Error");
    assertThat(terminated.getMessage()).isEqualTo("bad input");
  }
}

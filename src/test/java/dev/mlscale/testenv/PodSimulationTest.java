package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The annotation contract of testenv/kwok.yaml, pod by pod. */
@ClusterTest
class PodSimulationTest {

  private static Pod pod(String name, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withContainers(Sim.container("main"))
        .endSpec()
        .build();
  }

  private static Job job(String name, Map<String, String> annotations, boolean initContainer) {
    JobBuilder builder =
        new JobBuilder()
            .withNewMetadata()
            .withName(name)
            .endMetadata()
            .withNewSpec()
            .withBackoffLimit(0)
            .withNewTemplate()
            .withNewMetadata()
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withRestartPolicy("Never")
            .withContainers(Sim.container("main"))
            .endSpec()
            .endTemplate()
            .endSpec();
    if (initContainer) {
      builder
          .editSpec()
          .editTemplate()
          .editSpec()
          .withInitContainers(Sim.container("unpack-code"))
          .endSpec()
          .endTemplate()
          .endSpec();
    }
    return builder.build();
  }

  private static Pod waitForPhase(KubernetesClient client, String name, String phase) {
    return client
        .pods()
        .withName(name)
        .waitUntilCondition(p -> Sim.hasPhase(p, phase), 60, TimeUnit.SECONDS);
  }

  @Test
  void terminationMessageAppearsInContainerStatus(KubernetesClient client) {
    String metrics = "{\"step\":1,\"loss\":0.9}\n{\"step\":2,\"loss\":0.5}\n";
    client.pods().resource(pod("report", Map.of(Sim.MESSAGE, metrics))).create();

    Pod done = waitForPhase(client, "report", "Succeeded");

    ContainerStateTerminated terminated = Sim.terminated(done).orElseThrow();
    assertThat(terminated.getMessage()).isEqualTo(metrics);
    assertThat(terminated.getExitCode()).isZero();
    assertThat(terminated.getReason()).isEqualTo("Completed");
  }

  @Test
  void durationKeepsPodRunningThenSucceeds(KubernetesClient client) {
    Instant created = Instant.now();
    client.pods().resource(pod("sleeper", Map.of(Sim.DURATION, "4s"))).create();

    waitForPhase(client, "sleeper", "Running");
    waitForPhase(client, "sleeper", "Succeeded");

    assertThat(Duration.between(created, Instant.now()))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
  }

  @Test
  void jobPodWithoutAnnotationsSucceedsQuickly(KubernetesClient client) {
    client.batch().v1().jobs().resource(job("quick", Map.of(), false)).create();

    Job done =
        client
            .batch()
            .v1()
            .jobs()
            .withName("quick")
            .waitUntilCondition(
                j -> Sim.condition(j, "Complete").isPresent(), 60, TimeUnit.SECONDS);

    assertThat(done.getStatus().getSucceeded()).isEqualTo(1);
  }

  @Test
  void initContainersCompleteBeforeTheMainContainerRuns(KubernetesClient client) {
    client.batch().v1().jobs().resource(job("with-init", Map.of(), true)).create();

    client
        .batch()
        .v1()
        .jobs()
        .withName("with-init")
        .waitUntilCondition(j -> Sim.condition(j, "Complete").isPresent(), 60, TimeUnit.SECONDS);

    Pod pod =
        client
            .pods()
            .withLabel("batch.kubernetes.io/job-name", "with-init")
            .list()
            .getItems()
            .get(0);
    ContainerStatus init = pod.getStatus().getInitContainerStatuses().get(0);
    assertThat(init.getName()).isEqualTo("unpack-code");
    assertThat(init.getState().getTerminated().getExitCode()).isZero();
    assertThat(init.getState().getTerminated().getReason()).isEqualTo("Completed");
  }

  @Test
  void holdKeepsJobPodRunning(KubernetesClient client) {
    client.batch().v1().jobs().resource(job("held", Map.of(Sim.HOLD, "true"), false)).create();

    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                client
                    .pods()
                    .withLabel("batch.kubernetes.io/job-name", "held")
                    .list()
                    .getItems()
                    .stream()
                    .anyMatch(p -> Sim.hasPhase(p, "Running")));
    // Well past the default 1s run time it is still running.
    await()
        .during(Duration.ofSeconds(4))
        .atMost(Duration.ofSeconds(8))
        .until(
            () ->
                client
                    .pods()
                    .withLabel("batch.kubernetes.io/job-name", "held")
                    .list()
                    .getItems()
                    .stream()
                    .allMatch(p -> Sim.hasPhase(p, "Running")));
    assertThat(client.batch().v1().jobs().withName("held").get().getStatus().getActive())
        .isEqualTo(1);
  }

  @Test
  void bareRunningPodWithoutAnnotationsKeepsRunning(KubernetesClient client) {
    client.pods().resource(pod("service-like", Map.of())).create();

    waitForPhase(client, "service-like", "Running");

    await()
        .during(Duration.ofSeconds(3))
        .atMost(Duration.ofSeconds(6))
        .until(() -> Sim.hasPhase(client.pods().withName("service-like").get(), "Running"));
  }
}

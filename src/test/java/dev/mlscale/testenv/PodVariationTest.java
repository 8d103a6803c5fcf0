package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The annotations that make one pod behave differently from its siblings (testenv/README.md,
 * "Annotation contract"): per completion index of an Indexed Job, and OOM depending on the memory
 * limit. Every case goes through the real Job controller.
 */
@ClusterTest
class PodVariationTest {

  /** An Indexed Job whose indexes each get one pod and are never retried. */
  private static Job indexedJob(String name, int completions, Map<String, String> annotations) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withCompletionMode("Indexed")
        .withCompletions(completions)
        .withParallelism(completions)
        // A failed index is not retried and does not stop the other indexes.
        .withBackoffLimitPerIndex(0)
        .withNewTemplate()
        .withNewMetadata()
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withContainers(Sim.container("train"))
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static Job jobWithMemoryLimit(
      String name, String limit, Map<String, String> annotations) {
    Job job =
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
            .withContainers(Sim.container("train"), Sim.container("sidecar"))
            .endSpec()
            .endTemplate()
            .endSpec()
            .build();
    // Only the first container's limit counts; the second one has none.
    job.getSpec()
        .getTemplate()
        .getSpec()
        .getContainers()
        .get(0)
        .setResources(
            new ResourceRequirementsBuilder()
                .addToLimits("memory", new Quantity(limit))
                .addToLimits("cpu", new Quantity("1"))
                .build());
    return job;
  }

  private static Job waitForCondition(KubernetesClient client, String job, String condition) {
    return client
        .batch()
        .v1()
        .jobs()
        .withName(job)
        .waitUntilCondition(j -> Sim.condition(j, condition).isPresent(), 90, TimeUnit.SECONDS);
  }

  /** The Job's pods, ordered by completion index. */
  private static List<Pod> podsByIndex(KubernetesClient client, String job) {
    return client.pods().withLabel("batch.kubernetes.io/job-name", job).list().getItems().stream()
        .sorted(Comparator.comparingInt(Sim::completionIndex))
        .toList();
  }

  @Test
  void oomIndexesFailOnlyThatIndex(KubernetesClient client) {
    Map<String, String> annotations = new HashMap<>();
    annotations.put(Sim.OOM_INDEXES, "2");
    annotations.put(Sim.MESSAGE, "{\"accuracy\": 0.5}");
    annotations.put(Sim.messageForIndex(0), "{\"accuracy\": 0.9}");
    annotations.put(Sim.messageForIndex(2), "{\"accuracy\": 0.7}");
    client.batch().v1().jobs().resource(indexedJob("sweep", 4, annotations)).create();

    Job failed = waitForCondition(client, "sweep", "Failed");

    assertThat(Sim.condition(failed, "Failed").orElseThrow().getReason())
        .isEqualTo("FailedIndexes");
    assertThat(failed.getStatus().getFailedIndexes()).isEqualTo("2");
    assertThat(failed.getStatus().getCompletedIndexes()).isEqualTo("0,1,3");
    assertThat(failed.getStatus().getSucceeded()).isEqualTo(3);
    assertThat(failed.getStatus().getFailed()).isEqualTo(1);

    List<Pod> pods = podsByIndex(client, "sweep");
    assertThat(pods).extracting(Sim::completionIndex).containsExactly(0, 1, 2, 3);
    for (Pod pod : pods) {
      int index = Sim.completionIndex(pod);
      ContainerStateTerminated terminated = Sim.terminated(pod).orElseThrow();
      if (index == 2) {
        assertThat(pod.getStatus().getPhase()).isEqualTo("Failed");
        assertThat(terminated.getReason()).isEqualTo("OOMKilled");
        assertThat(terminated.getExitCode()).isEqualTo(137);
      } else {
        assertThat(pod.getStatus().getPhase()).as("index %d", index).isEqualTo("Succeeded");
        assertThat(terminated.getReason()).isEqualTo("Completed");
        assertThat(terminated.getExitCode()).isZero();
      }
    }
    // Per-index messages override the pod-wide one, for success and failure alike.
    assertThat(pods)
        .extracting(p -> Sim.terminated(p).orElseThrow().getMessage())
        .containsExactly(
            "{\"accuracy\": 0.9}",
            "{\"accuracy\": 0.5}",
            "{\"accuracy\": 0.7}",
            "{\"accuracy\": 0.5}");
  }

  @Test
  void exitCodeIndexesOverrideThePodWideExitCode(KubernetesClient client) {
    Map<String, String> annotations = new HashMap<>();
    // Every index fails with 5, except index 1 (exit code 3) and index 0 (succeeds).
    annotations.put(Sim.EXIT_CODE, "5");
    annotations.put(Sim.EXIT_CODE_INDEXES, "0=0, 1=3");
    client.batch().v1().jobs().resource(indexedJob("codes", 3, annotations)).create();

    Job failed = waitForCondition(client, "codes", "Failed");

    assertThat(failed.getStatus().getCompletedIndexes()).isEqualTo("0");
    assertThat(failed.getStatus().getFailedIndexes()).isEqualTo("1,2");
    List<Pod> pods = podsByIndex(client, "codes");
    assertThat(pods)
        .extracting(p -> p.getStatus().getPhase())
        .containsExactly("Succeeded", "Failed", "Failed");
    assertThat(pods)
        .extracting(p -> Sim.terminated(p).orElseThrow().getExitCode())
        .containsExactly(0, 3, 5);
    assertThat(pods)
        .extracting(p -> Sim.terminated(p).orElseThrow().getReason())
        .containsExactly("Completed", "Error", "Error");
  }

  @Test
  void moreMemoryAvoidsTheOomKill(KubernetesClient client) {
    Map<String, String> annotations = Map.of(Sim.OOM_BELOW, "4Gi");
    client.batch().v1().jobs().resource(jobWithMemoryLimit("small", "2Gi", annotations)).create();
    // The re-run with more memory; 4096Mi is exactly 4Gi (not below it).
    client.batch().v1().jobs().resource(jobWithMemoryLimit("big", "4096Mi", annotations)).create();

    Job failed = waitForCondition(client, "small", "Failed");
    Job complete = waitForCondition(client, "big", "Complete");

    assertThat(failed.getStatus().getFailed()).isEqualTo(1);
    Pod small = podsByIndex(client, "small").get(0);
    assertThat(small.getStatus().getPhase()).isEqualTo("Failed");
    assertThat(small.getStatus().getContainerStatuses())
        .allSatisfy(
            s -> {
              assertThat(s.getState().getTerminated().getReason()).isEqualTo("OOMKilled");
              assertThat(s.getState().getTerminated().getExitCode()).isEqualTo(137);
            });

    assertThat(complete.getStatus().getSucceeded()).isEqualTo(1);
    ContainerStateTerminated big = Sim.terminated(podsByIndex(client, "big").get(0)).orElseThrow();
    assertThat(big.getReason()).isEqualTo("Completed");
    assertThat(big.getExitCode()).isZero();
  }

  @Test
  void oomBelowWithoutAMemoryLimitSucceeds(KubernetesClient client) {
    // No limit = unbounded memory, so it cannot be below the threshold. A bare pod with oom-below
    // finishes like a Job pod (the annotation alone makes it finish).
    client
        .pods()
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("unlimited")
                .withAnnotations(Map.of(Sim.OOM_BELOW, "4Gi"))
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withContainers(Sim.container("main"))
                .endSpec()
                .build())
        .create();

    Pod done =
        client
            .pods()
            .withName("unlimited")
            .waitUntilCondition(
                p -> Sim.hasPhase(p, "Succeeded") || Sim.hasPhase(p, "Failed"),
                60,
                TimeUnit.SECONDS);
    assertThat(done.getStatus().getPhase()).isEqualTo("Succeeded");
  }

  @Test
  void unparseableAnnotationFailsThePodVisibly(KubernetesClient client) {
    client
        .batch()
        .v1()
        .jobs()
        .resource(jobWithMemoryLimit("typo", "2Gi", Map.of(Sim.OOM_BELOW, "4GB")))
        .create();

    waitForCondition(client, "typo", "Failed");

    ContainerStateTerminated terminated =
        Sim.terminated(podsByIndex(client, "typo").get(0)).orElseThrow();
    assertThat(terminated.getReason()).isEqualTo(Sim.SIM_ANNOTATION_ERROR);
    assertThat(terminated.getExitCode()).isEqualTo(1);
    assertThat(terminated.getMessage()).contains("\"4GB\"");
  }
}

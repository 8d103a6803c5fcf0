package dev.mlscale.backend.kubernetes;

import dev.mlscale.render.Queueing;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Kueue's objects read once, for {@code ls} and {@code status} (the live lines use {@link
 * QueueWatch}): the namespace's Workloads and LocalQueues and the ClusterQueues. Nothing is read
 * when no Job names a queue; a cluster without Kueue, or a user who may not read ClusterQueues,
 * gets the lines with less in them.
 */
final class QueueSnapshot {
  private static final QueueSnapshot NONE = new QueueSnapshot(List.of(), List.of(), List.of());
  private final List<GenericKubernetesResource> workloads;
  private final List<GenericKubernetesResource> localQueues;
  private final List<GenericKubernetesResource> clusterQueues;

  private QueueSnapshot(
      List<GenericKubernetesResource> workloads,
      List<GenericKubernetesResource> localQueues,
      List<GenericKubernetesResource> clusterQueues) {
    this.workloads = workloads;
    this.localQueues = localQueues;
    this.clusterQueues = clusterQueues;
  }

  static QueueSnapshot read(ClusterConnection cluster, List<Job> jobs) {
    if (jobs.stream().noneMatch(j -> queue(j).isPresent())) {
      return NONE;
    }
    String ns = cluster.namespace();
    var c = cluster.client();
    return new QueueSnapshot(
        list(() -> c.genericKubernetesResources(Queues.API, "Workload").inNamespace(ns).list()),
        list(() -> c.genericKubernetesResources(Queues.API, "LocalQueue").inNamespace(ns).list()),
        list(() -> c.genericKubernetesResources(Queues.API, "ClusterQueue").list()));
  }

  private static List<GenericKubernetesResource> list(
      java.util.function.Supplier<io.fabric8.kubernetes.api.model.GenericKubernetesResourceList>
          read) {
    try {
      return read.get().getItems();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 403) {
        return List.of();
      }
      throw e;
    }
  }

  static Optional<String> queue(Job j) {
    Map<String, String> l = j.getMetadata().getLabels();
    return Optional.ofNullable(l == null ? null : l.get(Queueing.QUEUE_LABEL));
  }

  /** The Job's standing in words, when it is in a queue Kueue knows. */
  Optional<String> line(Job job) {
    if (queue(job).isEmpty()) {
      return Optional.empty();
    }
    return Queues.standing(
            job.getMetadata().getUid(),
            workloads,
            lq ->
                localQueues.stream()
                    .filter(q -> lq.equals(q.getMetadata().getName()))
                    .map(q -> Queues.str(q, "spec", "clusterQueue"))
                    .findFirst()
                    .orElse(null),
            cq ->
                clusterQueues.stream()
                    .filter(q -> cq.equals(q.getMetadata().getName()))
                    .findFirst()
                    .orElse(null))
        .map(Queues.Standing::describe);
  }

  /**
   * A cancelled Job in a queue: its Workload is deactivated, or Kueue would start (unsuspend) it
   * when its turn comes.
   */
  static void deactivate(ClusterConnection cluster, Job job) {
    if (queue(job).isEmpty()) {
      return;
    }
    var workloads =
        cluster
            .client()
            .genericKubernetesResources(Queues.API, "Workload")
            .inNamespace(cluster.namespace())
            .withLabel(Queues.JOB_UID, job.getMetadata().getUid())
            .list()
            .getItems();
    for (GenericKubernetesResource w : workloads) {
      cluster
          .client()
          .genericKubernetesResources(Queues.API, "Workload")
          .inNamespace(cluster.namespace())
          .withName(w.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"active\":false}}");
    }
  }
}

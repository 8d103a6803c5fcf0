package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Follows a queued Job's standing in Kueue with informers on the namespace's Workloads and
 * LocalQueues and on the ClusterQueues (when the user may read them), and reports each change in
 * words ({@link Queues.Standing#describe()}) until closed.
 */
final class QueueWatch implements AutoCloseable {
  private final List<SharedIndexInformer<GenericKubernetesResource>> informers = new ArrayList<>();
  private final String jobUid;
  private final Consumer<String> onChange;
  private final AtomicReference<String> last = new AtomicReference<>();
  private SharedIndexInformer<GenericKubernetesResource> workloads;
  private SharedIndexInformer<GenericKubernetesResource> localQueues;
  private SharedIndexInformer<GenericKubernetesResource> clusterQueues;

  QueueWatch(KubernetesClient client, String ns, String jobUid, Consumer<String> onChange) {
    this.jobUid = jobUid;
    this.onChange = onChange;
    ResourceEventHandler<GenericKubernetesResource> handler = Handlers.onAnyChange(this::update);
    try {
      clusterQueues =
          client.genericKubernetesResources(Queues.API, "ClusterQueue").inform(handler, 0);
      informers.add(clusterQueues);
    } catch (KubernetesClientException e) {
      clusterQueues = null; // not allowed to read ClusterQueues: the line says less
    }
    localQueues =
        client
            .genericKubernetesResources(Queues.API, "LocalQueue")
            .inNamespace(ns)
            .inform(handler, 0);
    informers.add(localQueues);
    workloads =
        client
            .genericKubernetesResources(Queues.API, "Workload")
            .inNamespace(ns)
            .inform(handler, 0);
    informers.add(workloads);
    update();
  }

  private synchronized void update() {
    if (workloads == null || localQueues == null) {
      return; // still starting
    }
    Queues.standing(
            jobUid,
            workloads.getStore().list(),
            lq ->
                localQueues.getStore().list().stream()
                    .filter(q -> lq.equals(q.getMetadata().getName()))
                    .map(q -> Queues.str(q, "spec", "clusterQueue"))
                    .filter(Objects::nonNull)
                    .findFirst()
                    .orElse(null),
            cq ->
                clusterQueues == null
                    ? null
                    : clusterQueues.getStore().list().stream()
                        .filter(q -> cq.equals(q.getMetadata().getName()))
                        .findFirst()
                        .orElse(null))
        .map(Queues.Standing::describe)
        .filter(line -> !line.equals(last.getAndSet(line)))
        .ifPresent(onChange);
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }
}

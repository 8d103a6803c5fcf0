package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

/**
 * Follows the cluster autoscaler's Events in a namespace (an informer on core Events whose source
 * is {@code cluster-autoscaler}) and reports, for each pod {@code ours} accepts, what the
 * autoscaler does about it ({@link AutoscalerEvents#explain}). Started only once a pod of the run
 * cannot be scheduled, so a run that fits costs no extra request.
 */
final class AutoscalerWatch implements AutoCloseable {
  private final SharedIndexInformer<Event> events;

  AutoscalerWatch(
      KubernetesClient client, String ns, Predicate<String> ours, BiConsumer<String, String> said) {
    ResourceEventHandler<Event> handler =
        Handlers.onAddOrUpdate(
            e -> {
              if (e.getInvolvedObject() == null
                  || !"Pod".equals(e.getInvolvedObject().getKind())
                  || !ours.test(e.getInvolvedObject().getName())) {
                return;
              }
              AutoscalerEvents.explain(e)
                  .ifPresent(line -> said.accept(e.getInvolvedObject().getName(), line));
            });
    events =
        client
            .v1()
            .events()
            .inNamespace(ns)
            .withField("source", AutoscalerEvents.SOURCE)
            .inform(handler, 0);
  }

  @Override
  public void close() {
    events.close();
  }
}

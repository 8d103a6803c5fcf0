package dev.mlscale.pipeline;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.BiConsumer;

/**
 * Submits a compiled pipeline to Argo Workflows on the cluster and follows its Workflow with an
 * informer until it ends, reporting each node's phase changes.
 */
public final class ArgoPipelineRunner {
  private static final Set<String> DONE = Set.of("Succeeded", "Failed", "Error");
  private final ClusterConnection cluster;

  public ArgoPipelineRunner(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  /** How the Workflow ended: its phase and message, and each pod node's phase. */
  public record Outcome(String phase, String message, Map<String, String> nodes) {
    public boolean succeeded() {
      return "Succeeded".equals(phase);
    }
  }

  /**
   * Creates the ConfigMaps (and the distributed tasks' Services), then the Workflow, which then
   * owns them, so they go with it; returns the Workflow's name.
   */
  public String submit(ArgoCompiler.Compiled compiled) {
    var client = cluster.client();
    var workflows = ArgoPipelines.workflows(cluster);
    GenericKubernetesResource wf;
    try {
      for (HasMetadata o : compiled.owned()) {
        client.resource(o).create();
      }
      wf = workflows.resource(compiled.workflow()).create();
    } catch (KubernetesClientException e) {
      compiled.owned().forEach(o -> client.resource(o).delete());
      throw cluster.explain(
          e,
          "create Workflow "
              + compiled.workflow().getMetadata().getName()
              + " (are Argo Workflows' CRDs installed?)");
    }
    var owner =
        new OwnerReferenceBuilder()
            .withApiVersion(ArgoCompiler.API_VERSION)
            .withKind("Workflow")
            .withName(wf.getMetadata().getName())
            .withUid(wf.getMetadata().getUid())
            .build();
    for (HasMetadata o : compiled.owned()) {
      client
          .resource(o)
          .edit(
              c -> {
                c.getMetadata().setOwnerReferences(List.of(owner));
                return c;
              });
    }
    return wf.getMetadata().getName();
  }

  /**
   * Follows a Workflow (submitted here or from another machine) with an informer until it ends,
   * reporting each task's phase changes (those it had already are reported first).
   */
  public Outcome follow(String name, BiConsumer<String, String> nodeChanged)
      throws InterruptedException {
    var workflows = ArgoPipelines.workflows(cluster);
    Map<String, String> seen = new ConcurrentHashMap<>();
    var informer =
        workflows
            .withName(name)
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(GenericKubernetesResource obj) {
                    report(obj);
                  }

                  @Override
                  public void onUpdate(
                      GenericKubernetesResource oldObj, GenericKubernetesResource obj) {
                    report(obj);
                  }

                  @Override
                  public void onDelete(GenericKubernetesResource obj, boolean unknown) {}

                  private void report(GenericKubernetesResource obj) {
                    nodes(obj)
                        .forEach(
                            (node, phase) -> {
                              if (!phase.equals(seen.put(node, phase))) {
                                nodeChanged.accept(node, phase);
                              }
                            });
                  }
                },
                0);
    try {
      List<GenericKubernetesResource> end =
          workflows
              .withName(name)
              .informOnCondition(l -> l.isEmpty() || DONE.contains(phase(l.get(0))))
              .get();
      if (end.isEmpty()) {
        return new Outcome("Deleted", "the Workflow was deleted before it finished", Map.of());
      }
      GenericKubernetesResource last = end.get(0);
      nodes(last)
          .forEach(
              (node, phase) -> {
                if (!phase.equals(seen.put(node, phase))) {
                  nodeChanged.accept(node, phase);
                }
              });
      Object message = status(last).get("message");
      return new Outcome(phase(last), message == null ? "" : message.toString(), nodes(last));
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    } finally {
      informer.close();
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> status(GenericKubernetesResource wf) {
    Object s = wf.getAdditionalProperties().get("status");
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  static String phase(GenericKubernetesResource wf) {
    Object p = status(wf).get("phase");
    return p == null ? "Pending" : p.toString();
  }

  /** The pod nodes of a Workflow by the names the user knows (train-3, the exit task's). */
  static Map<String, String> nodes(GenericKubernetesResource wf) {
    Map<String, String> out = new LinkedHashMap<>();
    ArgoPipelines.view(wf).tasks().forEach(t -> out.put(t.name(), t.phase()));
    return out;
  }
}

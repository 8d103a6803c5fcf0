package dev.mlscale.pipeline;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.render.Labels;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pipelines mlscale submitted to Argo on the cluster, read from their Workflow objects: so
 * {@code pipeline ls|status|logs|cancel --target k8s} work from any machine with the kubeconfig.
 */
public final class ArgoPipelines {
  static final String WORKFLOW_LABEL = "workflows.argoproj.io/workflow";
  static final String NODE_NAME = "workflows.argoproj.io/node-name";
  private final ClusterConnection cluster;

  public ArgoPipelines(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  public List<PipelineView> list() {
    try {
      return workflows().withLabel(Labels.MANAGED_BY, Labels.MLSCALE).list().getItems().stream()
          .map(ArgoPipelines::view)
          .sorted(
              java.util.Comparator.comparing(
                      (PipelineView v) -> v.started() == null ? Instant.MAX : v.started())
                  .reversed())
          .toList();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "list Workflows (are Argo Workflows' CRDs installed?)");
    }
  }

  public PipelineView get(String id) {
    return view(workflow(id));
  }

  /**
   * Stops a pipeline as {@code argo stop} does ({@code spec.shutdown: Stop}: nothing new starts,
   * the exit task still runs), then deletes the pods still running, which the controller records as
   * failed; it does not need to exec into them.
   */
  public int cancel(String id) {
    GenericKubernetesResource wf = workflow(id);
    if (List.of("Succeeded", "Failed", "Error").contains(ArgoPipelineRunner.phase(wf))) {
      return -1;
    }
    try {
      workflows()
          .withName(id)
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"shutdown\":\"Stop\"}}");
      List<Pod> running =
          cluster
              .client()
              .pods()
              .inNamespace(cluster.namespace())
              .withLabel(WORKFLOW_LABEL, id)
              .list()
              .getItems()
              .stream()
              .filter(
                  p ->
                      p.getStatus() == null
                          || !List.of("Succeeded", "Failed").contains(p.getStatus().getPhase()))
              .filter(p -> !isExitTask(wf, p))
              .toList();
      running.forEach(p -> cluster.client().resource(p).delete());
      return running.size();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "stop Workflow " + id);
    }
  }

  /** Writes each task's output (container main), each line prefixed with [task]. */
  public void logs(String id, String task, OutputStream out) {
    PipelineView view = get(id);
    List<PipelineView.Task> pods =
        view.tasks().stream()
            .filter(t -> t.ref() != null)
            .filter(t -> task == null || t.name().equals(task) || t.name().startsWith(task + "-"))
            .toList();
    if (pods.isEmpty()) {
      throw new NotFoundError(
          "task",
          task == null ? id : task,
          task == null
              ? "pipeline " + id + " has no pods yet"
              : "pipeline "
                  + id
                  + " has tasks "
                  + String.join(", ", view.tasks().stream().map(PipelineView.Task::name).toList()));
    }
    for (PipelineView.Task t : pods) {
      String text;
      try {
        text =
            cluster
                .client()
                .pods()
                .inNamespace(cluster.namespace())
                .withName(t.ref())
                .inContainer("main")
                .getLog();
      } catch (KubernetesClientException e) {
        text =
            "(no logs: "
                + (e.getCode() == 404
                    ? "the pod is gone"
                    : e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage())
                + ")\n";
      }
      try {
        for (String line : text.split("\n", -1)) {
          if (!line.isEmpty()) {
            out.write(("[" + t.name() + "] " + line + "\n").getBytes(StandardCharsets.UTF_8));
          }
        }
        out.flush();
      } catch (IOException e) {
        throw new EnvironmentError("cannot write the logs: " + e.getMessage());
      }
    }
  }

  private static boolean isExitTask(GenericKubernetesResource wf, Pod p) {
    Object onExit = spec(wf).get("onExit");
    String node =
        p.getMetadata().getAnnotations() == null
            ? null
            : p.getMetadata().getAnnotations().get(NODE_NAME);
    return onExit != null && node != null && node.endsWith(".onExit");
  }

  private GenericKubernetesResource workflow(String id) {
    GenericKubernetesResource wf;
    try {
      wf = workflows().withName(id).get();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "read Workflow " + id + " (are Argo Workflows' CRDs installed?)");
    }
    if (wf == null) {
      throw new NotFoundError(
          "pipeline run",
          id,
          "no Workflow of that name in namespace "
              + cluster.namespace()
              + "; 'mlscale pipeline ls --target k8s' lists them");
    }
    return wf;
  }

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>>
      workflows() {
    return cluster
        .client()
        .genericKubernetesResources(ArgoCompiler.API_VERSION, "Workflow")
        .inNamespace(cluster.namespace());
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource wf) {
    Object s = wf.getAdditionalProperties().get("spec");
    return s instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  /** A Workflow as mlscale shows it (pure: reads only the object). */
  @SuppressWarnings("unchecked")
  static PipelineView view(GenericKubernetesResource wf) {
    Map<String, Object> status = ArgoPipelineRunner.status(wf);
    Map<String, Map<String, Object>> nodes = new LinkedHashMap<>();
    if (status.get("nodes") instanceof Map<?, ?> m) {
      m.values()
          .forEach(
              v -> {
                Map<String, Object> n = (Map<String, Object>) v;
                nodes.put(String.valueOf(n.get("displayName")), n);
              });
    }
    List<PipelineView.Task> graph = new ArrayList<>();
    Object templates = spec(wf).get("templates");
    if (templates instanceof List<?> list) {
      for (Object t : list) {
        Map<String, Object> template = (Map<String, Object>) t;
        if ("main".equals(template.get("name")) && template.get("dag") instanceof Map<?, ?> dag) {
          for (Object task : (List<Object>) dag.get("tasks")) {
            Map<String, Object> tm = (Map<String, Object>) task;
            String name = String.valueOf(tm.get("name"));
            Map<String, Object> n = nodes.get(name);
            graph.add(
                task(
                    name,
                    tm.get("dependencies") instanceof List<?> d
                        ? d.stream().map(String::valueOf).toList()
                        : List.of(),
                    n,
                    null));
          }
        }
      }
    }
    Object onExit = spec(wf).get("onExit");
    if (onExit != null) {
      List<String> all = graph.stream().map(PipelineView.Task::name).toList();
      graph.add(
          task(onExit.toString(), all, nodes.get(wf.getMetadata().getName() + ".onExit"), null));
    }
    List<PipelineView.Task> pods = new ArrayList<>();
    String wfName = wf.getMetadata().getName();
    if (status.get("nodes") instanceof Map<?, ?> m) {
      m.forEach(
          (id, v) -> {
            Map<String, Object> n = (Map<String, Object>) v;
            if ("Pod".equals(n.get("type"))) {
              String display = String.valueOf(n.get("displayName"));
              String task =
                  display.equals(wfName + ".onExit") && onExit != null
                      ? onExit.toString()
                      : ArgoCompiler.nodeName(display);
              pods.add(task(task, List.of(), n, podName(wfName, String.valueOf(id), n)));
            }
          });
    }
    pods.sort(
        java.util.Comparator.comparing(
                (PipelineView.Task t) -> t.started() == null ? Instant.MAX : t.started())
            .thenComparing(PipelineView.Task::name));
    Map<String, String> labels = wf.getMetadata().getLabels();
    return new PipelineView(
        wfName,
        labels == null ? "" : labels.getOrDefault("mlscale.dev/pipeline", ""),
        ArgoPipelineRunner.phase(wf),
        status.get("message") == null ? "" : status.get("message").toString(),
        instant(status.get("startedAt")),
        instant(status.get("finishedAt")),
        graph,
        pods);
  }

  private static PipelineView.Task task(
      String name, List<String> depends, Map<String, Object> node, String pod) {
    if (node == null) {
      return new PipelineView.Task(name, depends, "Pending", "", null, null, pod);
    }
    return new PipelineView.Task(
        name,
        depends,
        String.valueOf(node.getOrDefault("phase", "Pending")),
        node.get("message") == null ? "" : node.get("message").toString(),
        instant(node.get("startedAt")),
        instant(node.get("finishedAt")),
        pod);
  }

  /**
   * Argo's pod name for a node (POD_NAMES=v2): workflow-template-hash, where the hash is the node
   * id's suffix; the controller sets it, we only read it back.
   */
  @SuppressWarnings("unchecked")
  private static String podName(String wf, String nodeId, Map<String, Object> node) {
    String template = String.valueOf(node.getOrDefault("templateName", ""));
    String suffix = nodeId.substring(nodeId.lastIndexOf('-') + 1);
    if (nodeId.equals(wf)) {
      return wf;
    }
    String prefix = wf + "-" + template;
    if (prefix.length() > 252 - suffix.length()) {
      prefix = prefix.substring(0, 252 - suffix.length());
    }
    return prefix + "-" + suffix;
  }

  private static Instant instant(Object value) {
    if (value == null || value.toString().isEmpty()) {
      return null;
    }
    try {
      return Instant.parse(value.toString());
    } catch (java.time.format.DateTimeParseException e) {
      return null;
    }
  }
}

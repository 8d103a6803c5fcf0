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
  static final String ON_EXIT_LABEL = "workflows.argoproj.io/on-exit";
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

  /** A run with its tasks' pod names (ref), read from the pods themselves. */
  public PipelineView get(String id) {
    PipelineView v = view(workflow(id));
    Map<String, Pod> pods = podsByNode(id);
    List<PipelineView.Task> tasks =
        v.tasks().stream()
            .map(
                t -> {
                  Pod p = pods.get(t.ref());
                  return new PipelineView.Task(
                      t.name(),
                      t.depends(),
                      t.phase(),
                      t.message(),
                      t.started(),
                      t.finished(),
                      p == null ? null : p.getMetadata().getName(),
                      t.task(),
                      t.attempt());
                })
            .toList();
    return new PipelineView(
        v.id(), v.pipeline(), v.phase(), v.message(), v.started(), v.finished(), v.graph(), tasks);
  }

  /** The pods of a Workflow by the node they run (Argo's annotation), whatever Argo named them. */
  private Map<String, Pod> podsByNode(String id) {
    Map<String, Pod> byNode = new LinkedHashMap<>();
    try {
      cluster
          .client()
          .pods()
          .inNamespace(cluster.namespace())
          .withLabel(WORKFLOW_LABEL, id)
          .list()
          .getItems()
          .forEach(
              p -> {
                var a = p.getMetadata().getAnnotations();
                if (a != null && a.get(NODE_NAME) != null) {
                  byNode.put(a.get(NODE_NAME), p);
                }
              });
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "list the pods of Workflow " + id);
    }
    return byNode;
  }

  /**
   * Stops a pipeline as {@code argo stop} does ({@code spec.shutdown: Stop}): nothing new starts,
   * the controller stops the running pods (it signals them through exec) and the exit task still
   * runs. Pods that are still running after {@code grace} are deleted, so that a cluster where exec
   * does not reach them (or a wedged pod) does not keep them. Returns how many pods were running,
   * or -1 if the pipeline had already ended.
   */
  public int cancel(String id, java.time.Duration grace) throws InterruptedException {
    GenericKubernetesResource wf = workflow(id);
    if (List.of("Succeeded", "Failed", "Error").contains(ArgoPipelineRunner.phase(wf))) {
      return -1;
    }
    var pods =
        cluster
            .client()
            .pods()
            .inNamespace(cluster.namespace())
            .withLabel(WORKFLOW_LABEL, id)
            .withoutLabel(ON_EXIT_LABEL, "true");
    try {
      int running = (int) pods.list().getItems().stream().filter(ArgoPipelines::running).count();
      workflows()
          .withName(id)
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"shutdown\":\"Stop\"}}");
      stopGangs(wf);
      try {
        pods.informOnCondition(l -> l.stream().noneMatch(ArgoPipelines::running))
            .get(grace.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        pods.list().getItems().stream()
            .filter(ArgoPipelines::running)
            .forEach(p -> cluster.client().resource(p).delete());
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
      return running;
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "stop Workflow " + id);
    }
  }

  /**
   * Suspends the Jobs that the Workflow's distributed tasks created (Argo made the Workflow their
   * owner; stopping the Workflow stops only its own pods): their workers stop, the Jobs stay as the
   * record until the Workflow is deleted.
   */
  private void stopGangs(GenericKubernetesResource wf) {
    for (var job : gangs(wf)) {
      cluster
          .jobs()
          .withName(job.getMetadata().getName())
          .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"suspend\":true}}");
    }
  }

  /**
   * The Jobs that the Workflow's distributed tasks created (Argo made the Workflow their owner).
   */
  private List<io.fabric8.kubernetes.api.model.batch.v1.Job> gangs(GenericKubernetesResource wf) {
    String uid = wf.getMetadata().getUid();
    return cluster.jobs().withLabel(Labels.MANAGED_BY, Labels.MLSCALE).list().getItems().stream()
        .filter(
            job ->
                job.getMetadata().getOwnerReferences() != null
                    && job.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> uid.equals(o.getUid())))
        .toList();
  }

  /**
   * Before a retry, deletes the gang Jobs that did not complete (failed or cancelled): their tasks
   * run again, and Argo counts their tries from 1 again, so the new try's Job has the same name.
   * Waits (at most 2 minutes) until they are gone.
   */
  private void deleteUnfinishedGangs(GenericKubernetesResource wf) throws InterruptedException {
    for (var job : gangs(wf)) {
      boolean complete =
          job.getStatus() != null
              && job.getStatus().getConditions() != null
              && job.getStatus().getConditions().stream()
                  .anyMatch(c -> "Complete".equals(c.getType()) && "True".equals(c.getStatus()));
      if (complete) {
        continue;
      }
      var one = cluster.jobs().withName(job.getMetadata().getName());
      one.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
          .delete();
      try {
        one.informOnCondition(List::isEmpty).get(2, java.util.concurrent.TimeUnit.MINUTES);
      } catch (java.util.concurrent.TimeoutException e) {
        throw new dev.mlscale.error.EnvironmentError(
            "Job "
                + job.getMetadata().getName()
                + " of a distributed task was not deleted within 2 minutes, so the task cannot"
                + " run again under its name; see 'kubectl describe job "
                + job.getMetadata().getName()
                + "' (a finalizer?) and retry");
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }
  }

  /**
   * Retries a Failed Workflow as {@code argo retry} does (see {@link ArgoRetry}): deletes the pods
   * of the nodes that run again, then writes the Workflow back Running; the controller goes on from
   * there. An update, not a patch: a Workflow that changed in between is not overwritten.
   */
  public ArgoRetry.Retried retry(String id) throws InterruptedException {
    GenericKubernetesResource wf = workflow(id);
    var serialization = new io.fabric8.kubernetes.client.utils.KubernetesSerialization();
    ArgoRetry.Retried r;
    try {
      r =
          ArgoRetry.formulate(
              new com.fasterxml.jackson.databind.ObjectMapper().readTree(serialization.asJson(wf)),
              java.time.Instant.now());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Workflow " + id + " is not JSON: " + e.getMessage(), e);
    }
    try {
      deleteUnfinishedGangs(wf);
      for (String pod : r.pods()) {
        cluster.client().pods().inNamespace(cluster.namespace()).withName(pod).delete();
      }
      cluster
          .client()
          .genericKubernetesResources(ArgoCompiler.API_VERSION, "Workflow")
          .inNamespace(cluster.namespace())
          .resource(
              serialization.unmarshal(r.workflow().toString(), GenericKubernetesResource.class))
          .update();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "retry Workflow " + id);
    }
    return r;
  }

  private static boolean running(Pod p) {
    return p.getMetadata().getDeletionTimestamp() == null
        && (p.getStatus() == null
            || !List.of("Succeeded", "Failed").contains(p.getStatus().getPhase()));
  }

  /**
   * Deletes a pipeline's Workflow and, through their owner references, its pods and ConfigMaps
   * (foreground: the Workflow goes last). With {@code await}, returns when all are gone.
   */
  public void delete(String id, boolean await) throws InterruptedException {
    workflow(id); // a clear error if there is none
    try {
      workflows()
          .withName(id)
          .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
          .delete();
      if (await) {
        var gone = workflows().withName(id).informOnCondition(List::isEmpty);
        // the ConfigMaps follow their owner a moment later (the garbage collector's work)
        var configMapsGone =
            cluster
                .client()
                .configMaps()
                .inNamespace(cluster.namespace())
                .withLabel(Labels.RUN, id)
                .informOnCondition(List::isEmpty);
        try {
          gone.get(5, java.util.concurrent.TimeUnit.MINUTES);
          configMapsGone.get(5, java.util.concurrent.TimeUnit.MINUTES);
        } finally {
          gone.cancel(true);
          configMapsGone.cancel(true);
        }
      }
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "delete Workflow " + id);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new EnvironmentError(
          "Workflow " + id + " is being deleted, but watching it failed: " + e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new EnvironmentError(
          "Workflow "
              + id
              + " is being deleted but is still there after 5 minutes; 'kubectl get workflow "
              + id
              + " -o yaml' shows what holds it (finalizers)");
    }
  }

  /** Writes each task's output (container main), each line prefixed with [task]. */
  public void logs(String id, String task, OutputStream out) {
    GenericKubernetesResource wf = workflow(id);
    PipelineView view = view(wf);
    List<PipelineView.Task> wanted =
        view.tasks().stream().filter(t -> task == null || t.of(task)).toList();
    if (wanted.isEmpty()) {
      throw new NotFoundError(
          "task",
          task == null ? id : task,
          view.tasks().isEmpty()
              ? "pipeline " + id + " has started no task yet"
              : "pipeline "
                  + id
                  + " has tasks "
                  + String.join(
                      ", ",
                      view.tasks().stream().map(PipelineView.Task::name).distinct().toList()));
    }
    Map<String, Pod> byNode = podsByNode(id);
    for (PipelineView.Task t : wanted) {
      Pod pod = byNode.get(t.ref());
      String text;
      if (pod == null) {
        text =
            t.phase().equals("Pending")
                ? "(no output yet: the task has not started)"
                : "(no logs: its pod is gone, deleted or garbage-collected)";
      } else {
        try {
          text =
              cluster
                  .client()
                  .pods()
                  .inNamespace(cluster.namespace())
                  .withName(pod.getMetadata().getName())
                  .inContainer("main")
                  .getLog();
        } catch (KubernetesClientException e) {
          text =
              "(no logs: "
                  + (e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage())
                  + ")";
        }
      }
      try {
        for (String line : text.split("\n", -1)) {
          if (!line.isEmpty() && !EXECUTOR_LINE.matcher(line).find()) {
            out.write(("[" + t.name() + "] " + line + "\n").getBytes(StandardCharsets.UTF_8));
          }
        }
        out.flush();
      } catch (IOException e) {
        throw new EnvironmentError("cannot write the logs: " + e.getMessage());
      }
    }
  }

  /** A line Argo's executor adds to a task's log ("sub-process exited"): not the task's output. */
  private static final java.util.regex.Pattern EXECUTOR_LINE =
      java.util.regex.Pattern.compile("^time=\"[^\"]*\" level=\\w+ msg=.* argo=true");

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
    return workflows(cluster);
  }

  /** The Argo Workflows of a connection's namespace. */
  static io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          GenericKubernetesResource,
          io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
          io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>>
      workflows(ClusterConnection cluster) {
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
          task(
              onExit.toString(),
              onExit.toString(),
              all,
              nodes.get(wf.getMetadata().getName() + ".onExit"),
              null));
    }
    // each pod node, named as the user thinks of it; ref is Argo's node name (the pods'
    // node-name annotation), which the logs look up
    List<PipelineView.Task> pods = new ArrayList<>();
    String wfName = wf.getMetadata().getName();
    String exitPrefix = wfName + ".onExit";
    if (status.get("nodes") instanceof Map<?, ?> m) {
      m.values()
          .forEach(
              v -> {
                Map<String, Object> n = (Map<String, Object>) v;
                if ("Pod".equals(n.get("type"))) {
                  String display = String.valueOf(n.get("displayName"));
                  boolean exit = onExit != null && display.startsWith(exitPrefix);
                  String name =
                      exit
                          ? ArgoCompiler.nodeName(onExit + display.substring(exitPrefix.length()))
                          : ArgoCompiler.nodeName(display);
                  String task =
                      exit
                          ? onExit.toString()
                          : String.valueOf(n.getOrDefault("templateName", name));
                  pods.add(task(name, task, List.of(), n, String.valueOf(n.get("name"))));
                }
              });
    }
    pods.sort(
        java.util.Comparator.comparing(
                (PipelineView.Task t) -> t.started() == null ? Instant.MAX : t.started())
            .thenComparing(PipelineView.Task::name));
    Map<String, String> labels = wf.getMetadata().getLabels();
    String phase = ArgoPipelineRunner.phase(wf);
    if (List.of("Failed", "Error").contains(phase) && spec(wf).get("shutdown") != null) {
      phase =
          "Cancelled"; // stopped with 'pipeline cancel' (Argo: shutdown), as a local run shows it
    }
    return new PipelineView(
        wfName,
        labels == null ? "" : labels.getOrDefault("mlscale.dev/pipeline", ""),
        phase,
        status.get("message") == null ? "" : status.get("message").toString(),
        instant(status.get("startedAt")),
        instant(status.get("finishedAt")),
        graph,
        pods);
  }

  private static PipelineView.Task task(
      String name, String task, List<String> depends, Map<String, Object> node, String ref) {
    if (node == null) {
      return new PipelineView.Task(name, depends, "Pending", "", null, null, ref, task, 1);
    }
    String message = node.get("message") == null ? "" : node.get("message").toString();
    String phase = String.valueOf(node.getOrDefault("phase", "Pending"));
    // the words a local run uses for the same facts
    if (phase.equals("Omitted")) {
      phase = "Skipped";
    } else if (List.of("Failed", "Error").contains(phase)
        && message.startsWith("workflow shutdown with strategy")) {
      phase = "Cancelled";
    }
    return new PipelineView.Task(
        name,
        depends,
        phase,
        message,
        instant(node.get("startedAt")),
        instant(node.get("finishedAt")),
        ref,
        task,
        attemptOf(name));
  }

  /** Which try a node is: 2 for "big (try 2)", as Argo's retries are shown. */
  private static int attemptOf(String name) {
    var m = java.util.regex.Pattern.compile(" \\(try (\\d+)\\)$").matcher(name);
    return m.find() ? Integer.parseInt(m.group(1)) : 1;
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

package dev.mlscale.backend.kubernetes;

import dev.mlscale.error.NotFoundError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import dev.mlscale.render.Labels;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The runs on a cluster, read from the objects mlscale owns (labels and annotations on Jobs and
 * their pods), so that ls, status, cancel and delete work from any machine with the kubeconfig.
 */
public final class ClusterRuns {
  static final String CANCELLED = "mlscale.dev/cancelled";
  private final ClusterConnection cluster;

  public ClusterRuns(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  /** A run as the cluster shows it: its Job, and for rows one entry per completion index. */
  public record JobView(
      String run,
      String name,
      String namespace,
      String state,
      String reason,
      int completions,
      int succeeded,
      int failed,
      int active,
      Instant created,
      Instant finished,
      Map<String, String> params,
      List<PodView> pods) {}

  /** One pod of a run: which row, where, how it ended, and the metrics of its message. */
  public record PodView(
      String pod,
      Integer row,
      String node,
      String phase,
      String reason,
      Integer exitCode,
      Instant started,
      Instant finished,
      Map<String, Double> metrics) {}

  public List<JobView> list() {
    try {
      List<Job> jobs =
          cluster.jobs().withLabel(Labels.MANAGED_BY, Labels.MLSCALE).list().getItems();
      QueueSnapshot queues = QueueSnapshot.read(cluster, jobs);
      return jobs.stream()
          .sorted(
              Comparator.comparing((Job j) -> j.getMetadata().getCreationTimestamp()).reversed())
          .map(j -> view(j, List.of(), queues.line(j)))
          .toList();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "list Jobs");
    }
  }

  /** The run {@code id}, or the run of which {@code id} is a row ({@code ID-rN}). */
  public JobView get(String id) {
    Job job = find(id);
    String name = job.getMetadata().getName();
    List<Pod> pods =
        cluster
            .client()
            .pods()
            .inNamespace(cluster.namespace())
            .withLabel(Labels.RUN, job.getMetadata().getLabels().get(Labels.RUN))
            .list()
            .getItems();
    Integer row = rowOf(id, name);
    List<PodView> views =
        pods.stream()
            .map(ClusterRuns::pod)
            .filter(p -> row == null || row.equals(p.row()))
            .sorted(
                Comparator.comparing((PodView p) -> p.row() == null ? -1 : p.row())
                    .thenComparing(PodView::pod))
            .toList();
    JobView view = view(job, views, QueueSnapshot.read(cluster, List.of(job)).line(job));
    return "Running".equals(view.state()) ? waiting(view, pods, row).orElse(view) : view;
  }

  /**
   * A run the Job counts as active whose pods all wait for a node (none is scheduled): Pending,
   * with why (the scheduler's word, and what the cluster autoscaler does about it when it has said
   * something).
   */
  private Optional<JobView> waiting(JobView view, List<Pod> pods, Integer row) {
    List<Pod> shown =
        pods.stream()
            .filter(p -> row == null || row.equals(KubernetesBackend.indexOf(p).orElse(null)))
            .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
            .toList();
    if (shown.isEmpty()
        || shown.stream().anyMatch(p -> p.getSpec() != null && p.getSpec().getNodeName() != null)) {
      return Optional.empty();
    }
    Pod pod = shown.get(0);
    String line = PodExplainer.describe(pod);
    if (line.startsWith("Unschedulable")) {
      line = line.replaceFirst(" \\(mlscale keeps waiting.*\\)$", "");
      line += autoscalerSays(pod.getMetadata().getName()).map(a -> "; " + a).orElse("");
    }
    return Optional.of(
        new JobView(
            view.run(),
            view.name(),
            view.namespace(),
            "Pending",
            pod.getMetadata().getName() + ": " + line,
            view.completions(),
            view.succeeded(),
            view.failed(),
            view.active(),
            view.created(),
            view.finished(),
            view.params(),
            view.pods()));
  }

  private Optional<String> autoscalerSays(String pod) {
    try {
      return AutoscalerEvents.latest(
          pod,
          cluster
              .client()
              .v1()
              .events()
              .inNamespace(cluster.namespace())
              .withField("source", AutoscalerEvents.SOURCE)
              .withField("involvedObject.name", pod)
              .list()
              .getItems());
    } catch (KubernetesClientException e) {
      return Optional.empty(); // the Events cannot be read: the scheduler's word stands alone
    }
  }

  /**
   * The output of the run's (or row's) latest pod, from the API server. With {@code follow}, keeps
   * streaming until the container ends.
   */
  public void logs(String id, java.io.OutputStream out, boolean follow) {
    JobView view = get(id);
    PodView pod =
        view.pods().stream()
            .max(Comparator.comparing((PodView p) -> p.row() == null ? -1 : p.row()))
            .orElseThrow(() -> new NotFoundError("pod of run", id, "the run has no pods yet"));
    if (view.pods().stream().map(PodView::row).distinct().count() > 1) {
      throw new dev.mlscale.error.UserError(
          "run "
              + id
              + " has "
              + view.completions()
              + " rows; name one, e.g. mlscale logs "
              + id
              + "-r0 --target k8s");
    }
    var podResource = cluster.client().pods().inNamespace(cluster.namespace()).withName(pod.pod());
    var resource = podResource.inContainer("main");
    try {
      if (follow) {
        try (var watch = resource.watchLog(out)) {
          podResource.waitUntilCondition(
              p ->
                  p == null
                      || p.getStatus() == null
                      || "Succeeded".equals(p.getStatus().getPhase())
                      || "Failed".equals(p.getStatus().getPhase()),
              24,
              TimeUnit.HOURS);
        }
      } else {
        out.write(resource.getLog().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      out.flush();
    } catch (java.io.IOException e) {
      throw new dev.mlscale.error.EnvironmentError("cannot write the logs: " + e.getMessage());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 400) {
        throw new dev.mlscale.error.EnvironmentError(
            "the cluster has no logs for pod "
                + pod.pod()
                + " ("
                + e.getStatus().getMessage()
                + "); its node may not keep them");
      }
      throw cluster.explain(e, "read the logs of pod " + pod.pod());
    }
  }

  /** Stops a run but keeps its record: the Job is suspended, so its pods are deleted. */
  public void cancel(String id) {
    Job job = find(id);
    try {
      cluster
          .jobs()
          .withName(job.getMetadata().getName())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              "{\"metadata\":{\"annotations\":{\""
                  + CANCELLED
                  + "\":\"true\"}},"
                  + "\"spec\":{\"suspend\":true}}");
      QueueSnapshot.deactivate(cluster, job);
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "cancel Job " + job.getMetadata().getName());
    }
  }

  /** Deletes the run's Job; its pods and ConfigMap go with it (owner references). */
  public void delete(String id, boolean wait) {
    Job job = find(id);
    try {
      var resource = cluster.jobs().withName(job.getMetadata().getName());
      resource
          .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
          .delete();
      if (wait) {
        resource.waitUntilCondition(j -> j == null, 2, TimeUnit.MINUTES);
      }
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "delete Job " + job.getMetadata().getName());
    }
  }

  private Job find(String id) {
    String jobName = id.replaceFirst("-r[0-9]+$", "");
    try {
      for (String name : List.of(id, jobName)) {
        Job job = cluster.jobs().withName(name).get();
        if (job != null
            && job.getMetadata().getLabels() != null
            && Labels.MLSCALE.equals(job.getMetadata().getLabels().get(Labels.MANAGED_BY))) {
          return job;
        }
      }
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "read Job " + id);
    }
    throw new NotFoundError(
        "run",
        id,
        "no mlscale Job of that name in namespace "
            + cluster.namespace()
            + " (context "
            + cluster.context()
            + "); 'mlscale ls --target k8s'"
            + " lists them");
  }

  private static Integer rowOf(String id, String jobName) {
    if (id.equals(jobName) || !id.startsWith(jobName + "-r")) {
      return null;
    }
    return Integer.parseInt(id.substring(jobName.length() + 2));
  }

  /**
   * The run as its Job shows it; {@code queued} is where Kueue holds it (state Queued) when the Job
   * waits in a queue.
   */
  static JobView view(Job job, List<PodView> pods, Optional<String> queued) {
    var s = job.getStatus();
    var spec = job.getSpec();
    Map<String, String> annotations =
        job.getMetadata().getAnnotations() == null ? Map.of() : job.getMetadata().getAnnotations();
    Optional<JobCondition> end =
        s == null || s.getConditions() == null
            ? Optional.empty()
            : s.getConditions().stream()
                .filter(c -> "True".equals(c.getStatus()))
                .filter(c -> "Complete".equals(c.getType()) || "Failed".equals(c.getType()))
                .findFirst();
    int active = s == null || s.getActive() == null ? 0 : s.getActive();
    String state;
    String reason = null;
    if (end.isPresent()) {
      state = "Complete".equals(end.get().getType()) ? "Succeeded" : "Failed";
      reason = end.get().getReason();
    } else if ("true".equals(annotations.get(CANCELLED))) {
      state = "Cancelled";
    } else if (queued.isPresent() && queued.get().startsWith("queued")) {
      state = "Queued";
      reason = queued.get();
    } else {
      state = active > 0 ? "Running" : "Pending";
    }
    Map<String, String> params = new LinkedHashMap<>();
    if (annotations.containsKey(Labels.PARAMS)) {
      params.put("json", annotations.get(Labels.PARAMS));
    }
    return new JobView(
        job.getMetadata().getName(),
        job.getMetadata().getLabels().get(Labels.JOB_NAME),
        job.getMetadata().getNamespace(),
        state,
        reason,
        spec.getCompletions() == null ? 1 : spec.getCompletions(),
        s == null || s.getSucceeded() == null ? 0 : s.getSucceeded(),
        s == null || s.getFailed() == null ? 0 : s.getFailed(),
        active,
        instant(job.getMetadata().getCreationTimestamp()),
        s == null ? null : instant(s.getCompletionTime()),
        params,
        pods);
  }

  static PodView pod(Pod pod) {
    Optional<ContainerStateTerminated> t = PodExplainer.terminated(pod);
    Map<String, Double> metrics = new LinkedHashMap<>();
    t.map(ContainerStateTerminated::getMessage)
        .ifPresent(
            m -> {
              List<Metric> parsed =
                  new ArrayList<>(MetricParser.parseJson(m.strip(), Instant.EPOCH));
              if (parsed.isEmpty()) {
                m.lines().forEach(l -> parsed.addAll(MetricParser.parseLine(l, Instant.EPOCH)));
              }
              parsed.forEach(x -> metrics.put(x.name(), x.value()));
            });
    Integer row = null;
    var a = pod.getMetadata().getAnnotations();
    if (a != null && a.get(KubernetesBackend.INDEX_ANNOTATION) != null) {
      row = Integer.parseInt(a.get(KubernetesBackend.INDEX_ANNOTATION));
    }
    return new PodView(
        pod.getMetadata().getName(),
        row,
        pod.getSpec().getNodeName(),
        pod.getStatus() == null ? "Pending" : pod.getStatus().getPhase(),
        t.map(ContainerStateTerminated::getReason).orElse(null),
        t.map(ContainerStateTerminated::getExitCode).orElse(null),
        t.map(x -> instant(x.getStartedAt())).orElse(null),
        t.map(x -> instant(x.getFinishedAt())).orElse(null),
        metrics);
  }

  static Duration duration(Instant from, Instant to) {
    return from == null || to == null ? null : Duration.between(from, to);
  }

  private static Instant instant(String timestamp) {
    return timestamp == null ? null : Instant.parse(timestamp);
  }
}

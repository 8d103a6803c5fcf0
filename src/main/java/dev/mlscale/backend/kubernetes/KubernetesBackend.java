package dev.mlscale.backend.kubernetes;

import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.JobRenderer;
import dev.mlscale.render.Labels;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.Resources;
import dev.mlscale.store.AttemptRecord;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Runs a plan on Kubernetes as native objects (a ConfigMap and a batch/v1 Job, see {@link
 * JobRenderer}), follows it with informers (no polling), and explains how it ended. After an
 * OOMKilled with {@code on_oom}, the next attempt is a new Job with more memory.
 */
public final class KubernetesBackend implements dev.mlscale.backend.Backend {
  public static final String TARGET = "kubernetes";
  private final ClusterConnection cluster;
  private final RunStore runs;
  private final Clock clock;

  public KubernetesBackend(ClusterConnection cluster, RunStore runs, Clock clock) {
    this.cluster = cluster;
    this.runs = runs;
    this.clock = clock;
  }

  private KubernetesClient client() {
    return cluster.client();
  }

  /** Checks before creating anything: the namespace and the model-storage claim exist. */
  @Override
  public void preflight(RunPlan plan) {
    String ns = cluster.namespace();
    try {
      if (client().namespaces().withName(ns).get() == null) {
        throw new UserError(
            "namespace '"
                + ns
                + "' does not exist in context "
                + cluster.context()
                + "; create it (kubectl create namespace "
                + ns
                + ") or pick another with -n");
      }
      if (plan.spec().outputsOpt().isPresent()) {
        String claim = plan.spec().kubernetes().modelStorage();
        if (client().persistentVolumeClaims().inNamespace(ns).withName(claim).get() == null) {
          throw new UserError(
              "the model storage claim '"
                  + claim
                  + "' does not exist in namespace "
                  + ns
                  + "; create an RWX PersistentVolumeClaim named "
                  + claim
                  + " (storageClassName: nfs-storage) or set kubernetes.model_storage");
        }
      }
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "read namespace " + ns);
    }
  }

  /** The objects for one attempt, as they will be applied. */
  public JobRenderer.Rendered render(RunPlan plan, int attempt) {
    return JobRenderer.render(
        new RenderInput(
            plan,
            cluster.namespace(),
            CodeArchive.of(plan.workdir()),
            PythonHelper.source(),
            attempt));
  }

  /** Asks the API server to validate the objects without persisting them. */
  public void serverDryRun(List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      try {
        client().resource(o).dryRun().create();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 422 || e.getCode() == 400) {
          throw new UserError(
              "the API server rejects "
                  + o.getKind()
                  + " "
                  + o.getMetadata().getName()
                  + ": "
                  + e.getStatus().getMessage());
        }
        throw cluster.explain(e, "validate " + o.getKind() + " " + o.getMetadata().getName());
      }
    }
  }

  @Override
  public RunRecord create(RunPlan plan) {
    RunRecord r =
        RunRecord.pending(
            plan.runId(),
            plan.name(),
            TARGET,
            plan.specFile().toString(),
            clock.instant(),
            cluster.namespace() + "/" + plan.runId(),
            plan.spec().params());
    runs.create(r);
    return r;
  }

  @Override
  public RunOutcome run(RunPlan plan, RunListener listener) {
    Instant started = clock.instant();
    Resources resources = plan.resources();
    int attempt = 1;
    while (true) {
      RunPlan attemptPlan = attempt == 1 ? plan : withResources(plan, resources);
      Attempt a = runAttempt(attemptPlan, attempt, listener);
      Duration took = Duration.between(started, clock.instant());
      if (a.state == RunState.SUCCEEDED) {
        runs.finish(plan.runId(), RunState.SUCCEEDED, "Completed", "completed", 0, clock.instant());
        listener.stateChanged(plan.runId(), plan.name(), RunState.SUCCEEDED, "completed");
        return new RunOutcome(
            plan.runId(),
            plan.name(),
            RunState.SUCCEEDED,
            "Completed",
            "completed",
            0,
            attempt,
            took,
            runs.finalMetrics(plan.runId()),
            null);
      }
      if ("OOMKilled".equals(a.reason)
          && plan.spec().onOom() != null
          && resources.memory() != null) {
        MemorySize next = plan.spec().onOom().next(resources.memory());
        if (next != null) {
          listener.stateChanged(
              plan.runId(),
              plan.name(),
              RunState.BACKOFF,
              "OOMKilled at " + resources.memory() + "; on_oom: a new Job with " + next);
          resources = resources.withMemory(next);
          attempt++;
          continue;
        }
      }
      runs.finish(plan.runId(), RunState.FAILED, a.reason, a.message, a.exitCode, clock.instant());
      listener.stateChanged(
          plan.runId(), plan.name(), RunState.FAILED, a.reason + ": " + a.message);
      return new RunOutcome(
          plan.runId(),
          plan.name(),
          RunState.FAILED,
          a.reason,
          a.message,
          a.exitCode,
          attempt,
          took,
          runs.finalMetrics(plan.runId()),
          null);
    }
  }

  /** Ctrl-C: the Jobs keep running on the cluster; say how to stop them. */
  @Override
  public void cancelAll() {}

  @Override
  public void close() {
    cluster.client().close();
  }

  private static RunPlan withResources(RunPlan p, Resources r) {
    return new RunPlan(
        p.runId(), p.spec(), p.specFile(), p.workdir(), p.argv(), p.env(), p.paramsJson(), r);
  }

  private Attempt runAttempt(RunPlan plan, int attempt, RunListener listener) {
    String ns = cluster.namespace();
    JobRenderer.Rendered rendered = render(plan, attempt);
    String jobName = rendered.job().getMetadata().getName();
    Map<String, String> lastSeen = new ConcurrentHashMap<>();
    SharedIndexInformer<Pod> pods =
        client()
            .pods()
            .inNamespace(ns)
            .withLabel(Labels.RUN, plan.runId())
            .withLabel(Labels.ATTEMPT, Integer.toString(attempt))
            .inform(
                new ResourceEventHandler<>() {
                  @Override
                  public void onAdd(Pod pod) {
                    report(pod);
                  }

                  @Override
                  public void onUpdate(Pod old, Pod pod) {
                    report(pod);
                  }

                  @Override
                  public void onDelete(Pod pod, boolean unknownFinalState) {
                    if (PodExplainer.disrupted(pod) || unknownFinalState) {
                      listener.stateChanged(
                          plan.runId(),
                          plan.name(),
                          RunState.RUNNING,
                          "pod "
                              + pod.getMetadata().getName()
                              + " was lost (node gone or evicted);"
                              + " the Job controller replaces it");
                    }
                  }

                  private void report(Pod pod) {
                    String line = PodExplainer.describe(pod);
                    if (!line.equals(lastSeen.put(pod.getMetadata().getName(), line))) {
                      RunState state =
                          line.startsWith("Pending") || line.startsWith("Unschedulable")
                              ? RunState.PENDING
                              : RunState.RUNNING;
                      if (state == RunState.RUNNING) {
                        runs.markStarted(plan.runId(), clock.instant());
                      }
                      listener.stateChanged(
                          plan.runId(),
                          plan.name(),
                          state,
                          pod.getMetadata().getName() + ": " + line);
                    }
                  }
                },
                0);
    Instant start = clock.instant();
    try {
      runs.startAttempt(
          plan.runId(),
          attempt,
          plan.resources().memory() == null ? null : plan.resources().memory().bytes(),
          0,
          start);
      listener.stateChanged(
          plan.runId(),
          plan.name(),
          RunState.PENDING,
          "creating Job " + ns + "/" + jobName + " (" + describe(plan.resources()) + ")");
      apply(rendered);
      List<Job> done =
          client()
              .batch()
              .v1()
              .jobs()
              .inNamespace(ns)
              .withName(jobName)
              .informOnCondition(jobs -> jobs.stream().anyMatch(KubernetesBackend::finished))
              .get();
      Job job = done.stream().filter(KubernetesBackend::finished).findFirst().orElseThrow();
      Attempt a = outcome(plan, job, attempt);
      runs.finishAttempt(
          new AttemptRecord(
              plan.runId(),
              attempt,
              a.state,
              a.reason,
              a.exitCode,
              a.message,
              plan.resources().memory() == null ? null : plan.resources().memory().bytes(),
              null,
              start,
              clock.instant()));
      return a;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Attempt(RunState.CANCELLED, "Cancelled", "interrupted", null);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KubernetesClientException kce) {
        throw cluster.explain(kce, "watch Job " + jobName);
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pods.close();
    }
  }

  /** Creates the ConfigMap, then the Job, then makes the Job the ConfigMap's owner. */
  private void apply(JobRenderer.Rendered rendered) {
    KubernetesClient c = client();
    ConfigMap files = (ConfigMap) rendered.objects().get(0);
    try {
      c.resource(files).create();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "create ConfigMap " + files.getMetadata().getName());
    }
    Job job;
    try {
      job = c.resource(rendered.job()).create();
    } catch (KubernetesClientException e) {
      c.resource(files).delete(); // leave nothing half-created behind
      throw cluster.explain(e, "create Job " + rendered.job().getMetadata().getName());
    }
    c.configMaps()
        .inNamespace(files.getMetadata().getNamespace())
        .withName(files.getMetadata().getName())
        .edit(
            cm -> {
              cm.getMetadata()
                  .setOwnerReferences(
                      List.of(
                          new OwnerReferenceBuilder()
                              .withApiVersion("batch/v1")
                              .withKind("Job")
                              .withName(job.getMetadata().getName())
                              .withUid(job.getMetadata().getUid())
                              .withBlockOwnerDeletion(true)
                              .build()));
              return cm;
            });
  }

  static boolean finished(Job job) {
    return job != null
        && job.getStatus() != null
        && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "True".equals(c.getStatus())
                        && ("Complete".equals(c.getType()) || "Failed".equals(c.getType())));
  }

  /** How the Job ended: its condition, and the last pod's container state and message. */
  private Attempt outcome(RunPlan plan, Job job, int attempt) {
    List<Pod> pods =
        client()
            .pods()
            .inNamespace(cluster.namespace())
            .withLabel(Labels.RUN, plan.runId())
            .withLabel(Labels.ATTEMPT, Integer.toString(attempt))
            .list()
            .getItems();
    Optional<Pod> last =
        pods.stream().max(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()));
    Optional<ContainerStateTerminated> term = last.flatMap(PodExplainer::terminated);
    term.map(ContainerStateTerminated::getMessage).ifPresent(m -> recordMetrics(plan, attempt, m));
    JobCondition cond =
        job.getStatus().getConditions().stream()
            .filter(c -> "True".equals(c.getStatus()))
            .filter(c -> "Complete".equals(c.getType()) || "Failed".equals(c.getType()))
            .findFirst()
            .orElseThrow();
    if ("Complete".equals(cond.getType())) {
      return new Attempt(RunState.SUCCEEDED, "Completed", "completed", 0);
    }
    Integer exit = term.map(ContainerStateTerminated::getExitCode).orElse(null);
    if (term.isPresent() && "OOMKilled".equals(term.get().getReason())) {
      return new Attempt(
          RunState.FAILED,
          "OOMKilled",
          "the container used more than its memory"
              + " limit of "
              + plan.resources().memory()
              + " and was killed (exit code 137) on node "
              + last.get().getSpec().getNodeName()
              + ". Raise resources.memory, or add on_oom:"
              + " {increase: 2x, max: ...} to retry with more",
          137);
    }
    String reason = cond.getReason() == null ? "Failed" : cond.getReason();
    String message =
        switch (reason) {
          case "DeadlineExceeded" ->
              "ran longer than its timeout of " + plan.spec().timeout() + " and was stopped";
          case "PodFailurePolicy" ->
              "exited with code " + exit + ", one of fail_fast_exit_codes: not retried";
          case "BackoffLimitExceeded" ->
              "failed "
                  + (plan.spec().retries().limit() + 1)
                  + " time(s); the last pod ended with "
                  + term.map(PodExplainer::reason).orElse("?");
          default -> cond.getMessage();
        };
    return new Attempt(
        RunState.FAILED, reason.equals("BackoffLimitExceeded") ? "Error" : reason, message, exit);
  }

  private void recordMetrics(RunPlan plan, int attempt, String message) {
    Instant now = clock.instant();
    List<Metric> m = MetricParser.parseJson(message.strip(), now);
    if (m.isEmpty()) {
      m = message.lines().flatMap(l -> MetricParser.parseLine(l, now).stream()).toList();
    }
    runs.addMetrics(plan.runId(), attempt, m);
  }

  private static String describe(Resources r) {
    return "cpu "
        + r.cpu()
        + (r.memory() == null ? "" : ", memory " + r.memory())
        + (r.gpus() > 0 ? ", gpus " + r.gpus() : "");
  }

  private record Attempt(RunState state, String reason, String message, Integer exitCode) {}
}

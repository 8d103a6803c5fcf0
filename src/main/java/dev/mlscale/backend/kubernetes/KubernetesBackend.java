package dev.mlscale.backend.kubernetes;

import dev.mlscale.backend.Backend;
import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.kubernetes.JobOutcomes.Row;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import dev.mlscale.plan.AttemptPolicy;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.plan.Submission;
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
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Runs submissions on Kubernetes as native objects (an immutable ConfigMap and a batch/v1 Job, see
 * {@link JobRenderer}); parameter rows become ONE Indexed Job. Follows them with informers (no
 * polling) and explains how each run ended. After an OOMKilled with {@code on_oom}, the next
 * attempt is a new Job with more memory.
 */
public final class KubernetesBackend implements Backend {
  public static final String TARGET = "kubernetes";
  static final String INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index";

  private final ClusterConnection cluster;
  private final RunStore runs;
  private final Clock clock;
  private dev.mlscale.store.ModelStore models;

  public KubernetesBackend(ClusterConnection cluster, RunStore runs, Clock clock) {
    this.cluster = cluster;
    this.runs = runs;
    this.clock = clock;
  }

  private KubernetesClient client() {
    return cluster.client();
  }

  /**
   * Records the models of successful runs in {@code store}: each version points at the files the
   * run wrote on the cluster's model storage ({@code pvc://NS/CLAIM/models/NAME/JOB}).
   */
  public KubernetesBackend registeringModels(dev.mlscale.store.ModelStore store) {
    this.models = store;
    return this;
  }

  /** Checks before creating anything: the namespace and the model-storage claim exist. */
  @Override
  public void preflight(Submission submission) {
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
      if (submission.spec().outputsOpt().isPresent()) {
        requireClaim(
            ns,
            submission.spec().kubernetes().modelStorage(),
            "model storage claim",
            "kubernetes.model_storage");
      }
      var queue = submission.spec().kubernetes().queueOpt();
      if (queue.isPresent()) {
        requireQueue(ns, queue.get());
      }
      if (submission.spec().setupOpt().isPresent()) {
        requireClaim(
            ns,
            submission.spec().kubernetes().envStorage(),
            "claim that caches Python environments (setup)",
            "kubernetes.env_storage");
      }
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "read namespace " + ns);
    }
  }

  private void requireQueue(String ns, String queue) {
    GenericKubernetesResource lq;
    try {
      lq =
          client()
              .genericKubernetesResources(Queues.API, "LocalQueue")
              .inNamespace(ns)
              .withName(queue)
              .get();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        throw new UserError(
            "kubernetes.queue is '"
                + queue
                + "' but Kueue is not installed in context "
                + cluster.context()
                + " (no LocalQueue API): install Kueue, or remove kubernetes.queue");
      }
      throw e;
    }
    if (lq == null) {
      throw new UserError(
          "the Kueue LocalQueue '"
              + queue
              + "' does not exist in namespace "
              + ns
              + "; create one that points at a ClusterQueue (kind: LocalQueue, spec.clusterQueue),"
              + " or set kubernetes.queue to one of 'kubectl get localqueues -n "
              + ns
              + "'");
    }
  }

  private void requireClaim(String ns, String claim, String what, String field) {
    if (client().persistentVolumeClaims().inNamespace(ns).withName(claim).get() == null) {
      throw new UserError(
          "the "
              + what
              + " '"
              + claim
              + "' does not exist in namespace "
              + ns
              + "; create it with: mlscale cluster init -n "
              + ns
              + " --claim "
              + claim
              + " (an RWX PersistentVolumeClaim on nfs-storage; --storage-class names another),"
              + " or set "
              + field);
    }
  }

  /** The objects for the submission's first attempt, as they will be applied. */
  public JobRenderer.Rendered render(Submission submission) {
    return JobRenderer.render(
        RenderInput.of(
                submission,
                cluster.namespace(),
                CodeArchive.of(submission.runs().get(0).workdir()),
                PythonHelper.source())
            .withPip(cluster.pip()));
  }

  /** Asks the API server to validate the objects without persisting them. */
  public void serverDryRun(List<HasMetadata> objects) {
    for (HasMetadata o : objects) {
      try {
        client().resource(o).dryRun().create();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 404) {
          throw new UserError(
              "namespace '"
                  + o.getMetadata().getNamespace()
                  + "' does not exist in"
                  + " context "
                  + cluster.context()
                  + ", or the API server does not know "
                  + o.getKind()
                  + " (are its CRDs installed?)");
        }
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
  public void create(Submission submission) {
    for (RunPlan plan : submission.runs()) {
      runs.create(
          Backend.pending(
              plan, TARGET, clock.instant(), cluster.namespace() + "/" + submission.id()));
    }
  }

  @Override
  public List<RunOutcome> run(Submission submission, RunListener listener) {
    Instant started = clock.instant();
    CodeArchive code = CodeArchive.of(submission.runs().get(0).workdir());
    if (submission.rows()) {
      RenderInput in =
          RenderInput.of(submission, cluster.namespace(), code, PythonHelper.source())
              .withPip(cluster.pip());
      List<Row> rows = runAttempt(in, submission.runs(), listener, true);
      List<RunOutcome> out = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        out.add(finish(submission.runs().get(i), rows.get(i), 1, started, listener));
      }
      return out;
    }
    RunPlan plan = submission.runs().get(0);
    Resources resources = plan.resources();
    int attempt = 1;
    int gangRetries = 0;
    while (true) {
      RunPlan attemptPlan = attempt == 1 ? plan : withResources(plan, resources);
      RenderInput in =
          new RenderInput(
                  attemptPlan, cluster.namespace(), code, PythonHelper.source(), attempt, null)
              .withPip(cluster.pip());
      Row row = runAttempt(in, List.of(attemptPlan), listener, true).get(0);
      Optional<MemorySize> more =
          "OOMKilled".equals(row.reason())
              ? AttemptPolicy.of(plan.spec()).afterOom(resources.memory(), null)
              : Optional.empty();
      if (more.isPresent()) {
        listener.stateChanged(
            plan.runId(),
            plan.name(),
            RunState.BACKOFF,
            "OOMKilled at " + resources.memory() + "; on_oom: a new Job with " + more.get());
        resources = resources.withMemory(more.get());
        attempt++;
        continue;
      }
      if (plan.spec().distributedOpt().isPresent()
          && row.state() == RunState.FAILED
          && gangRetries < plan.spec().retries().limit()
          && plan.spec()
              .retries()
              .retries(kindOf(row), row.exitCode() == null ? 0 : row.exitCode())) {
        gangRetries++; // a gang is retried whole, as a new Job: retries count gangs, not pods
        listener.stateChanged(
            plan.runId(),
            plan.name(),
            RunState.BACKOFF,
            row.reason()
                + ": "
                + row.message()
                + "; retry "
                + gangRetries
                + " of "
                + plan.spec().retries().limit()
                + ": a new Job starts all "
                + plan.spec().workers()
                + " workers again");
        attempt++;
        continue;
      }
      return List.of(finish(plan, row, attempt, started, listener));
    }
  }

  private static dev.mlscale.spec.FailureKind kindOf(Row row) {
    return switch (row.reason()) {
      case "OOMKilled" -> dev.mlscale.spec.FailureKind.OOM;
      case "DeadlineExceeded" -> dev.mlscale.spec.FailureKind.TIMEOUT;
      default -> dev.mlscale.spec.FailureKind.ERROR;
    };
  }

  private RunOutcome finish(
      RunPlan plan, Row row, int attempts, Instant started, RunListener listener) {
    runs.finish(
        plan.runId(), row.state(), row.reason(), row.message(), row.exitCode(), clock.instant());
    dev.mlscale.store.ModelRecord model = null;
    if (row.state() == RunState.SUCCEEDED
        && models != null
        && plan.spec().outputsOpt().isPresent()) {
      String name = plan.spec().outputs().model();
      String job = attempts == 1 ? plan.runId() : plan.runId() + "-a" + attempts;
      model =
          models.registerRemote(
              name,
              plan.runId(),
              "pvc://"
                  + cluster.namespace()
                  + "/"
                  + plan.spec().kubernetes().modelStorage()
                  + "/models/"
                  + name
                  + "/"
                  + job,
              plan.spec().params(),
              runs.finalMetrics(plan.runId()),
              clock.instant());
      runs.setModel(plan.runId(), model.ref());
    }
    listener.stateChanged(
        plan.runId(),
        plan.name(),
        row.state(),
        row.state() == RunState.SUCCEEDED ? "completed" : row.reason() + ": " + row.message());
    return new RunOutcome(
        plan.runId(),
        plan.name(),
        row.state(),
        row.reason(),
        row.message(),
        row.exitCode(),
        attempts,
        Duration.between(started, clock.instant()),
        runs.finalMetrics(plan.runId()),
        model);
  }

  /**
   * Creates a run's Job now (for sweeps: the Job is the trial's durable record) without waiting for
   * it; {@link #follow} waits.
   */
  public void submit(RenderInput in) {
    record(in);
    apply(JobRenderer.render(in));
  }

  /** Records the run in the local store (a cache: the cluster is the record). */
  private void record(RenderInput in) {
    runs.createIfAbsent(
        RunRecord.pending(
            in.plan().runId(),
            in.plan().name(),
            TARGET,
            in.plan().specFile().toString(),
            clock.instant(),
            cluster.namespace() + "/" + in.jobName(),
            in.plan().spec().params()));
  }

  /** Follows a run's existing Job to its end, as {@link #run} does, and says how it ended. */
  public RunOutcome follow(RenderInput in, RunListener listener) {
    record(in);
    Instant started = clock.instant();
    Row row = runAttempt(in, List.of(in.plan()), listener, false).get(0);
    return finish(in.plan(), row, in.attempt(), started, listener);
  }

  /** Suspends a run's Job: its pods stop, the Job stays as a record. */
  public void suspend(String jobName) {
    new ClusterRuns(cluster).cancel(jobName);
  }

  /** Ctrl-C: the Jobs keep running on the cluster; 'mlscale cancel' stops them. */
  @Override
  public void cancelAll() {}

  @Override
  public String where() {
    return "Kubernetes";
  }

  @Override
  public void close() {
    cluster.client().close();
  }

  private static RunPlan withResources(RunPlan p, Resources r) {
    return new RunPlan(
        p.runId(), p.spec(), p.specFile(), p.workdir(), p.argv(), p.env(), p.paramsJson(), r);
  }

  /**
   * Creates one Job (single or Indexed), reports its pods' progress, waits for it to finish and
   * returns how each row ended (one row for a single run).
   */
  private List<Row> runAttempt(
      RenderInput in, List<RunPlan> plans, RunListener listener, boolean create) {
    String ns = cluster.namespace();
    JobRenderer.Rendered rendered = JobRenderer.render(in);
    String jobName = in.jobName();
    Map<String, String> lastSeen = new ConcurrentHashMap<>();
    PodLogs logs = new PodLogs(client(), ns, runs, clock, PodLogs.DEFAULT_CAP);
    java.util.concurrent.atomic.AtomicReference<String> hint =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<AutoscalerWatch> autoscaler =
        new java.util.concurrent.atomic.AtomicReference<>();
    Map<String, String> autoscalerSaid = new ConcurrentHashMap<>();
    Map<String, RunPlan> planOfPod = new ConcurrentHashMap<>();
    SharedIndexInformer<Pod> pods =
        client()
            .pods()
            .inNamespace(ns)
            .withLabel(Labels.RUN, in.runId())
            .withLabel(Labels.ATTEMPT, Integer.toString(in.attempt()))
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
                      RunPlan plan = planOf(pod, plans);
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
                    if (line.startsWith("Unschedulable")) {
                      // the nodes are listed once per attempt, not once per pending row
                      line +=
                          "; "
                              + hint.updateAndGet(
                                  h -> h != null ? h : poolHint(in.plan().resources()));
                    }
                    if (line.startsWith("Running")) {
                      logs.running(pod, planOf(pod, plans), listener);
                    }
                    if (!line.equals(lastSeen.put(pod.getMetadata().getName(), line))) {
                      RunPlan plan = planOf(pod, plans);
                      boolean waiting =
                          line.startsWith("Pending") || line.startsWith("Unschedulable");
                      if (!waiting) {
                        runs.markStarted(plan.runId(), clock.instant());
                      }
                      listener.stateChanged(
                          plan.runId(),
                          plan.name(),
                          waiting ? RunState.PENDING : RunState.RUNNING,
                          pod.getMetadata().getName() + ": " + line);
                    }
                    if (line.startsWith("Unschedulable")) {
                      planOfPod.put(pod.getMetadata().getName(), planOf(pod, plans));
                      if (autoscaler.get() == null) {
                        autoscaler.set(
                            watchAutoscaler(
                                jobName, listener, planOfPod, lastSeen, autoscalerSaid));
                      }
                    }
                  }
                },
                0);
    QueueWatch queue = null;
    Instant start = clock.instant();
    Long memory =
        in.plan().resources().memory() == null ? null : in.plan().resources().memory().bytes();
    try {
      for (RunPlan plan : plans) {
        runs.startAttempt(plan.runId(), in.attempt(), memory, 0, start);
      }
      listener.stateChanged(
          in.runId(),
          in.plan().name(),
          RunState.PENDING,
          "creating "
              + (in.rowsOpt().isPresent() ? "Indexed Job " : "Job ")
              + ns
              + "/"
              + jobName
              + (in.rowsOpt().isPresent()
                  ? " (" + plans.size() + " rows, parallelism " + in.rows().parallelism() + ")"
                  : "")
              + " ("
              + describe(in.plan().resources())
              + ")");
      if (create) {
        apply(rendered);
      }
      queue = watchQueue(in, listener);
      List<Job> done =
          client()
              .batch()
              .v1()
              .jobs()
              .inNamespace(ns)
              .withName(jobName)
              .informOnCondition(
                  jobs -> jobs.isEmpty() || jobs.stream().anyMatch(KubernetesBackend::finished))
              .get();
      List<Row> rows =
          !done.isEmpty() && isCancelled(done.get(0))
              ? plans.stream()
                  .map(
                      p ->
                          new Row(
                              RunState.CANCELLED,
                              "Cancelled",
                              "cancelled with 'mlscale cancel'; the Job is suspended",
                              null))
                  .toList()
              : done.isEmpty()
                  ? plans.stream()
                      .map(
                          p ->
                              new Row(
                                  RunState.FAILED,
                                  "Deleted",
                                  "Job "
                                      + ns
                                      + "/"
                                      + jobName
                                      + " was deleted by someone else before it finished",
                                  null))
                      .toList()
                  : outcomes(in, done.get(0), plans);
      for (int i = 0; i < plans.size(); i++) {
        Row r = rows.get(i);
        runs.finishAttempt(
            new AttemptRecord(
                plans.get(i).runId(),
                in.attempt(),
                r.state(),
                r.reason(),
                r.exitCode(),
                r.message(),
                memory,
                null,
                start,
                clock.instant()));
      }
      return rows;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return plans.stream()
          .map(p -> new Row(RunState.CANCELLED, "Cancelled", "interrupted", null))
          .toList();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof KubernetesClientException kce) {
        throw cluster.explain(kce, "watch Job " + jobName);
      }
      throw new IllegalStateException(e.getCause());
    } finally {
      pods.close();
      logs.close();
      if (queue != null) {
        queue.close();
      }
      if (autoscaler.get() != null) {
        autoscaler.get().close();
      }
    }
  }

  /**
   * Once a pod of the attempt cannot be scheduled: follows what the cluster autoscaler says about
   * the attempt's pods and reports it while the pod still waits ("the cluster autoscaler is adding
   * a node to node group train-gpu (0 → 1 node, at most 2)").
   */
  private AutoscalerWatch watchAutoscaler(
      String jobName,
      RunListener listener,
      Map<String, RunPlan> planOfPod,
      Map<String, String> lastSeen,
      Map<String, String> said) {
    try {
      return new AutoscalerWatch(
          client(),
          cluster.namespace(),
          pod -> pod.startsWith(jobName + "-"),
          (pod, line) -> {
            String now = lastSeen.getOrDefault(pod, "Unschedulable"); // not reported yet
            boolean waiting = now.startsWith("Pending") || now.startsWith("Unschedulable");
            RunPlan plan = planOfPod.get(pod);
            if (waiting && plan != null && !line.equals(said.put(pod, line))) {
              listener.stateChanged(plan.runId(), plan.name(), RunState.PENDING, pod + ": " + line);
            }
          });
    } catch (KubernetesClientException e) {
      return null; // the Events cannot be read: the Unschedulable line says what it can
    }
  }

  /**
   * For a Job in a Kueue queue, follows its Workload and says where it stands ("queued in X
   * (position N; ClusterQueue Y has used 8 of 10 CPUs)") each time that changes.
   */
  private QueueWatch watchQueue(RenderInput in, RunListener listener) {
    if (in.plan().spec().kubernetes().queueOpt().isEmpty()) {
      return null;
    }
    Job job = cluster.jobs().withName(in.jobName()).get();
    if (job == null) {
      return null; // deleted already; the Job informer reports it
    }
    try {
      return new QueueWatch(
          client(),
          cluster.namespace(),
          job.getMetadata().getUid(),
          line ->
              listener.stateChanged(
                  in.runId(),
                  in.plan().name(),
                  line.startsWith("queued") ? RunState.WAITING : RunState.PENDING,
                  line));
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "watch Kueue's Workloads");
    }
  }

  private String poolHint(Resources r) {
    try {
      return PoolFit.hint(client().nodes().list().getItems(), r);
    } catch (KubernetesClientException e) {
      return "the nodes cannot be listed to say which pools could fit it";
    }
  }

  private static boolean isCancelled(Job job) {
    return job.getMetadata().getAnnotations() != null
        && "true".equals(job.getMetadata().getAnnotations().get(ClusterRuns.CANCELLED));
  }

  private static RunPlan planOf(Pod pod, List<RunPlan> plans) {
    return plans.get(indexOf(pod).filter(i -> i < plans.size()).orElse(0));
  }

  static Optional<Integer> indexOf(Pod pod) {
    Map<String, String> a = pod.getMetadata().getAnnotations();
    String index = a == null ? null : a.get(INDEX_ANNOTATION);
    try {
      return index == null ? Optional.empty() : Optional.of(Integer.parseInt(index));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * Creates the ConfigMap, then the Job, then makes the Job the ConfigMap's owner. Names are the
   * run's id, so a create that finds its object there already is a retry after a crash (or a second
   * owner racing): a ConfigMap no Job owns yet is replaced, an existing Job is adopted, and there
   * is never a second Job for one run.
   */
  private void apply(JobRenderer.Rendered rendered) {
    KubernetesClient c = client();
    ConfigMap files = (ConfigMap) rendered.objects().get(0);
    try {
      c.resource(files).create();
    } catch (KubernetesClientException e) {
      if (!alreadyExists(e)) {
        throw cluster.explain(e, "create ConfigMap " + files.getMetadata().getName());
      }
      ConfigMap there = c.resource(files).get();
      if (there != null
          && (there.getMetadata().getOwnerReferences() == null
              || there.getMetadata().getOwnerReferences().isEmpty())) {
        // left by a create that died before its Job existed; immutable, so made anew
        c.resource(files).withGracePeriod(0).delete();
        c.resource(files).create();
      }
    }
    Job job;
    try {
      job = c.resource(rendered.job()).create();
    } catch (KubernetesClientException e) {
      if (!alreadyExists(e)) {
        c.resource(files).delete(); // leave nothing half-created behind
        throw cluster.explain(e, "create Job " + rendered.job().getMetadata().getName());
      }
      job = c.resource(rendered.job()).get(); // adopted: this run's Job exists already
      if (job == null) {
        throw cluster.explain(e, "create Job " + rendered.job().getMetadata().getName());
      }
    }
    String jobName = job.getMetadata().getName();
    String jobUid = job.getMetadata().getUid();
    var owner =
        new OwnerReferenceBuilder()
            .withApiVersion("batch/v1")
            .withKind("Job")
            .withName(jobName)
            .withUid(jobUid)
            .withBlockOwnerDeletion(true)
            .build();
    c.configMaps()
        .inNamespace(files.getMetadata().getNamespace())
        .withName(files.getMetadata().getName())
        .edit(
            cm -> {
              cm.getMetadata().setOwnerReferences(List.of(owner));
              return cm;
            });
    // the rest (a distributed run's headless Service) is the Job's from the start
    for (HasMetadata o : rendered.objects().subList(1, rendered.objects().size() - 1)) {
      o.getMetadata().setOwnerReferences(List.of(owner));
      try {
        c.resource(o).create();
      } catch (KubernetesClientException e) {
        if (!alreadyExists(e)) {
          throw cluster.explain(e, "create " + o.getKind() + " " + o.getMetadata().getName());
        }
      }
    }
  }

  private static boolean alreadyExists(KubernetesClientException e) {
    return e.getCode() == 409
        && e.getStatus() != null
        && "AlreadyExists".equals(e.getStatus().getReason());
  }

  static boolean finished(Job job) {
    if (job != null
        && job.getMetadata().getAnnotations() != null
        && "true".equals(job.getMetadata().getAnnotations().get(ClusterRuns.CANCELLED))) {
      return true;
    }
    return job != null
        && job.getStatus() != null
        && job.getStatus().getConditions() != null
        && job.getStatus().getConditions().stream()
            .anyMatch(
                c ->
                    "True".equals(c.getStatus())
                        && ("Complete".equals(c.getType()) || "Failed".equals(c.getType())));
  }

  /** How each row ended: the Job's condition and indexes, each row's last pod. */
  private List<Row> outcomes(RenderInput in, Job job, List<RunPlan> plans) {
    List<Pod> pods =
        client()
            .pods()
            .inNamespace(cluster.namespace())
            .withLabel(Labels.RUN, in.runId())
            .withLabel(Labels.ATTEMPT, Integer.toString(in.attempt()))
            .list()
            .getItems();
    List<Row> rows = new ArrayList<>();
    List<JobOutcomes.Outcome> outcomes =
        JobOutcomes.classify(new JobOutcomes.Snapshot(job, pods), plans, in.rowsOpt().isPresent());
    for (int i = 0; i < plans.size(); i++) {
      JobOutcomes.Outcome o = outcomes.get(i);
      RunPlan plan = plans.get(i);
      o.metrics().ifPresent(m -> recordMetrics(plan, in.attempt(), m));
      rows.add(o.row());
    }
    return rows;
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
}

package dev.mlscale.pipeline;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.local.LocalBackend;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.UserError;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.DurationValue;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.ModelStore;
import dev.mlscale.store.PipelineStore;
import dev.mlscale.store.RunState;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a pipeline on this machine: job tasks as local runs (within the machine's resources),
 * built-in tasks in process, a shared workspace directory ({@code $MLSCALE_WORKSPACE}, the
 * workshop's wf-storage), and the {@code on_exit} task always, told how the pipeline ended.
 */
public final class LocalPipelineRunner {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final LocalBackend backend;
  private final PipelineStore store;
  private final ModelStore models;
  private final Clock clock;
  private final Map<String, String> environment;

  public LocalPipelineRunner(
      LocalBackend backend,
      PipelineStore store,
      ModelStore models,
      Clock clock,
      Map<String, String> environment) {
    this.backend = backend;
    this.models = models;
    this.store = store;
    this.clock = clock;
    this.environment = environment;
  }

  /** How a pipeline ended, and its exit task's result (which never changes that). */
  public record Outcome(
      String id,
      String status,
      Map<String, DagExecutor.Result> tasks,
      DagExecutor.Result onExit,
      Duration duration) {
    public boolean succeeded() {
      return status.equals("Succeeded");
    }
  }

  /**
   * Checks every task before anything is recorded or started, so that a mistake is exit code 2 with
   * nothing left behind: its job file, its {@code ${params.x}}, and what the backend can check (a
   * command not on PATH, a setup file that does not exist, resources that never fit).
   */
  public void validate(String id, PipelineSpec spec, Path file) {
    Dag dag = Dag.of(file.toString(), spec);
    for (Dag.Node n : dag.nodes()) {
      check(id, n, spec, file);
    }
    if (spec.onExit() != null) {
      check(id, new Dag.Node(spec.onExit().name(), spec.onExit(), Map.of(), List.of()), spec, file);
    }
  }

  private void check(String id, Dag.Node node, PipelineSpec spec, Path file) {
    Path jobFile = fileOf(node, file);
    try {
      JobSpec job = jobOf(node, spec, file);
      transferOf(node, spec, file);
      if (job != null) {
        // an inline task's fields are in the pipeline file, at the task
        String at =
            node.task().kind() instanceof TaskKind.JobFile ? "" : spec.pointerOf(node.task());
        backend.preflight(Planner.plan(id + "-" + node.name(), job, jobFile), at);
      }
    } catch (UserError e) {
      if (e.position().isPresent()) {
        throw e;
      }
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("uses (\\$\\{params\\.[^}]+})").matcher(e.detail());
      if (!m.find()) {
        throw e;
      }
      var where =
          SpecLoader.positionOfText(file, m.group(1))
              .or(() -> SpecLoader.positionOfText(jobFile, m.group(1)));
      if (where.isEmpty()) {
        throw e;
      }
      String detail = e.detail();
      for (Path p : List.of(file, jobFile)) {
        if (detail.startsWith(p + ": ")) {
          detail = detail.substring(p.toString().length() + 2);
        }
      }
      throw new UserError(where.get(), "task '" + node.name() + "': " + detail);
    }
  }

  /** Records a new run of {@code spec} and runs it to its end. */
  public Outcome run(
      String id,
      PipelineSpec spec,
      Path file,
      List<String> overrides,
      Path workspace,
      DagExecutor.Listener listener,
      RunListener output)
      throws InterruptedException {
    Dag dag = Dag.of(file.toString(), spec);
    prepare(dag, spec, file); // its mistakes before anything is recorded
    List<PipelineStore.TaskRecord> records = new ArrayList<>();
    dag.nodes()
        .forEach(
            n ->
                records.add(
                    PipelineStore.TaskRecord.pending(n.name(), n.task().name(), n.depends())));
    if (spec.onExit() != null) {
      // the exit task comes after all others (it is drawn last)
      records.add(
          PipelineStore.TaskRecord.pending(
              spec.onExit().name(),
              spec.onExit().name(),
              dag.nodes().stream().map(Dag.Node::name).toList()));
    }
    store.create(
        id, spec.name(), file.toAbsolutePath().toString(), overrides, records, clock.instant());
    return execute(id, spec, file, workspace, Map.of(), Map.of(), null, listener, output);
  }

  /**
   * Runs a Failed or Cancelled run again under its id: the tasks that succeeded and the workspace
   * are kept; the failed, cancelled, skipped and unfinished tasks run again (as their next attempt,
   * with new run ids), and so does the exit task.
   */
  public Outcome retry(
      String id,
      PipelineSpec spec,
      Path file,
      Path workspace,
      DagExecutor.Listener listener,
      RunListener output)
      throws InterruptedException {
    List<PipelineStore.TaskRecord> tasks = recordedTasks(id, spec, file);
    String exitName = spec.onExit() == null ? null : spec.onExit().name();
    Map<String, DagExecutor.Result> kept = new LinkedHashMap<>();
    List<String> again = new ArrayList<>();
    for (PipelineStore.TaskRecord t : tasks) {
      if (t.state().equals("Succeeded") && !t.task().equals(exitName)) {
        kept.put(t.task(), resultOf(t));
      } else {
        again.add(t.task());
      }
    }
    if (!store.reopen(id, again)) {
      throw refused(id, "retry runs a Failed or Cancelled run again");
    }
    return execute(id, spec, file, workspace, kept, Map.of(), null, listener, output);
  }

  /**
   * Continues a Running run whose owner died (the caller holds its owner lock now): what ended
   * stays as it ended, each task recorded Running goes through {@link #resumeTask}, and what never
   * started starts. The exit task runs unless it had ended.
   */
  public Outcome resume(
      String id,
      PipelineSpec spec,
      Path file,
      Path workspace,
      DagExecutor.Listener listener,
      RunListener output)
      throws InterruptedException {
    List<PipelineStore.TaskRecord> tasks = recordedTasks(id, spec, file);
    if (!store.adopt(id)) {
      throw refused(
          id,
          "resume continues a run whose mlscale process died ('mlscale pipeline retry "
              + id
              + "' runs the failed tasks of an ended one again)");
    }
    String exitName = spec.onExit() == null ? null : spec.onExit().name();
    Map<String, DagExecutor.Result> ended = new LinkedHashMap<>();
    Map<String, PipelineStore.TaskRecord> running = new LinkedHashMap<>();
    PipelineStore.TaskRecord exitEnded = null;
    for (PipelineStore.TaskRecord t : tasks) {
      boolean done = !t.state().equals("Pending") && !t.state().equals("Running");
      if (t.task().equals(exitName)) {
        exitEnded = done ? t : null;
      } else if (done) {
        ended.put(t.task(), resultOf(t));
      } else if (t.state().equals("Running")) {
        running.put(t.task(), t);
      }
    }
    return execute(id, spec, file, workspace, ended, running, exitEnded, listener, output);
  }

  /**
   * Continues a task that was running when its pipeline's owner died. A job task's run is taken
   * over by the backend ({@link LocalBackend#resume}): an attempt that ended while nobody watched
   * is taken as it ended, one still running is followed to its end, and it is never started again.
   * A built-in task (S3, Slack, register_model), which runs inside mlscale, runs again as its next
   * attempt.
   */
  DagExecutor.Result resumeTask(
      String id,
      Dag.Node node,
      PipelineStore.TaskRecord was,
      RunPlan old,
      Map<String, Integer> attempts,
      DagExecutor.TaskRunner again,
      RunListener output) {
    if (old != null && backend.runs().find(old.runId()).isPresent()) {
      Instant start = clock.instant();
      return resultOf(node.name(), backend.resume(old, output), start);
    }
    int attempt = store.nextAttempt(id, node.name());
    attempts.put(node.name(), attempt);
    store.taskStarted(id, node.name(), null, clock.instant());
    return again.run(node);
  }

  /** The run id of a task's attempt: RUN-train for the first, RUN-train-try2 for the second. */
  static String runIdOf(String id, String node, int attempt) {
    return id + "-" + node + (attempt <= 1 ? "" : "-try" + attempt);
  }

  private UserError refused(String id, String why) {
    return new UserError("pipeline run " + id + " is " + store.get(id).state() + "; " + why);
  }

  /**
   * The recorded tasks of a run, checked against its spec as it reads now (and the spec's jobs
   * checked before anything changes).
   */
  private List<PipelineStore.TaskRecord> recordedTasks(String id, PipelineSpec spec, Path file) {
    Dag dag = Dag.of(file.toString(), spec);
    prepare(dag, spec, file);
    List<PipelineStore.TaskRecord> tasks = store.tasks(id);
    List<String> now = new ArrayList<>(dag.nodes().stream().map(Dag.Node::name).toList());
    if (spec.onExit() != null) {
      now.add(spec.onExit().name());
    }
    List<String> then = tasks.stream().map(PipelineStore.TaskRecord::task).toList();
    if (!now.equals(then)) {
      throw new UserError(
          file
              + " has changed since pipeline run "
              + id
              + " started: it had tasks "
              + String.join(", ", then)
              + ", now "
              + String.join(", ", now)
              + "; put the spec back, or start a new run with 'mlscale pipeline run "
              + file
              + "'");
    }
    return tasks;
  }

  /** A task's result as recorded, with the final metrics of its run. */
  private DagExecutor.Result resultOf(PipelineStore.TaskRecord t) {
    DagExecutor.State state =
        switch (t.state()) {
          case "Succeeded" -> DagExecutor.State.SUCCEEDED;
          case "Cancelled" -> DagExecutor.State.CANCELLED;
          case "Skipped" -> DagExecutor.State.SKIPPED;
          default -> DagExecutor.State.FAILED;
        };
    return new DagExecutor.Result(
        t.task(),
        state,
        t.message() == null ? "" : t.message(),
        t.runId(),
        t.runId() == null ? Map.of() : backend.runs().finalMetrics(t.runId()),
        t.startedAt(),
        t.endedAt());
  }

  /** What each task runs: its job, its job file, its S3 transfer (null where it has none). */
  private record Prepared(
      Map<String, JobSpec> jobs,
      Map<String, Path> files,
      Map<String, S3Transfer> transfers,
      Dag.Node exitNode,
      JobSpec exitJob) {}

  private static Prepared prepare(Dag dag, PipelineSpec spec, Path file) {
    Map<String, JobSpec> jobs = new LinkedHashMap<>();
    Map<String, Path> files = new LinkedHashMap<>();
    Map<String, S3Transfer> transfers = new LinkedHashMap<>();
    for (Dag.Node n : dag.nodes()) {
      jobs.put(n.name(), jobOf(n, spec, file));
      files.put(n.name(), fileOf(n, file));
      transfers.put(n.name(), transferOf(n, spec, file));
    }
    // the exit task's job too, so that a mistake in it shows before anything runs
    Dag.Node exitNode =
        spec.onExit() == null
            ? null
            : new Dag.Node(spec.onExit().name(), spec.onExit(), Map.of(), List.of());
    JobSpec exitJob = exitNode == null ? null : jobOf(exitNode, spec, file);
    return new Prepared(jobs, files, transfers, exitNode, exitJob);
  }

  /**
   * Runs a recorded run's tasks to the end, going on from {@code ended} (not run again); the tasks
   * in {@code running} were running when a dead owner left them; {@code exitEnded} is the exit
   * task's record when it had ended (it does not run again).
   */
  private Outcome execute(
      String id,
      PipelineSpec spec,
      Path file,
      Path workspace,
      Map<String, DagExecutor.Result> ended0,
      Map<String, PipelineStore.TaskRecord> running,
      PipelineStore.TaskRecord exitEnded,
      DagExecutor.Listener listener,
      RunListener output)
      throws InterruptedException {
    Dag dag = Dag.of(file.toString(), spec);
    Prepared prepared = prepare(dag, spec, file);
    Map<String, JobSpec> jobs = prepared.jobs();
    Map<String, S3Transfer> transfers = prepared.transfers();
    try {
      Files.createDirectories(workspace);
    } catch (IOException e) {
      throw new EnvironmentError(
          "cannot create the workspace " + workspace + ": " + e.getMessage());
    }
    Instant started = clock.instant();
    Map<String, Integer> attempts = new java.util.concurrent.ConcurrentHashMap<>();
    store.tasks(id).forEach(t -> attempts.put(t.task(), t.attempt()));
    Map<String, DagExecutor.Result> ended = new java.util.concurrent.ConcurrentHashMap<>(ended0);
    DagExecutor.Listener recording =
        new DagExecutor.Listener() {
          @Override
          public void started(Dag.Node node) {
            store.taskStarted(
                id,
                node.name(),
                jobs.get(node.name()) == null
                        && (node != prepared.exitNode() || prepared.exitJob() == null)
                    ? null
                    : runIdOf(id, node.name(), attempts.getOrDefault(node.name(), 1)),
                clock.instant());
            listener.started(node);
          }

          @Override
          public void ended(Dag.Node node, DagExecutor.Result r) {
            ended.put(node.name(), r);
            store.taskEnded(
                id, node.name(), r.state().display(), r.runId(), r.message(), clock.instant());
            listener.ended(node, r);
          }
        };
    S3Tasks s3 = new S3Tasks(clock, environment);
    String failure = "mlscale stopped before the pipeline ended";
    boolean finished = false;
    try {
      DagExecutor.TaskRunner work =
          node ->
              node.task()
                  .kind()
                  .accept(
                      new TaskKind.Handler<DagExecutor.Result>() {
                        @Override
                        public DagExecutor.Result job() {
                          return LocalPipelineRunner.this.job(
                              runIdOf(id, node.name(), attempts.getOrDefault(node.name(), 1)),
                              id,
                              node.name(),
                              jobs.get(node.name()),
                              prepared.files().get(node.name()),
                              workspace,
                              Map.of(),
                              output);
                        }

                        @Override
                        public DagExecutor.Result slack(TaskSpec.SlackTask message) {
                          return LocalPipelineRunner.this.slack(
                              id,
                              node.name(),
                              message,
                              spec.name(),
                              "Running",
                              started,
                              Map.copyOf(ended));
                        }

                        @Override
                        public DagExecutor.Result s3(S3Transfer transfer, boolean download) {
                          // the transfer with ${params.x} replaced, as checked before the run
                          return s3.run(
                              node.name(), transfers.get(node.name()), download, workspace);
                        }

                        @Override
                        public DagExecutor.Result registerModel(TaskSpec.RegisterModel model) {
                          return LocalPipelineRunner.this.registerModel(
                              id, node, dag, workspace, ended);
                        }
                      });
      DagExecutor.TaskRunner runner =
          node ->
              running.containsKey(node.name())
                  ? resumeTask(
                      id,
                      node,
                      running.get(node.name()),
                      jobs.get(node.name()) == null || running.get(node.name()).runId() == null
                          ? null
                          : planOf(
                              running.get(node.name()).runId(),
                              id,
                              jobs.get(node.name()),
                              prepared.files().get(node.name()),
                              workspace,
                              Map.of()),
                      attempts,
                      work,
                      output)
                  : work.run(node);
      Map<String, DagExecutor.Result> results =
          new DagExecutor(clock)
              .execute(
                  dag,
                  spec.parallelism(),
                  runner,
                  recording,
                  () -> store.cancelRequested(id),
                  ended0);
      boolean ok =
          results.values().stream().allMatch(r -> r.state() == DagExecutor.State.SUCCEEDED);
      // a cancel that comes after every task succeeded changes nothing
      String status = ok ? "Succeeded" : store.cancelRequested(id) ? "Cancelled" : "Failed";
      DagExecutor.Result exit = null;
      if (exitEnded != null) {
        exit = resultOf(exitEnded);
      } else if (spec.onExit() != null) {
        Dag.Node node = prepared.exitNode();
        recording.started(node);
        exit =
            spec.onExit().kind() instanceof TaskKind.Slack
                ? slack(
                    id, node.name(), spec.onExit().slack(), spec.name(), status, started, results)
                : job(
                    runIdOf(id, node.name(), attempts.getOrDefault(node.name(), 1)),
                    id,
                    node.name(),
                    prepared.exitJob(),
                    fileOf(node, file),
                    workspace,
                    Map.of("MLSCALE_PIPELINE_STATUS", status),
                    output);
        recording.ended(node, exit);
      }
      Duration took = Duration.between(started, clock.instant());
      store.finish(id, status, summary(results), clock.instant());
      finished = true;
      return new Outcome(id, status, results, exit, took);
    } catch (RuntimeException e) {
      failure = e.getMessage() == null ? e.toString() : e.getMessage();
      throw e;
    } finally {
      if (!finished) {
        // an error, or an interrupt: leave no task Running or Pending forever
        store.abandon(id, "Failed", failure, clock.instant());
      }
    }
  }

  /** Registers the best run's model (or a workspace path) as a new model version. */
  private DagExecutor.Result registerModel(
      String id, Dag.Node node, Dag dag, Path workspace, Map<String, DagExecutor.Result> ended) {
    Instant start = clock.instant();
    TaskSpec.RegisterModel r = node.task().registerModel();
    Path source;
    String runId = id;
    Map<String, Double> metrics = Map.of();
    String picked = "";
    if (r.bestOf() != null) {
      Map<String, DagExecutor.Result> candidates = new LinkedHashMap<>();
      ended.forEach(
          (name, result) -> {
            Dag.Node n = dag.node(name);
            if (n != null
                && n.task().name().equals(r.bestOf())
                && result.state() == DagExecutor.State.SUCCEEDED
                && result.metrics().containsKey(r.metric())) {
              candidates.put(name, result);
            }
          });
      if (candidates.isEmpty()) {
        return done(node, false, "no run of '" + r.bestOf() + "' reported " + r.metric(), start);
      }
      DagExecutor.Result best =
          candidates.values().stream()
              .max(
                  java.util.Comparator.comparing(
                      (DagExecutor.Result x) ->
                          r.goal().equals("min")
                              ? -x.metrics().get(r.metric())
                              : x.metrics().get(r.metric())))
              .orElseThrow();
      var model = models.byRun(best.runId());
      if (model.isEmpty()) {
        return done(
            node,
            false,
            "the best run of '"
                + r.bestOf()
                + "' ("
                + best.node()
                + ") registered no model; give its job outputs: {model: NAME}",
            start);
      }
      source = Path.of(model.get().path());
      runId = best.runId();
      metrics = best.metrics();
      picked =
          " from "
              + best.node()
              + " ("
              + r.metric()
              + "="
              + String.format(java.util.Locale.ROOT, "%.4g", best.metrics().get(r.metric()))
              + ", the "
              + (r.goal().equals("min") ? "lowest" : "highest")
              + " of "
              + candidates.size()
              + ")";
    } else {
      source = workspace.resolve(r.from()).normalize();
      if (!Files.exists(source)) {
        return done(node, false, r.from() + " does not exist in the workspace", start);
      }
    }
    var record = models.registerCopy(r.name(), runId, source, Map.of(), metrics, clock.instant());
    if (record == null) {
      return done(node, false, source + " is empty: no model to register", start);
    }
    if (r.to() != null) {
      try {
        ModelStore.copyTree(Path.of(record.path()), workspace.resolve(r.to()).normalize());
      } catch (IOException e) {
        return done(
            node, false, "cannot copy the model to " + r.to() + ": " + e.getMessage(), start);
      }
    }
    return done(
        node,
        true,
        "registered "
            + record.name()
            + ":"
            + record.version()
            + picked
            + (r.to() == null ? "" : ", copied to " + r.to() + "/ in the workspace"),
        start);
  }

  private DagExecutor.Result done(Dag.Node node, boolean ok, String message, Instant start) {
    return DagExecutor.Result.of(node.name(), ok, message, start, clock.instant());
  }

  /** What ran and how it ended, e.g. "5 tasks: 4 succeeded, 1 failed (c)". */
  static String summary(Map<String, DagExecutor.Result> results) {
    Map<DagExecutor.State, List<String>> by = new java.util.EnumMap<>(DagExecutor.State.class);
    results
        .values()
        .forEach(r -> by.computeIfAbsent(r.state(), k -> new ArrayList<>()).add(r.node()));
    List<String> parts = new ArrayList<>();
    by.forEach(
        (state, names) ->
            parts.add(
                names.size()
                    + " "
                    + state.display().toLowerCase()
                    + (state == DagExecutor.State.SUCCEEDED
                        ? ""
                        : " ("
                            + String.join(", ", names.subList(0, Math.min(5, names.size())))
                            + (names.size() > 5 ? ", ..." : "")
                            + ")")));
    return results.size()
        + " task"
        + (results.size() == 1 ? "" : "s")
        + ": "
        + String.join(", ", parts);
  }

  /** The best value of a metric over the runs, e.g. "accuracy=0.973 (train-1)". */
  static String best(Map<String, DagExecutor.Result> results, String metric, String goal) {
    DagExecutor.Result best = null;
    for (DagExecutor.Result r : results.values()) {
      Double v = r.metrics().get(metric);
      if (v != null
          && (best == null
              || (goal.equals("min")
                  ? v < best.metrics().get(metric)
                  : v > best.metrics().get(metric)))) {
        best = r;
      }
    }
    return best == null
        ? metric + ": no task reported it"
        : metric
            + "="
            + String.format(java.util.Locale.ROOT, "%.4g", best.metrics().get(metric))
            + " ("
            + best.node()
            + ")";
  }

  /** A node's parameters: the pipeline's, then its task's, then its fan-out row's. */
  private static Map<String, Object> paramsOf(Dag.Node node, PipelineSpec spec) {
    Map<String, Object> params = new LinkedHashMap<>(spec.params());
    params.putAll(node.task().params());
    params.putAll(node.row());
    return params;
  }

  /** The file a node's job paths are relative to: its job spec's, or the pipeline's. */
  static Path fileOf(Dag.Node node, Path file) {
    return node.task().kind() instanceof TaskKind.JobFile f
        ? file.toAbsolutePath().getParent().resolve(f.path()).normalize()
        : file;
  }

  /**
   * The S3 transfer a node makes, with {@code ${params.x}} replaced (pipeline, task and row
   * params); null for other tasks. An unknown parameter is a user error naming the task.
   */
  static S3Transfer transferOf(Dag.Node node, PipelineSpec spec, Path file) {
    TaskSpec t = node.task();
    S3Transfer s = t.kind().transfer();
    if (s == null) {
      return null;
    }
    Map<String, Object> params = paramsOf(node, spec);
    String kind = t.kind().field();
    String where = file + ": task '" + node.name() + "' " + kind;
    try {
      return s.map((field, value) -> Planner.substitute(value, params, where + "." + field));
    } catch (dev.mlscale.spec.SpecFieldException e) { // a parameter's value is wrong there
      throw new UserError(where + "." + e.field() + ": " + e.getMessage());
    }
  }

  /** The job a node runs: its job file or inline command, with pipeline, task and row params. */
  static JobSpec jobOf(Dag.Node node, PipelineSpec spec, Path file) {
    TaskSpec t = node.task();
    if (!t.kind().isJob()) {
      return null;
    }
    Map<String, Object> params = paramsOf(node, spec);
    if (t.kind() instanceof TaskKind.JobFile) {
      Path jobFile = file.toAbsolutePath().getParent().resolve(t.job()).normalize();
      if (!Files.isRegularFile(jobFile)) {
        throw SpecLoader.errorAt(
            file,
            spec.pointerOf(t) + "/job",
            "task '"
                + t.name()
                + "' names job '"
                + t.job()
                + "', which does not exist (looked at "
                + jobFile
                + ")");
      }
      JobSpec base = new SpecLoader().loadJob(jobFile, List.of());
      Map<String, Object> merged = new LinkedHashMap<>(base.params());
      merged.putAll(params);
      // a job task's args come after the job's own; its env wins over the job's
      return base.forRow(merged).withMoreArgs(t.args()).withEnv(t.env());
    }
    return new JobSpec(
        node.name(),
        t.image() != null ? t.image() : spec.image(),
        ".",
        t.command(),
        t.args(),
        null,
        t.env(),
        params,
        t.resources(),
        t.retries(),
        t.onOom(),
        t.timeout(),
        null,
        t.kubernetes(),
        null,
        null,
        null,
        null);
  }

  /**
   * What a job task's attempt runs, as run {@code runId} of pipeline run {@code id}: its job with
   * the workspace and the pipeline's variables. (An adopting {@link #resumeTask} plans the old
   * attempt's run id with it.)
   */
  static RunPlan planOf(
      String runId,
      String id,
      JobSpec job,
      Path jobFile,
      Path workspace,
      Map<String, String> extraEnv) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MLSCALE_WORKSPACE", workspace.toString());
    env.put("MLSCALE_PIPELINE_RUN", id);
    env.putAll(extraEnv);
    return Planner.plan(runId, job.withEnv(env), jobFile);
  }

  private DagExecutor.Result job(
      String runId,
      String id,
      String node,
      JobSpec job,
      Path jobFile,
      Path workspace,
      Map<String, String> extraEnv,
      RunListener output) {
    RunPlan plan = planOf(runId, id, job, jobFile, workspace, extraEnv);
    backend.preflight(plan);
    backend.create(plan);
    if (!extraEnv.containsKey("MLSCALE_PIPELINE_STATUS") && store.cancelRequested(id)) {
      // cancelled while this task was being started: its run is recorded, now it is stopped
      backend.cancel(plan.runId());
    }
    Instant start = clock.instant();
    return resultOf(node, backend.run(plan, output), start);
  }

  private DagExecutor.Result resultOf(String node, RunOutcome o, Instant start) {
    DagExecutor.State state =
        switch (o.state()) {
          case SUCCEEDED -> DagExecutor.State.SUCCEEDED;
          case CANCELLED -> DagExecutor.State.CANCELLED;
          default -> DagExecutor.State.FAILED;
        };
    return new DagExecutor.Result(
        node,
        state,
        o.state() == RunState.SUCCEEDED ? "completed" : o.reason() + ": " + o.message(),
        o.runId(),
        o.metrics(),
        start,
        clock.instant());
  }

  /** Posts to a Slack incoming webhook; the text may use {{pipeline}}, {{status}}, {{duration}}. */
  private DagExecutor.Result slack(
      String id,
      String node,
      TaskSpec.SlackTask task,
      String pipeline,
      String status,
      Instant pipelineStart,
      Map<String, DagExecutor.Result> results) {
    Instant start = clock.instant();
    String url = environment.get(task.webhookEnv());
    if (url == null) {
      return new DagExecutor.Result(
          node,
          DagExecutor.State.FAILED,
          "the webhook URL variable " + task.webhookEnv() + " is not set",
          null,
          Map.of(),
          start,
          clock.instant());
    }
    String text =
        task.text()
            .replace("{{pipeline}}", pipeline + " (" + id + ")")
            .replace("{{status}}", status.toLowerCase())
            .replace("{{duration}}", DurationValue.format(Duration.between(pipelineStart, start)))
            .replace("{{tasks}}", summary(results))
            .replace(
                "{{best}}",
                task.bestMetric() == null ? "" : best(results, task.bestMetric(), task.goal()));
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url))
                  .timeout(Duration.ofSeconds(20))
                  .header("Content-Type", "application/json")
                  .POST(
                      HttpRequest.BodyPublishers.ofString(
                          JSON.writeValueAsString(Map.of("text", text))))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      boolean ok = r.statusCode() / 100 == 2;
      return new DagExecutor.Result(
          node,
          ok ? DagExecutor.State.SUCCEEDED : DagExecutor.State.FAILED,
          ok ? "sent: " + text : "the webhook answered HTTP " + r.statusCode() + ": " + r.body(),
          null,
          Map.of(),
          start,
          clock.instant());
    } catch (IOException | IllegalArgumentException e) {
      return new DagExecutor.Result(
          node,
          DagExecutor.State.FAILED,
          "cannot reach the webhook" + " of " + task.webhookEnv() + ": " + e,
          null,
          Map.of(),
          start,
          clock.instant());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new DagExecutor.Result(
          node, DagExecutor.State.FAILED, "interrupted", null, Map.of(), start, clock.instant());
    }
  }
}

package dev.mlscale.backend.local;

import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import dev.mlscale.plan.AttemptPolicy;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.plan.Submission;
import dev.mlscale.spec.DurationValue;
import dev.mlscale.spec.FailureKind;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.Resources;
import dev.mlscale.store.AttemptRecord;
import dev.mlscale.store.Home;
import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.ModelStore;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The embedded backend: runs each job as a process group on this machine, within its CPU, memory
 * and GPUs, enforces memory limits the way Kubernetes does (OOMKilled, exit code 137), retries per
 * the spec, and registers saved models.
 */
public final class LocalBackend implements dev.mlscale.backend.Backend {
  public static final String TARGET = "local";
  private static final Duration SAMPLE_EVERY = Duration.ofMillis(50);
  private static final Duration KILL_GRACE = Duration.ofSeconds(5);

  private final Home home;
  private final RunStore runs;
  private final ModelStore models;
  private final ResourcePool pool;
  private final PythonEnvs envs;
  private final Clock clock;
  private final Map<String, String> environment;
  private final Path helperDir;
  private final ScheduledExecutorService timers;
  private final Map<String, AttemptProcess> active = new ConcurrentHashMap<>();

  /** Runs of this process being cancelled, and what the user is told ("cancelled by ..."). */
  private final Map<String, String> cancelled = new ConcurrentHashMap<>();

  /** The thread that runs each run of this process, to wake it while it waits. */
  private final Map<String, Thread> runners = new ConcurrentHashMap<>();

  /** Runs this process created and has not yet ended. */
  private final java.util.Set<String> owned = ConcurrentHashMap.newKeySet();

  private volatile boolean registerModels = true;

  private final java.util.concurrent.atomic.AtomicBoolean supervisorWarmed =
      new java.util.concurrent.atomic.AtomicBoolean();

  public LocalBackend(
      Home home,
      RunStore runs,
      ModelStore models,
      ResourcePool pool,
      Clock clock,
      Map<String, String> environment) {
    this.home = home;
    this.runs = runs;
    this.models = models;
    this.pool = pool;
    this.envs = new PythonEnvs(home.envs());
    this.clock = clock;
    this.environment = Map.copyOf(environment);
    this.helperDir = PythonHelper.install(home.cache());
    this.timers =
        Executors.newScheduledThreadPool(
            1,
            r -> {
              Thread t = new Thread(r, "mlscale-local-timers");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Stop registering the models of successful runs: their output stays in the run directory ({@link
   * #outputDir}), for a sweep to register only its best trial's.
   */
  public LocalBackend withoutModelRegistration() {
    this.registerModels = false;
    return this;
  }

  /** Where a run's job writes its model ($MLSCALE_OUTPUT_DIR). */
  /** The run records this backend writes. */
  public RunStore runs() {
    return runs;
  }

  public Path outputDir(String runId) {
    return home.runs().resolve(runId).resolve("output");
  }

  public ResourcePool pool() {
    return pool;
  }

  /**
   * Checks what can be checked before anything runs, so that mistakes stop the command with exit
   * code 2 and leave nothing behind: resources that can never fit, a command not on PATH.
   */
  @Override
  public void preflight(Submission submission) {
    submission.runs().forEach(this::preflight);
  }

  @Override
  public void create(Submission submission) {
    submission.runs().forEach(this::create);
  }

  /** Runs the rows at most {@code parallelism} at a time, each within the machine's resources. */
  @Override
  public List<RunOutcome> run(Submission submission, RunListener listener) {
    if (submission.runs().size() == 1) {
      return List.of(run(submission.runs().get(0), listener));
    }
    java.util.concurrent.ExecutorService workers =
        Executors.newFixedThreadPool(
            submission.parallelism(),
            r -> {
              Thread t = new Thread(r, "mlscale-row");
              t.setDaemon(true);
              return t;
            });
    try {
      List<java.util.concurrent.Future<RunOutcome>> futures = new ArrayList<>();
      for (RunPlan plan : submission.runs()) {
        futures.add(workers.submit(() -> run(plan, listener)));
      }
      List<RunOutcome> out = new ArrayList<>();
      for (var f : futures) {
        out.add(f.get());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancelAll();
      throw new dev.mlscale.error.EnvironmentError("interrupted while running " + submission.id());
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e);
    } finally {
      workers.shutdownNow();
    }
  }

  public void preflight(RunPlan plan) {
    preflight(plan, "");
  }

  /**
   * {@link #preflight(RunPlan)} of a job written at {@code at} (a JSON pointer, e.g. {@code
   * /dag/1}) of its spec file: its mistakes point at their field there.
   */
  public void preflight(RunPlan plan, String at) {
    for (var secret : plan.spec().secrets().entrySet()) {
      if (!environment.containsKey(secret.getKey())) {
        throw dev.mlscale.spec.SpecLoader.errorAt(
            plan.specFile(),
            at + "/secrets/" + secret.getKey(),
            "job '"
                + plan.name()
                + "' needs the secret "
                + secret.getKey()
                + ": locally it comes from your environment (export "
                + secret.getKey()
                + "=...), on Kubernetes from Secret "
                + secret.getValue().secret()
                + " key "
                + secret.getValue().key());
      }
    }
    int workers = plan.spec().workers();
    try {
      pool.checkFits(plan.name(), plan.resources(), workers);
    } catch (UserError e) {
      throw dev.mlscale.spec.SpecLoader.errorAt(
          plan.specFile(),
          at
              + "/resources/"
              + pool.tooBig(plan.resources().times(workers)).keySet().iterator().next(),
          e.detail());
    }
    plan.spec().setupOpt().ifPresent(setup -> checkSetupFiles(plan, setup));
    if (plan.spec().distributedOpt().isEmpty() && supervisorWarmed.compareAndSet(false, true)) {
      // the supervisor's Python starts while the rest is checked and recorded, not on the way to
      // the first attempt
      Thread warm = new Thread(this::supervisor, "mlscale-supervisor-start");
      warm.setDaemon(true);
      warm.start();
    }
    if (plan.spec().setupOpt().isEmpty()) {
      String program = plan.argv().get(0);
      if (ProcessGroup.resolve(program, plan.workdir(), pathOf(null)).isEmpty()) {
        throw dev.mlscale.spec.SpecLoader.errorAt(
            plan.specFile(), at + "/command/0", commandNotFound(plan, program));
      }
    }
  }

  /** The files that setup names exist, or the run would end before it starts. */
  private static void checkSetupFiles(RunPlan plan, dev.mlscale.spec.Setup setup) {
    List<String> named = new ArrayList<>();
    List<String> pointers = new ArrayList<>();
    if (setup.requirements() != null) {
      named.add(setup.requirements());
      pointers.add("/setup/requirements");
    }
    for (int i = 0; i < setup.inputs().size(); i++) {
      named.add(setup.inputs().get(i));
      pointers.add("/setup/inputs/" + i);
    }
    for (int i = 0; i < named.size(); i++) {
      Path file = plan.workdir().resolve(named.get(i)).normalize();
      if (!Files.isRegularFile(file)) {
        String field = pointers.get(i).substring(1).replaceFirst("/\\d+$", "").replace('/', '.');
        throw new UserError(
            dev.mlscale.spec.SpecLoader.positionOf(plan.specFile(), pointers.get(i)),
            field
                + " names '"
                + named.get(i)
                + "', which does not exist (looked at "
                + file
                + "); the path is relative to the job's workdir "
                + plan.workdir());
      }
    }
  }

  /** Records a new run; call before {@link #run} so its id can be shown at once. */
  public RunRecord create(RunPlan plan) {
    Path dir = home.runs().resolve(plan.runId());
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("params.json"), plan.paramsJson());
    } catch (IOException e) {
      throw new EnvironmentError("cannot create the run directory " + dir + ": " + e.getMessage());
    }
    RunRecord r =
        dev.mlscale.backend.Backend.pending(plan, TARGET, clock.instant(), dir.toString());
    runs.create(r);
    owned.add(plan.runId());
    return r;
  }

  /**
   * The supervisor daemon of this process (see {@link SupervisorDaemon}); empty with {@code
   * MLSCALE_SUPERVISOR=shell} or without a Python 3 on PATH, and each attempt then has a shell
   * supervisor of its own.
   */
  private Optional<SupervisorDaemon> supervisor() {
    if ("shell".equals(environment.get("MLSCALE_SUPERVISOR"))) {
      return Optional.empty();
    }
    return SupervisorDaemon.shared(environment.get("PATH"), home.cache());
  }

  /** Runs a created run to its end: waits for resources, prepares, runs and retries. */
  public RunOutcome run(RunPlan plan, RunListener listener) {
    String id = plan.runId();
    runners.put(id, Thread.currentThread());
    try {
      if (isCancelled(id)) {
        return cancelled(plan, clock.instant(), 0, listener);
      }
      return runOwned(plan, listener, null);
    } finally {
      runners.remove(id);
      owned.remove(id);
      if (cancelled.containsKey(id)) {
        Thread.interrupted(); // a wake-up meant for this run only
      }
    }
  }

  /**
   * Continues a run that an mlscale process which is gone left unfinished (a sweep's trial, a
   * pipeline's task): an attempt that ended while nobody watched is taken as it ended, one still
   * running is followed until it ends, and neither is ever started again; then the run goes on as
   * its spec says (retries, on_oom). A run that never started an attempt starts now.
   */
  public RunOutcome resume(RunPlan plan, RunListener listener) {
    String id = plan.runId();
    RunRecord r = runs.find(id).orElseThrow(() -> new IllegalStateException("no run " + id));
    if (r.state().isFinal()) {
      return new RunOutcome(
          id,
          plan.name(),
          r.state(),
          r.reason(),
          r.message(),
          r.exitCode(),
          r.attempts(),
          r.duration(clock.instant()).orElse(Duration.ZERO),
          runs.finalMetrics(id),
          null);
    }
    runs.adopt(id, ProcessHandle.current().pid());
    owned.add(id);
    runners.put(id, Thread.currentThread());
    try {
      return runOwned(plan, listener, adopt(plan, listener));
    } finally {
      runners.remove(id);
      owned.remove(id);
    }
  }

  /**
   * For a run whose mlscale process is gone: what its last attempt did since, in words for {@code
   * ls} and {@code status} ("runs on unwatched", "exited with code 0 while nobody watched").
   */
  public static Optional<String> unwatched(RunRecord r) {
    if (r.runDir() == null) {
      return Optional.empty();
    }
    return AttemptProcess.unwatched(Path.of(r.runDir()))
        .map(
            u ->
                u.running()
                    ? "attempt " + u.attempt() + " runs on unwatched (pid " + u.jobPid() + ")"
                    : "attempt "
                        + u.attempt()
                        + (u.killedFor() != null
                            ? " was stopped (" + u.killedFor() + ")"
                            : u.exitStatus() == 0
                                ? " completed"
                                : u.exitStatus() > 128
                                    ? " was killed by signal " + (u.exitStatus() - 128)
                                    : " exited with code " + u.exitStatus())
                        + " while nobody watched");
  }

  /** The last attempt a gone process launched, taken over; null when it launched none. */
  private Adopted adopt(RunPlan plan, RunListener listener) {
    String id = plan.runId();
    Path dir = home.runs().resolve(id);
    java.util.OptionalInt last = AttemptProcess.lastLaunched(dir);
    if (last.isEmpty()) {
      return null;
    }
    int n = last.getAsInt();
    Long limit = AttemptProcess.launchedMemoryLimit(dir, n);
    Resources resources =
        limit == null ? plan.resources() : plan.resources().withMemory(MemorySize.parse(limit));
    int retriesUsed =
        (int)
            runs.attempts(id).stream()
                .filter(a -> a.number() < n && a.state() == RunState.FAILED)
                .filter(a -> !"Lost".equals(a.reason()))
                .filter(a -> !("OOMKilled".equals(a.reason()) && plan.spec().onOom() != null))
                .count();
    runs.clearMetrics(id, n); // the attempt's lines are read again from its files
    Attempt a =
        AttemptProcess.attach(dir, n)
            .map(p -> follow(plan, p, resources, AttemptProcess.launchedAt(dir, n), listener))
            .orElseGet(
                () -> {
                  Attempt lost =
                      new Attempt(
                          RunState.FAILED,
                          "Lost",
                          "attempt "
                              + n
                              + " never started or its supervisor died unseen; it runs again",
                          null,
                          FailureKind.DISRUPTION);
                  runs.startAttempt(id, n, limit, 0, AttemptProcess.launchedAt(dir, n));
                  runs.finishAttempt(
                      new AttemptRecord(
                          id,
                          n,
                          lost.state,
                          lost.reason,
                          null,
                          lost.message,
                          limit,
                          null,
                          AttemptProcess.launchedAt(dir, n),
                          clock.instant()));
                  return lost;
                });
    return new Adopted(n, resources, a, retriesUsed);
  }

  /** Where a resumed run stands: its last attempt's number, resources and how it ended. */
  private record Adopted(int number, Resources resources, Attempt result, int retriesUsed) {}

  private RunOutcome runOwned(RunPlan plan, RunListener listener, Adopted adopted) {
    String id = plan.runId();
    Instant started = clock.instant();
    Optional<PythonEnvs.Env> env = null; // prepared before the first attempt this process starts
    Resources resources = adopted == null ? plan.resources() : adopted.resources();
    int attempt = adopted == null ? 0 : adopted.number() - 1;
    int retriesUsed = adopted == null ? 0 : adopted.retriesUsed();
    Attempt taken = adopted == null ? null : adopted.result();
    while (true) {
      attempt++;
      Attempt a;
      if (taken != null) {
        a = taken;
        taken = null;
      } else {
        if (env == null) {
          Prepared p = prepare(plan, started, attempt - 1, listener);
          if (p.ended() != null) {
            return p.ended();
          }
          env = p.env();
        }
        if (isCancelled(id)) {
          return cancelled(plan, started, attempt - 1, listener);
        }
        try {
          final Resources wanted = resources;
          final int workers = plan.spec().workers();
          Resources gang = resources.times(workers);
          pool.acquire(
              gang,
              () ->
                  setState(
                      plan,
                      RunState.WAITING,
                      "waiting for "
                          + (plan.spec().distributedOpt().isPresent()
                              ? workers
                                  + " workers, each with "
                                  + describe(wanted)
                                  + ", to be free together on this machine ("
                                  + pool.capacity()
                                  + "): a gang starts all its workers or none"
                              : describe(wanted)
                                  + " to be free on this machine ("
                                  + pool.capacity()
                                  + ")"),
                      listener));
          try {
            a = runAttempt(plan, attempt, resources, env, listener);
          } finally {
            pool.release(gang);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return cancelled(plan, started, attempt - 1, listener);
        }
      }
      if (a.state == RunState.SUCCEEDED) {
        return succeed(plan, started, attempt, listener);
      }
      if (a.state == RunState.CANCELLED) {
        return end(
            plan,
            started,
            RunState.CANCELLED,
            "Cancelled",
            a.message,
            a.exitCode,
            attempt,
            listener);
      }
      if ("Lost".equals(a.reason)) {
        continue; // nobody knows how it ended: it runs again, and that is no retry of the spec's
      }
      AttemptPolicy policy = AttemptPolicy.of(plan.spec());
      Optional<MemorySize> more =
          a.kind == FailureKind.OOM
              ? policy.afterOom(resources.memory(), MemorySize.parse(pool.capacity().memoryBytes()))
              : Optional.empty();
      if (more.isPresent()) {
        listener.stateChanged(
            id,
            plan.name(),
            RunState.BACKOFF,
            "OOMKilled at " + resources.memory() + "; on_oom: trying again with " + more.get());
        resources = resources.withMemory(more.get());
        continue;
      }
      Optional<Duration> retry =
          policy.retryAfter(a.kind, a.exitCode == null ? 0 : a.exitCode, retriesUsed, attempt + 1);
      if (retry.isPresent()) {
        retriesUsed++;
        Duration delay = retry.get();
        setState(
            plan,
            RunState.BACKOFF,
            a.reason
                + ": "
                + a.message
                + "; retry "
                + retriesUsed
                + " of "
                + plan.spec().retries().limit()
                + " in "
                + DurationValue.format(delay),
            listener);
        try {
          Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return cancelled(plan, started, attempt, listener);
        }
        continue;
      }
      String message = policy.finalMessage(a.kind, a.message);
      return end(plan, started, RunState.FAILED, a.reason, message, a.exitCode, attempt, listener);
    }
  }

  /** The job's environment, or how the run ended trying to make it. */
  private record Prepared(Optional<PythonEnvs.Env> env, RunOutcome ended) {}

  private Prepared prepare(RunPlan plan, Instant started, int attempts, RunListener listener) {
    String id = plan.runId();
    if (plan.spec().setupOpt().isEmpty()) {
      return new Prepared(Optional.empty(), null);
    }
    setState(plan, RunState.PREPARING, "preparing the Python environment", listener);
    PythonEnvs.Env env;
    try {
      env =
          envs.prepare(
              plan.spec().setup(),
              plan.workdir(),
              home.runs().resolve(id).resolve("setup.log"),
              line -> listener.output(id, plan.name(), "setup | " + line));
    } catch (PythonEnvs.SetupFailed e) {
      return failed(plan, started, "SetupFailed", e.getMessage(), attempts, listener);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Prepared(null, cancelled(plan, started, attempts, listener));
    }
    if (ProcessGroup.resolve(plan.argv().get(0), plan.workdir(), pathOf(env)).isEmpty()) {
      String message = commandNotFound(plan, plan.argv().get(0));
      return failed(plan, started, "CommandNotFound", message, attempts, listener);
    }
    return new Prepared(Optional.of(env), null);
  }

  /** The run failed before its command could start, for {@code reason}. */
  private Prepared failed(
      RunPlan plan,
      Instant started,
      String reason,
      String message,
      int attempts,
      RunListener listener) {
    return new Prepared(
        null, end(plan, started, RunState.FAILED, reason, message, null, attempts, listener));
  }

  /** Stops a run of this process: its process group gets TERM, then KILL after a grace period. */
  public void cancel(String runId) {
    cancel(runId, "cancelled by the user");
  }

  /**
   * Stops a run of this process and says why ({@code message}, e.g. "cancelled by SIGINT"): a
   * running process group gets TERM, then KILL after a grace period; a run that waits (for
   * resources, for its environment, for a retry) stops waiting.
   */
  public void cancel(String runId, String message) {
    cancelled.putIfAbsent(runId, message);
    runs.requestCancel(runId);
    AttemptProcess process = active.get(runId);
    if (process != null) {
      terminate(process);
      return;
    }
    Thread runner = runners.get(runId);
    if (runner != null) {
      runner.interrupt();
    }
  }

  /** Stops every run of this process (Ctrl-C). */
  @Override
  public void cancelAll() {
    cancelAll("cancelled by the user");
  }

  @Override
  public boolean cancelsOnInterrupt() {
    return true;
  }

  @Override
  public String where() {
    return "this machine";
  }

  /** Stops every run this process runs or waits to run, saying why. */
  @Override
  public void cancelAll(String message) {
    java.util.Set<String> ids = new java.util.LinkedHashSet<>(owned);
    ids.addAll(runners.keySet());
    ids.addAll(active.keySet());
    ids.forEach(id -> cancel(id, message));
  }

  private boolean isCancelled(String id) {
    return cancelled.containsKey(id) || runs.cancelRequested(id);
  }

  private String cancelMessage(String id) {
    return cancelled.getOrDefault(id, "cancelled by the user");
  }

  private void terminate(AttemptProcess process) {
    process.signal("TERM");
    timers.schedule(() -> process.signal("KILL"), KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** One try: start the process group, stream its output, watch memory and time, classify. */
  private Attempt runAttempt(
      RunPlan plan,
      int number,
      Resources resources,
      Optional<PythonEnvs.Env> env,
      RunListener listener) {
    String id = plan.runId();
    Path dir = home.runs().resolve(id);
    Path log = dir.resolve("attempt-" + number + ".log");
    Path metricsFile = dir.resolve("metrics-" + number + ".jsonl");
    Path outputDir = dir.resolve("output");
    Map<String, String> vars = new LinkedHashMap<>(plan.env());
    vars.put("MLSCALE_RUN_ID", id);
    plan.spec().secrets().keySet().forEach(name -> vars.put(name, environment.get(name)));
    vars.put("MLSCALE_ATTEMPT", Integer.toString(number));
    vars.put("MLSCALE_PARAMS_FILE", dir.resolve("params.json").toString());
    vars.put("MLSCALE_METRICS_FILE", metricsFile.toString());
    vars.put("PYTHONUNBUFFERED", "1");
    String pythonPath = environment.get("PYTHONPATH");
    vars.put("PYTHONPATH", helperDir + (pythonPath == null ? "" : ":" + pythonPath));
    if (resources.memory() != null) {
      vars.put("MLSCALE_MEMORY_LIMIT", Long.toString(resources.memory().bytes()));
    }
    vars.put("MLSCALE_CPUS", resources.cpu().toQuantity());
    String path = pathOf(env.orElse(null));
    vars.put("PATH", path);
    env.ifPresent(e -> vars.put("VIRTUAL_ENV", e.dir().toString()));
    if (plan.spec().outputsOpt().isPresent()) {
      try {
        PythonEnvs.deleteTree(outputDir);
        Files.createDirectories(outputDir);
      } catch (IOException e) {
        throw new EnvironmentError("cannot prepare " + outputDir + ": " + e.getMessage());
      }
      vars.put("MLSCALE_OUTPUT_DIR", outputDir.toString());
    }
    List<String> argv = new ArrayList<>(plan.argv());
    argv.set(
        0,
        ProcessGroup.resolve(argv.get(0), plan.workdir(), path)
            .map(Path::toString)
            .orElse(argv.get(0)));

    Long limit = resources.memory() == null ? null : resources.memory().bytes();
    AttemptProcess process =
        plan.spec().distributedOpt().isPresent()
            ? launchGang(plan, dir, number, limit, argv, vars)
            : AttemptProcess.launch(dir, number, limit, argv, plan.workdir(), vars, supervisor());
    return follow(plan, process, resources, clock.instant(), listener);
  }

  /**
   * Starts a distributed run's workers together on this machine, each on a free port of its own:
   * torchrun's variables ({@code MASTER_ADDR}, {@code MASTER_PORT} = worker 0's port, {@code
   * WORLD_SIZE}; the supervisor adds each worker's {@code RANK}, {@code LOCAL_RANK}, {@code
   * NODE_RANK}) and the generic ones ({@code MLSCALE_WORKERS}, {@code MLSCALE_WORKER_HOSTS} with
   * every worker's host:port; {@code MLSCALE_WORKER_INDEX}, {@code MLSCALE_WORKER_PORT}).
   */
  private AttemptProcess launchGang(
      RunPlan plan, Path dir, int number, Long limit, List<String> argv, Map<String, String> vars) {
    int n = plan.spec().workers();
    List<Integer> ports = FreePorts.take(n);
    Map<String, String> all = new LinkedHashMap<>(vars);
    all.putAll(
        dev.mlscale.plan.WorkerEnv.common(java.util.Collections.nCopies(n, "127.0.0.1"), ports));
    return AttemptProcess.launchGang(dir, number, limit, ports, argv, plan.workdir(), all);
  }

  /**
   * Watches an attempt until it ends, started by this process or by one that is gone: streams its
   * log and metrics, kills it when it outgrows its memory or its time, and records how it ended.
   */
  private Attempt follow(
      RunPlan plan,
      AttemptProcess process,
      Resources resources,
      Instant start,
      RunListener listener) {
    String id = plan.runId();
    int number = process.number();
    Path dir = home.runs().resolve(id);
    active.put(id, process);
    Long limit = resources.memory() == null ? null : resources.memory().bytes();
    runs.startAttempt(id, number, limit, process.jobPid(), start);
    listener.stateChanged(
        id,
        plan.name(),
        RunState.RUNNING,
        "attempt "
            + number
            + (process.adopted() ? " followed again" : " started")
            + " (pid "
            + process.jobPid()
            + ", "
            + describe(resources)
            + ")");

    AtomicLong peak = new AtomicLong();
    ScheduledFuture<?> sampler =
        timers.scheduleAtFixedRate(
            () -> {
              for (int k = 0; k < process.workers(); k++) {
                long rss = process.residentBytes(k); // each worker has the job's limit
                peak.accumulateAndGet(rss, Math::max);
                if (limit != null && rss > limit && process.killedFor().isEmpty()) {
                  process.markKilled("OOMKilled");
                  process.signalWorker(k, "KILL"); // its gang stops the others
                }
              }
            },
            0,
            SAMPLE_EVERY.toMillis(),
            TimeUnit.MILLISECONDS);
    ScheduledFuture<?> deadline =
        plan.spec()
            .timeoutOpt()
            .<ScheduledFuture<?>>map(
                t ->
                    timers.schedule(
                        () -> {
                          process.markKilled("DeadlineExceeded");
                          terminate(process);
                        },
                        Math.max(
                            0,
                            t.duration().toMillis()
                                - Duration.between(start, clock.instant()).toMillis()),
                        TimeUnit.MILLISECONDS))
            .orElse(null);

    MetricsFileTail tail = new MetricsFileTail(dir.resolve("metrics-" + number + ".jsonl"), clock);
    String lastLine = null;
    GangLines ranks = new GangLines(plan.spec().distributedOpt().isPresent());
    java.util.OptionalInt exit;
    try {
      lastLine =
          new LogFollower(process.log())
              .follow(
                  process::awaitEnd,
                  line -> {
                    listener.output(id, plan.name(), line);
                    List<Metric> m =
                        new ArrayList<>(
                            ranks
                                .fromRankZero(line)
                                .map(l -> MetricParser.parseLine(l, clock.instant()))
                                .orElse(List.of()));
                    m.addAll(tail.poll());
                    record(id, number, plan.name(), m, listener);
                  });
      exit = process.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.signal("KILL");
      exit = java.util.OptionalInt.of(137);
    }
    sampler.cancel(false);
    if (deadline != null) {
      deadline.cancel(false);
    }
    if (exit.isEmpty()) {
      // like a container: when the main process ends, the rest goes too. The supervisor does
      // that before it writes the exit status; without one, nobody did
      process.signal("KILL");
    }
    active.remove(id);
    record(id, number, plan.name(), tail.poll(), listener);

    Attempt a =
        exit.isEmpty()
            ? new Attempt(
                RunState.FAILED,
                "Lost",
                "nobody saw attempt "
                    + number
                    + " end: the mlscale process and the attempt's supervisor (pid file "
                    + AttemptProcess.file(dir, number, "pid")
                    + ") are gone",
                null,
                FailureKind.DISRUPTION)
            : ranks.gang()
                ? classifyGang(plan, process, exit.getAsInt(), resources, peak.get(), ranks)
                : classify(
                    plan,
                    exit.getAsInt(),
                    process.killedFor().orElse(""),
                    resources,
                    peak.get(),
                    lastLine);
    runs.finishAttempt(
        new AttemptRecord(
            id,
            number,
            a.state,
            a.reason,
            a.exitCode,
            a.message,
            limit,
            peak.get(),
            start,
            clock.instant()));
    return a;
  }

  private Attempt classify(
      RunPlan plan, int exit, String killedFor, Resources resources, long peak, String lastLine) {
    String id = plan.runId();
    if (isCancelled(id)) {
      return new Attempt(RunState.CANCELLED, "Cancelled", cancelMessage(id), exit, null);
    }
    if (killedFor.equals("OOMKilled")) {
      return new Attempt(
          RunState.FAILED,
          "OOMKilled",
          "used "
              + MemorySize.human(peak)
              + ", more than its memory limit of "
              + resources.memory()
              + "; it was killed (exit code 137). Raise resources.memory,"
              + " or add on_oom: {increase: 2x, max: ...} to retry with more",
          137,
          FailureKind.OOM);
    }
    if (killedFor.equals("DeadlineExceeded")) {
      return new Attempt(
          RunState.FAILED,
          "DeadlineExceeded",
          "ran longer than its timeout of " + plan.spec().timeout() + " and was stopped",
          exit,
          FailureKind.TIMEOUT);
    }
    if (exit == 0) {
      return new Attempt(RunState.SUCCEEDED, "Completed", "completed", 0, null);
    }
    String how = exit > 128 ? "was killed by signal " + (exit - 128) : "exited with code " + exit;
    return new Attempt(
        RunState.FAILED,
        "Error",
        how + (lastLine == null || lastLine.isBlank() ? "" : ": " + lastLine.strip()),
        exit,
        FailureKind.ERROR);
  }

  /**
   * How a gang ended: as {@link #classify} says for the worker that failed first (its rank, exit
   * code and last line), saying that the others were stopped because of it.
   */
  private Attempt classifyGang(
      RunPlan plan,
      AttemptProcess process,
      int exit,
      Resources resources,
      long peak,
      GangLines ranks) {
    java.util.Optional<int[]> first = process.firstFailure();
    if (first.isEmpty() || isCancelled(plan.runId())) {
      return classify(plan, exit, process.killedFor().orElse(""), resources, peak, null);
    }
    int rank = first.get()[0];
    Attempt a =
        classify(
            plan,
            first.get()[1],
            process.killedFor().orElse(""),
            resources,
            peak,
            ranks.lastLine(rank));
    String others =
        process.workers() > 1
            ? "; the other "
                + (process.workers() - 1)
                + " worker(s) were stopped, and a retry restarts the whole gang"
            : "";
    return new Attempt(
        a.state, a.reason, "worker " + rank + " " + a.message + others, a.exitCode, a.kind);
  }

  private RunOutcome succeed(RunPlan plan, Instant started, int attempts, RunListener listener) {
    String id = plan.runId();
    Map<String, Double> metrics = runs.finalMetrics(id);
    ModelRecord model = null;
    String message = "completed";
    if (registerModels && plan.spec().outputsOpt().isPresent()) {
      Path output = home.runs().resolve(id).resolve("output");
      model =
          models.register(
              plan.spec().outputs().model(),
              id,
              output,
              plan.spec().params(),
              metrics,
              clock.instant());
      if (model == null) {
        message = "completed, but wrote nothing to $MLSCALE_OUTPUT_DIR: no model registered";
      } else {
        runs.setModel(id, model.ref());
      }
    }
    runs.finish(id, RunState.SUCCEEDED, "Completed", message, 0, clock.instant());
    listener.stateChanged(id, plan.name(), RunState.SUCCEEDED, message);
    return new RunOutcome(
        id,
        plan.name(),
        RunState.SUCCEEDED,
        "Completed",
        message,
        0,
        attempts,
        Duration.between(started, clock.instant()),
        metrics,
        model);
  }

  private RunOutcome end(
      RunPlan plan,
      Instant started,
      RunState state,
      String reason,
      String message,
      Integer exitCode,
      int attempts,
      RunListener listener) {
    runs.finish(plan.runId(), state, reason, message, exitCode, clock.instant());
    listener.stateChanged(plan.runId(), plan.name(), state, reason + ": " + message);
    return new RunOutcome(
        plan.runId(),
        plan.name(),
        state,
        reason,
        message,
        exitCode,
        attempts,
        Duration.between(started, clock.instant()),
        runs.finalMetrics(plan.runId()),
        null);
  }

  private RunOutcome cancelled(RunPlan plan, Instant started, int attempts, RunListener listener) {
    String why = cancelMessage(plan.runId());
    return end(plan, started, RunState.CANCELLED, "Cancelled", why, null, attempts, listener);
  }

  private void setState(RunPlan plan, RunState state, String message, RunListener listener) {
    runs.setState(plan.runId(), state);
    listener.stateChanged(plan.runId(), plan.name(), state, message);
  }

  private void record(String id, int attempt, String name, List<Metric> m, RunListener l) {
    if (!m.isEmpty()) {
      runs.addMetrics(id, attempt, m);
      l.metrics(id, name, m);
    }
  }

  /** Copies the output to the log file and the callback; returns the last non-blank line. */
  private static String pump(InputStream in, Path log, java.util.function.Consumer<String> each) {
    String last = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        BufferedWriter w = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
      String line;
      while ((line = r.readLine()) != null) {
        w.write(line);
        w.write('\n');
        w.flush();
        if (!line.isBlank()) {
          last = line;
        }
        each.accept(line);
      }
    } catch (IOException e) {
      // the process closed its output; its exit code tells the rest
    }
    return last;
  }

  private String pathOf(PythonEnvs.Env env) {
    String path = environment.getOrDefault("PATH", System.getenv("PATH"));
    return env == null ? path : env.bin() + ":" + path;
  }

  private static String commandNotFound(RunPlan plan, String program) {
    return "command '"
        + program
        + "' of job '"
        + plan.name()
        + "' was not found "
        + (program.contains("/")
            ? "(or is not executable) in the workdir " + plan.workdir()
            : "on PATH")
        + "; check the spec's command";
  }

  static String describe(Resources r) {
    return "cpu "
        + r.cpu()
        + (r.memory() == null ? "" : ", memory " + r.memory())
        + (r.gpus() > 0 ? ", gpus " + r.gpus() : "");
  }

  @Override
  public void close() {
    timers.shutdownNow();
  }

  private record Attempt(
      RunState state, String reason, String message, Integer exitCode, FailureKind kind) {}
}

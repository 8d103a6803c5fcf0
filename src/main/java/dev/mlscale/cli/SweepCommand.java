package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.plan.Planner;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.OwnerLock;
import dev.mlscale.store.RunState;
import dev.mlscale.store.SweepStore;
import dev.mlscale.sweep.ClusterSweeps;
import dev.mlscale.sweep.ClusterTrials;
import dev.mlscale.sweep.Dimension;
import dev.mlscale.sweep.GridSampler;
import dev.mlscale.sweep.LocalTrials;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "sweep",
    mixinStandardHelpOptions = true,
    description =
        "Hyper-parameter sweeps: Gaussian-process, TPE, random or grid search with early stopping.",
    subcommands = {
      SweepCommand.Run.class,
      SweepCommand.Resume.class,
      SweepShow.class,
      SweepLs.class
    })
final class SweepCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static SweepSpec load(Path file, List<String> overrides) {
    SweepSpec spec = new SpecLoader().load(file, SweepSpec.class, overrides).spec();
    SpecLoader.writtenAt(file, "/auto_reason")
        .ifPresent(
            at -> {
              // mlscale's own record of what 'algorithm: auto' picked, not a field to write
              throw new UserError(
                  at, "unknown field 'auto_reason'; mlscale writes it when algorithm is auto");
            });
    if (spec.algorithm() == SweepSpec.Algorithm.GRID) {
      // refuses an infinite space now, not after trials ran
      Map<String, Dimension> space = spec.dimensions();
      GridSampler.infinite(space)
          .ifPresent(
              name -> {
                throw SpecLoader.errorAt(
                    file, "/space/" + name, GridSampler.notFinite(name, space.get(name)));
              });
    }
    return spec;
  }

  /**
   * Makes this process the sweep's only owner until the lock is closed; refuses (exit 2) while
   * another process owns it, naming that process.
   */
  static OwnerLock own(Context ctx, String id) {
    return OwnerLock.claimOrRefuse(
        lockFile(ctx, id),
        ctx.clock().instant(),
        o ->
            "sweep "
                + id
                + " is already running in "
                + o.describe()
                + "; one process runs a sweep: stop that one first, or follow it with 'mlscale"
                + " sweep show "
                + id
                + "'");
  }

  static Path lockFile(Context ctx, String id) {
    return ctx.home().sweep(id).resolve("owner.lock");
  }

  /** A sweep's state and message as shown: a Running sweep whose owner is gone is Interrupted. */
  record Shown(String state, String message) {}

  static Shown shown(Context ctx, SweepStore.SweepRecord r) {
    if (!"Running".equals(r.state())) {
      return new Shown(r.state(), r.message());
    }
    return OwnerLock.gone(lockFile(ctx, r.id()), r.ownerPid())
        .map(
            gone ->
                new Shown(
                    "Interrupted", gone + "; 'mlscale sweep resume " + r.id() + "' continues it"))
        .orElse(new Shown(r.state(), r.message()));
  }

  static Path jobFile(Path sweepFile, SweepSpec spec) {
    return sweepFile.toAbsolutePath().getParent().resolve(spec.job()).normalize();
  }

  static int runSweep(
      Context ctx,
      String id,
      SweepSpec spec,
      Path sweepFile,
      Path jobFile,
      boolean verbose,
      ClusterOptions cluster,
      boolean create,
      String queue) {
    JobSpec job = new SpecLoader().loadJob(jobFile, QueueOption.withQueue(List.of(), queue));
    Printer printer = new Printer(ctx, spec, verbose);
    SweepRunner.Result result;
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx, List.of(job)))) {
        var backend = new KubernetesBackend(connection.get(), ctx.runs(), ctx.clock());
        if (create) {
          backend.preflight(Planner.submission(id + "-t0", job, jobFile));
          new ClusterSweeps(connection.get())
              .create(
                  id,
                  json(spec),
                  jobFile,
                  CodeArchive.of(Planner.plan(id, job, jobFile).workdir()));
        }
        result =
            new SweepRunner(
                    new ClusterTrials(id, job, jobFile, connection.get(), backend, ctx.runs()),
                    printer)
                .run(spec, job);
      }
    } else {
      SweepStore store = new SweepStore(ctx.db());
      if (create) {
        store.create(id, spec.name(), sweepFile.toString(), json(spec), ctx.clock().instant());
      }
      try (var backend = ctx.localBackend()) {
        Thread hook = new Thread(backend::cancelAll, "mlscale-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        LocalTrials trials =
            new LocalTrials(
                id, job, jobFile, store, ctx.runs(), ctx.models(), backend, ctx.clock());
        SweepRunner runner = new SweepRunner(trials, printer);
        // Ctrl-C and SIGTERM stop the sweep: its trials are cancelled and recorded, exit 130
        try (Interrupts interrupts =
            Interrupts.cancelling(ctx.err(), what -> runner.stop("cancelled by " + what))) {
          result = runner.run(spec, job);
        } finally {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException e) {
            // shutting down
          }
        }
      }
    }
    ctx.err().println();
    table(ctx, spec, result.trials());
    ctx.err().println("sweep " + id + " " + result.state().toLowerCase() + ": " + result.message());
    result
        .best()
        .ifPresent(
            b ->
                ctx.err()
                    .println(
                        "best: trial "
                            + b.number()
                            + " "
                            + spec.objective().metric()
                            + "="
                            + Format.number(b.objective())
                            + "  "
                            + Format.params(b.params())));
    if (result.model() != null) {
      ctx.err().println("model: " + result.model().ref() + "  (" + result.model().path() + ")");
    }
    ctx.err().println("plots: mlscale sweep show " + id + " --plots DIR");
    if ("Cancelled".equals(result.state())) {
      ctx.err().println("'mlscale sweep resume " + id + "' continues it");
      return 130;
    }
    return "Succeeded".equals(result.state()) ? 0 : 1;
  }

  static void table(Context ctx, SweepSpec spec, List<Trial> trials) {
    List<Trial> sorted = new ArrayList<>(trials);
    sorted.sort(
        (a, b) -> {
          if (a.objective() == null || b.objective() == null) {
            return a.objective() == null ? (b.objective() == null ? 0 : 1) : -1;
          }
          return spec.objective().better(a.objective(), b.objective())
              ? -1
              : spec.objective().better(b.objective(), a.objective()) ? 1 : 0;
        });
    List<String> header =
        new ArrayList<>(List.of("TRIAL", "STATE", spec.objective().metric().toUpperCase()));
    spec.space().keySet().forEach(k -> header.add(k.toUpperCase()));
    header.add("RUN");
    header.add("NOTE");
    Table t = new Table(header.toArray(String[]::new));
    for (Trial x : sorted) {
      List<Object> row =
          new ArrayList<>(
              List.of(
                  x.number(),
                  x.state().display(),
                  x.objective() == null ? "-" : Format.number(x.objective())));
      spec.space().keySet().forEach(k -> row.add(value(x.params().get(k))));
      row.add(x.runId());
      row.add(x.reason() == null ? "" : shorten(x.reason(), 60));
      t.row(row.toArray());
    }
    t.print(ctx.out(), "");
  }

  private static String value(Object v) {
    return v instanceof Double d ? Format.number(d) : String.valueOf(v);
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  /** Shows trials as they start and end, with a progress bar and the best so far. */
  static final class Printer implements SweepRunner.SweepListener {
    private final Context ctx;
    private final SweepSpec spec;
    private final boolean verbose;

    Printer(Context ctx, SweepSpec spec, boolean verbose) {
      this.ctx = ctx;
      this.spec = spec;
      this.verbose = verbose;
    }

    @Override
    public synchronized void trialStarted(Trial t) {
      ctx.err().println("● trial " + t.number() + " started: " + params(t.params()));
    }

    @Override
    public synchronized void trialEnded(Trial t, List<Trial> all, int maxTrials) {
      long ended = all.stream().filter(x -> x.state().isFinal()).count();
      Optional<Trial> best = SweepRunner.best(all, spec.objective());
      int width = 20;
      int filled = (int) Math.min(width, ended * width / Math.max(1, maxTrials));
      String mark =
          switch (t.state()) {
            case COMPLETED -> ctx.style().green("✔");
            case PRUNED -> ctx.style().yellow("✂");
            default -> ctx.style().red("✘");
          };
      ctx.err()
          .println(
              mark
                  + " trial "
                  + t.number()
                  + " "
                  + t.state().display().toLowerCase()
                  + (t.objective() == null
                      ? ""
                      : " " + spec.objective().metric() + "=" + Format.number(t.objective()))
                  + (t.state() == Trial.TrialState.COMPLETED ? "" : " (" + t.reason() + ")")
                  + best.map(
                          b ->
                              " · best "
                                  + Format.number(b.objective())
                                  + " (trial "
                                  + b.number()
                                  + ")")
                      .orElse("")
                  + " ["
                  + "#".repeat(filled)
                  + "-".repeat(width - filled)
                  + "] "
                  + ended
                  + "/"
                  + maxTrials);
    }

    @Override
    public void stateChanged(String runId, String name, RunState state, String message) {
      if (verbose) {
        ctx.err().println("  " + runId + " " + state.display() + ": " + message);
      }
    }

    @Override
    public void output(String runId, String name, String line) {
      if (verbose) {
        ctx.out().println("[" + runId + "] " + line);
      }
    }

    @Override
    public void metrics(String runId, String name, List<Metric> metrics) {}

    private static String params(Map<String, Object> p) {
      Map<String, Object> shown = new LinkedHashMap<>();
      p.forEach((k, v) -> shown.put(k, value(v)));
      return Format.params(shown);
    }
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = "Start a sweep from a sweep spec and run it to the end.")
  static final class Run implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "SWEEP", description = "The sweep spec (YAML).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a sweep field.")
    List<String> overrides = new ArrayList<>();

    @Option(
        names = {"-v", "--verbose"},
        description = "Show the trials' output and states.")
    boolean verbose;

    @Option(
        names = "--queue",
        paramLabel = "LOCALQUEUE",
        description =
            "On Kubernetes: the trials wait in this Kueue LocalQueue (as the job's"
                + " kubernetes.queue).")
    String queue;

    @Mixin ClusterOptions cluster = new ClusterOptions();

    Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      SweepSpec spec = load(file, overrides);
      Path jobFile = jobFile(file, spec);
      if (!jobFile.toFile().isFile()) {
        throw SpecLoader.errorAt(
            file,
            "/job",
            "job '"
                + spec.job()
                + "' does not exist (looked at "
                + jobFile
                + "); the path is relative to the sweep file");
      }
      JobSpec job = new SpecLoader().loadJob(jobFile, List.of()); // its mistakes first
      FieldSupport.print(
          ctx.err(), FieldSupport.checkSweep(file, overrides, jobFile, cluster.target()));
      String id = Planner.newRunId(spec.name());
      if (!cluster.onCluster()) {
        // what this machine can check of a trial (a setup file, the command, the resources),
        // before the sweep is recorded; a trial's params are a sample of the space
        Map<String, Object> sample = new LinkedHashMap<>();
        java.util.Random random = new java.util.Random(spec.seed());
        spec.dimensions().forEach((k, d) -> sample.put(k, d.sample(random)));
        try (var backend = ctx.localBackend()) {
          backend.preflight(Planner.plan(id + "-t0", job.forRow(sample), jobFile));
        }
      }
      ctx.err()
          .println(
              ctx.style().bold("▶ sweep " + id)
                  + "  "
                  + spec.algorithmText()
                  + ", seed "
                  + spec.seed()
                  + ", "
                  + spec.objective().goal().name().toLowerCase()
                  + " "
                  + spec.objective().metric()
                  + ", "
                  + spec.budget().maxTrials()
                  + " trials, "
                  + spec.budget().maxParallel()
                  + " at a time"
                  + (cluster.onCluster() ? ", on Kubernetes" : ""));
      try (OwnerLock lock = cluster.onCluster() ? null : own(ctx, id)) {
        return runSweep(
            ctx, id, spec, file.toAbsolutePath(), jobFile, verbose, cluster, true, queue);
      }
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = {
        "Continue a sweep whose process stopped (crash, kill -9, Ctrl-C).",
        "With --target k8s, from any machine with the kubeconfig: the sweep lives in the cluster."
      })
  static final class Resume implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "SWEEP_ID", description = "The sweep's id or a prefix.")
    String id;

    @Option(
        names = {"-v", "--verbose"},
        description = "Show the trials' output and states.")
    boolean verbose;

    @Option(
        names = "--queue",
        paramLabel = "LOCALQUEUE",
        description =
            "On Kubernetes: the trials wait in this Kueue LocalQueue (as the job's"
                + " kubernetes.queue).")
    String queue;

    @Mixin ClusterOptions cluster = new ClusterOptions();

    Resume(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws java.io.IOException {
      if (cluster.onCluster()) {
        Path dir = java.nio.file.Files.createTempDirectory("mlscale-sweep-");
        ClusterSweeps.Stored stored;
        try (var connection = new AutoClose(cluster.connect(ctx))) {
          stored = new ClusterSweeps(connection.get()).load(id, dir);
        }
        SweepSpec spec = new SpecLoader().parse(stored.specJson(), id, SweepSpec.class, List.of());
        ctx.err().println(ctx.style().bold("▶ resuming sweep " + id) + "  from the cluster");
        return runSweep(
            ctx, id, spec, stored.jobFile(), stored.jobFile(), verbose, cluster, false, queue);
      }
      SweepStore store = new SweepStore(ctx.db());
      String sweepId = store.get(id).id();
      try (OwnerLock lock = own(ctx, sweepId)) {
        return resume(store, store.get(sweepId));
      }
    }

    private int resume(SweepStore store, SweepStore.SweepRecord r) {
      if (r.ownerPid() != null
          && r.ownerPid() != ProcessHandle.current().pid()
          && ProcessHandle.of(r.ownerPid()).map(ProcessHandle::isAlive).orElse(false)
          && "Running".equals(r.state())) {
        throw new UserError(
            "sweep "
                + r.id()
                + " is still running in process "
                + r.ownerPid()
                + "; stop it first, or follow it with 'mlscale sweep show "
                + r.id()
                + "'");
      }
      SweepSpec spec = new SpecLoader().parse(r.spec(), r.specFile(), SweepSpec.class, List.of());
      store.setOwner(r.id(), "Running");
      ctx.err()
          .println(
              ctx.style().bold("▶ resuming sweep " + r.id())
                  + "  "
                  + store.trials(r.id()).size()
                  + " trials so far");
      return runSweep(
          ctx,
          r.id(),
          spec,
          Path.of(r.specFile()),
          jobFile(Path.of(r.specFile()), spec),
          verbose,
          cluster,
          false,
          queue);
    }
  }

  static String json(SweepSpec spec) {
    try {
      return SpecLoader.mapper().writeValueAsString(spec);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

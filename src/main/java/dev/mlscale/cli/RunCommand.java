package dev.mlscale.cli;

import dev.mlscale.backend.Backend;
import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.metrics.Metric;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.plan.Submission;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.RunState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "run",
    description = {
      "Run one or more job specs and wait for them.",
      "Several specs run at once, each as soon as this machine has its CPU, memory and GPUs free."
    })
final class RunCommand extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "SPEC", description = "Job spec files (YAML).")
  List<Path> specs;

  @picocli.CommandLine.Mixin QueueOption set = new QueueOption();

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(
      names = "--param-grid",
      paramLabel = "NAME=V1,V2",
      description =
          "Run every combination of these values, one row each (replaces the spec's"
              + " rows), e.g. --param-grid lr=0.1,0.01 --param-grid activation=relu,tanh.")
  List<String> paramGrid = new ArrayList<>();

  @Option(
      names = {"-q", "--quiet"},
      description = "Do not stream the jobs' output; print only states and the result.")
  boolean quiet;

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @Override
  public Integer call() throws InterruptedException {
    SpecLoader loader = new SpecLoader();
    List<Submission> submissions = new ArrayList<>();
    List<JobSpec> jobs = new ArrayList<>();
    for (Path file : specs) {
      JobSpec spec = loader.loadJob(file, set.all());
      jobs.add(spec);
      FieldSupport.print(ctx.err(), FieldSupport.checkJob(file, set.all(), cluster.target(), null));
      if (!paramGrid.isEmpty()) {
        spec = spec.withRows(Planner.grid(paramGrid));
      }
      submissions.add(Planner.submission(Planner.newRunId(spec.name()), spec, file));
    }
    int runCount = submissions.stream().mapToInt(s -> s.runs().size()).sum();
    try (Backend backend = cluster.backend(ctx, jobs)) {
      submissions.forEach(backend::preflight);
      submissions.forEach(backend::create);
      Printer printer = new Printer(ctx, runCount > 1, quiet, backend.where(), runCount);
      for (Submission s : submissions) {
        s.runs().forEach(printer::announce);
      }
      Thread hook = new Thread(backend::cancelAll, "mlscale-ctrl-c");
      Runtime.getRuntime().addShutdownHook(hook);
      List<RunOutcome> outcomes = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(submissions.size());
      // Ctrl-C and SIGTERM cancel the runs, which end recorded as Cancelled; then exit code 130
      Interrupts interrupts =
          backend.cancelsOnInterrupt()
              ? Interrupts.cancelling(ctx.err(), what -> backend.cancelAll("cancelled by " + what))
              : null;
      try {
        List<Future<List<RunOutcome>>> futures = new ArrayList<>();
        for (Submission s : submissions) {
          futures.add(pool.submit(() -> backend.run(s, printer)));
        }
        for (Future<List<RunOutcome>> f : futures) {
          outcomes.addAll(f.get());
        }
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(e.getCause());
      } finally {
        if (interrupts != null) {
          interrupts.close();
        }
        pool.shutdownNow();
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // already shutting down
        }
      }
      printer.summary(outcomes);
      if (!output.isTable()) {
        output.print(
            ctx.out(),
            outcomes.size() == 1
                ? summary(outcomes.get(0))
                : outcomes.stream().map(RunCommand::summary).toList());
      }
      return exitCode(outcomes);
    }
  }

  static int exitCode(List<RunOutcome> outcomes) {
    if (outcomes.stream().allMatch(o -> o.state() == RunState.SUCCEEDED)) {
      return 0;
    }
    if (outcomes.stream().anyMatch(o -> "CommandNotFound".equals(o.reason()))) {
      return 2;
    }
    if (outcomes.stream().anyMatch(o -> o.state() == RunState.FAILED)) {
      return 1;
    }
    return 130;
  }

  private static Map<String, Object> summary(RunOutcome o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run", o.runId());
    m.put("name", o.name());
    m.put("state", o.state().display());
    m.put("reason", o.reason());
    m.put("message", o.message());
    m.put("exitCode", o.exitCode());
    m.put("attempts", o.attempts());
    m.put("durationSeconds", o.duration().toMillis() / 1000.0);
    m.put("metrics", o.metrics());
    m.put("model", o.modelOpt().map(x -> x.ref()).orElse(null));
    return m;
  }

  /** Shows the runs' progress: states on stderr, the jobs' own output on stdout. */
  static final class Printer implements RunListener {
    private final Context ctx;
    private final boolean prefix;
    private final boolean quiet;
    private final String where;
    private final int total;
    private final Map<String, RunState> states = new LinkedHashMap<>();

    Printer(Context ctx, boolean prefix, boolean quiet, String where, int total) {
      this.ctx = ctx;
      this.prefix = prefix;
      this.quiet = quiet;
      this.where = where;
      this.total = total;
    }

    void announce(RunPlan p) {
      states.put(p.runId(), RunState.PENDING);
      ctx.err()
          .println(
              ctx.style().bold("▶ " + p.runId())
                  + "  "
                  + p.name()
                  + " on "
                  + where
                  + ": "
                  + String.join(" ", p.argv()));
    }

    @Override
    public synchronized void stateChanged(String runId, String name, RunState state, String msg) {
      Style s = ctx.style();
      String mark =
          switch (state) {
            case SUCCEEDED -> s.green("✔");
            case FAILED -> s.red("✘");
            case CANCELLED, BACKOFF, WAITING -> s.yellow("●");
            default -> "●";
          };
      ctx.err().println(mark + " " + runId + "  " + state.display() + ": " + msg);
      if (total > 1 && states.containsKey(runId)) {
        states.put(runId, state);
        if (state.isFinal()) {
          ctx.err().println(progress());
        }
      }
    }

    @Override
    public synchronized void output(String runId, String name, String line) {
      if (quiet) {
        return;
      }
      if (line.startsWith("setup | ")) {
        ctx.err().println(ctx.style().dim((prefix ? "[" + runId + "] " : "") + line));
        return;
      }
      ctx.out().println(prefix ? "[" + runId + "] " + line : line);
    }

    @Override
    public void metrics(String runId, String name, List<Metric> metrics) {}

    /** A progress bar over all runs: [#####-----] 5/10 done, 4 succeeded, 1 failed, 3 running. */
    String progress() {
      long done = states.values().stream().filter(RunState::isFinal).count();
      long ok = states.values().stream().filter(s -> s == RunState.SUCCEEDED).count();
      long failed = states.values().stream().filter(s -> s == RunState.FAILED).count();
      long running = states.values().stream().filter(s -> s == RunState.RUNNING).count();
      int width = 20;
      int filled = (int) (done * width / Math.max(1, total));
      return "["
          + "#".repeat(filled)
          + "-".repeat(width - filled)
          + "] "
          + done
          + "/"
          + total
          + " done, "
          + ok
          + " succeeded, "
          + failed
          + " failed, "
          + running
          + " running";
    }

    void summary(List<RunOutcome> outcomes) {
      Style s = ctx.style();
      for (RunOutcome o : outcomes) {
        StringBuilder sb = new StringBuilder();
        sb.append(o.state() == RunState.SUCCEEDED ? s.green("✔") : s.red("✘"))
            .append(' ')
            .append(o.runId())
            .append(' ')
            .append(o.state().display().toLowerCase())
            .append(" in ")
            .append(Format.duration(o.duration()));
        if (o.attempts() > 1) {
          sb.append(" after ").append(o.attempts()).append(" attempts");
        }
        ctx.err().println(sb);
        if (!o.metrics().isEmpty()) {
          ctx.err().println("  metrics: " + Format.metrics(o.metrics(), 8));
        }
        o.modelOpt()
            .ifPresent(m -> ctx.err().println("  model:   " + m.ref() + "  (" + m.path() + ")"));
        if (o.state() != RunState.SUCCEEDED) {
          ctx.err().println("  reason:  " + o.reason() + ": " + o.message());
          ctx.err().println("  logs:    mlscale logs " + o.runId());
        }
      }
      if (outcomes.size() > 1) {
        Table t = new Table("RUN", "STATE", "REASON", "ATTEMPTS", "DURATION", "METRICS");
        for (RunOutcome o : outcomes) {
          t.row(
              o.runId(),
              o.state().display(),
              o.reason(),
              o.attempts(),
              Format.duration(o.duration()),
              Format.metrics(o.metrics(), 3));
        }
        t.print(ctx.err(), "");
      }
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import dev.mlscale.plan.Planner;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.OwnerLock;
import dev.mlscale.store.SweepStore;
import dev.mlscale.sweep.LocalTrials;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** This machine's sweeps. */
final class LocalSweepRuns implements SweepRuns {
  private final Context ctx;
  private final SweepStore store;

  LocalSweepRuns(Context ctx) {
    this.ctx = ctx;
    this.store = new SweepStore(ctx.db());
  }

  @Override
  public List<SweepView> list() {
    return store.list().stream()
        .map(
            r -> {
              SweepCommand.Shown shown = SweepCommand.shown(ctx, r);
              return new SweepView(
                  r.id(),
                  r.name(),
                  shown.state(),
                  store.trials(r.id()).size(),
                  r.createdAt(),
                  r.endedAt(),
                  shown.message());
            })
        .toList();
  }

  @Override
  public SweepDetail show(String idOrPrefix) {
    SweepStore.SweepRecord r = store.get(idOrPrefix);
    SweepCommand.Shown shown = SweepCommand.shown(ctx, r);
    SweepSpec spec = new SpecLoader().parse(r.spec(), r.specFile(), SweepSpec.class, List.of());
    return new SweepDetail(r.id(), shown.state(), shown.message(), spec, store.trials(r.id()));
  }

  @Override
  public String where() {
    return "";
  }

  @Override
  public AutoCloseable prepare(String id, SweepSpec spec, JobSpec job, Path jobFile) {
    // what this machine can check of a trial (a setup file, the command, the resources),
    // before the sweep is recorded; a trial's params are a sample of the space
    Map<String, Object> sample = new LinkedHashMap<>();
    java.util.Random random = new java.util.Random(spec.seed());
    spec.dimensions().forEach((k, d) -> sample.put(k, d.sample(random)));
    try (var backend = ctx.localBackend()) {
      backend.preflight(Planner.plan(id + "-t0", job.forRow(sample), jobFile));
    }
    return SweepCommand.own(ctx, id);
  }

  @Override
  public SweepRunner.Result run(SweepRuns.Start start) {
    String id = start.id();
    JobSpec job = start.job();
    if (start.create()) {
      store.create(
          id,
          start.spec().name(),
          start.sweepFile().toString(),
          SweepCommand.json(start.spec()),
          ctx.clock().instant());
    }
    try (var backend = ctx.localBackend()) {
      LocalTrials trials =
          new LocalTrials(
              id, job, start.jobFile(), store, ctx.runs(), ctx.models(), backend, ctx.clock());
      SweepRunner runner = new SweepRunner(trials, start.listener());
      Thread hook = new Thread(backend::cancelAll, "mlscale-ctrl-c");
      Runtime.getRuntime().addShutdownHook(hook);
      // Ctrl-C and SIGTERM stop the sweep: its trials are cancelled and recorded, exit 130
      try (Interrupts interrupts =
          Interrupts.cancelling(ctx.err(), what -> runner.stop("cancelled by " + what))) {
        return runner.run(start.spec(), job);
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
          // shutting down
        }
      }
    }
  }

  @Override
  public Resumable resume(String idOrPrefix) {
    String sweepId = store.get(idOrPrefix).id();
    OwnerLock lock = SweepCommand.own(ctx, sweepId);
    SweepStore.SweepRecord r = store.get(sweepId);
    if (r.ownerPid() != null
        && r.ownerPid() != ProcessHandle.current().pid()
        && ProcessHandle.of(r.ownerPid()).map(ProcessHandle::isAlive).orElse(false)
        && "Running".equals(r.state())) {
      lock.close();
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
    Path sweepFile = Path.of(r.specFile());
    return new Resumable(
        r.id(),
        spec,
        sweepFile,
        SweepCommand.jobFile(sweepFile, spec),
        List.of(), // kubernetes.queue is the only job override, and it means nothing here
        store.trials(r.id()).size() + " trials so far",
        lock);
  }

  @Override
  public void close() {}
}

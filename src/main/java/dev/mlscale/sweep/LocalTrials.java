package dev.mlscale.sweep;

import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.local.LocalBackend;
import dev.mlscale.metrics.Metric;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.ModelStore;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import dev.mlscale.store.SweepStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Trials as local processes, recorded in the embedded database. A trial that was running when the
 * sweep's process died is taken over: if its attempt ended while nobody watched, its result is
 * taken from the attempt's supervisor's record; if it still runs, it is followed to its end; it is
 * never started again (see {@link LocalBackend#resume}).
 */
public final class LocalTrials implements TrialBackend {
  private final String sweepId;
  private final JobSpec job;
  private final Path jobFile;
  private final SweepStore sweeps;
  private final RunStore runs;
  private final ModelStore models;
  private final LocalBackend backend;
  private final Clock clock;

  /** The trials {@link #start} recorded, until the sweep asks for them. */
  private final Map<Integer, Trial> started = new java.util.concurrent.ConcurrentHashMap<>();

  public LocalTrials(
      String sweepId,
      JobSpec job,
      Path jobFile,
      SweepStore sweeps,
      RunStore runs,
      ModelStore models,
      LocalBackend backend,
      Clock clock) {
    this.sweepId = sweepId;
    this.job = job;
    this.jobFile = jobFile;
    this.sweeps = sweeps;
    this.runs = runs;
    this.models = models;
    this.backend = backend.withoutModelRegistration();
    this.clock = clock;
  }

  @Override
  public List<Trial> load() {
    return sweeps.trials(sweepId);
  }

  @Override
  public Callable<TrialOutcome> start(
      int number, Map<String, Object> params, RunListener listener) {
    String runId = sweepId + "-t" + number + "-" + Planner.newRunId("x").substring(2);
    RunPlan plan = Planner.plan(runId, job.forRow(params), jobFile);
    backend.preflight(plan);
    started.put(number, sweeps.startTrial(sweepId, number, params, runId, clock.instant()));
    backend.create(plan);
    return () -> outcome(number, backend.run(plan, listener));
  }

  /** As {@link #start} recorded it, without reading it again (nor the whole sweep: N²/2 rows). */
  @Override
  public Trial started(int number) {
    Trial t = started.remove(number);
    return t != null ? t : sweeps.trial(sweepId, number).orElseThrow();
  }

  @Override
  public Callable<TrialOutcome> resume(Trial trial, RunListener listener) {
    RunRecord r = find(trial.runId());
    if (r != null && (r.state() == RunState.SUCCEEDED || r.state() == RunState.FAILED)) {
      TrialOutcome adopted =
          new TrialOutcome(
              trial.number(),
              r.id(),
              r.state(),
              r.reason(),
              r.message(),
              runs.finalMetrics(r.id()));
      return () -> adopted;
    }
    if (r != null && r.state() != RunState.CANCELLED) {
      // its attempt may have ended while nobody watched, or still run: take it, never run it twice
      RunPlan plan = Planner.plan(r.id(), job.forRow(trial.params()), jobFile);
      return () -> outcome(trial.number(), backend.resume(plan, listener));
    }
    Callable<TrialOutcome> again = start(trial.number(), trial.params(), listener);
    started.remove(trial.number()); // the sweep has this trial already; only new ones are asked for
    return again;
  }

  private RunRecord find(String runId) {
    if (runId == null) {
      return null;
    }
    try {
      return runs.get(runId);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static TrialOutcome outcome(int number, RunOutcome o) {
    return new TrialOutcome(number, o.runId(), o.state(), o.reason(), o.message(), o.metrics());
  }

  @Override
  public void stop(String runId) {
    backend.cancel(runId);
  }

  @Override
  public void stopAll() {
    backend.cancelAll();
  }

  @Override
  public void end(Trial t) {
    sweeps.endTrial(sweepId, t.number(), t.state(), t.objective(), t.reason(), clock.instant());
  }

  @Override
  public void finish(String state, String message) {
    sweeps.finish(sweepId, state, message, clock.instant());
  }

  @Override
  public ModelRecord registerBest(Trial best, JobSpec spec) {
    if (spec.outputsOpt().isEmpty()) {
      return null;
    }
    ModelRecord model =
        models.register(
            spec.outputs().model(),
            best.runId(),
            backend.outputDir(best.runId()),
            best.params(),
            runs.finalMetrics(best.runId()),
            clock.instant());
    if (model != null) {
      runs.setModel(best.runId(), model.ref());
    }
    return model;
  }

  @Override
  public List<Metric> metrics(String runId) {
    return runs.metrics(runId);
  }
}

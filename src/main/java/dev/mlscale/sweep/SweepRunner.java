package dev.mlscale.sweep;

import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.local.LocalBackend;
import dev.mlscale.backend.local.ProcessGroup;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Runs a sweep on the local backend: asks the sampler for parameters, runs at most {@code
 * max_parallel} trials at once, stops lagging trials early, and records every step before it
 * happens, so that {@code mlscale sweep resume} after a crash or {@code kill -9} loses no trial and
 * runs none twice. Trials that were running when the sweep died are run again from the start, with
 * the same number and parameters.
 */
public final class SweepRunner {
  private final SweepStore sweeps;
  private final RunStore runs;
  private final ModelStore models;
  private final LocalBackend backend;
  private final Clock clock;
  private final SweepListener listener;

  /** What the CLI shows while a sweep runs. */
  public interface SweepListener extends RunListener {
    void trialStarted(Trial trial);

    void trialEnded(Trial trial, List<Trial> all, int maxTrials);
  }

  /** How a sweep ended. */
  public record Result(
      String state, String message, List<Trial> trials, Optional<Trial> best, ModelRecord model) {}

  public SweepRunner(
      SweepStore sweeps,
      RunStore runs,
      ModelStore models,
      LocalBackend backend,
      Clock clock,
      SweepListener listener) {
    this.sweeps = sweeps;
    this.runs = runs;
    this.models = models;
    this.backend = backend.withoutModelRegistration();
    this.clock = clock;
    this.listener = listener;
  }

  public Result run(String sweepId, SweepSpec spec, JobSpec job, Path jobFile) {
    Sampler sampler = Sampler.of(spec);
    EarlyStopper stopper = new EarlyStopper(spec.earlyStopping(), spec.objective());
    Map<String, Integer> trialOfRun = new ConcurrentHashMap<>();
    Map<Integer, String> pruned = new ConcurrentHashMap<>();
    List<Trial> history = new ArrayList<>(sweeps.trials(sweepId));

    ExecutorService pool =
        Executors.newFixedThreadPool(
            spec.budget().maxParallel(),
            r -> {
              Thread t = new Thread(r, "mlscale-trial");
              t.setDaemon(true);
              return t;
            });
    ExecutorCompletionService<Ended> done = new ExecutorCompletionService<>(pool);
    RunListener trialListener =
        new RunListener() {
          @Override
          public void stateChanged(String runId, String name, RunState state, String message) {
            listener.stateChanged(runId, name, state, message);
          }

          @Override
          public void output(String runId, String name, String line) {
            listener.output(runId, name, line);
          }

          @Override
          public void metrics(String runId, String name, List<Metric> metrics) {
            Integer trial = trialOfRun.get(runId);
            if (trial == null) {
              return;
            }
            for (Metric m : metrics) {
              if (m.name().equals(spec.objective().metric()) && m.step() != null) {
                stopper.report(trial, m.step(), m.value());
                String why = stopper.shouldStop(trial, m.step());
                if (why != null && pruned.putIfAbsent(trial, why) == null) {
                  backend.cancel(runId);
                }
              }
            }
          }
        };
    int running = 0;
    try {
      // trials that were running when a previous process died: stop leftovers, run them again
      List<Trial> restart = new ArrayList<>();
      for (Trial t : history) {
        if (t.state() == Trial.TrialState.RUNNING) {
          Optional<Trial> adopted = adopt(sweepId, spec, t);
          if (adopted.isPresent()) {
            stopper.ended(t.number());
            history.replaceAll(x -> x.number() == t.number() ? adopted.get() : x);
          } else {
            killLeftovers(t.runId());
            restart.add(t);
          }
        }
      }
      history.removeAll(restart);
      for (Trial t : restart) {
        start(
            sweepId,
            t.number(),
            t.params(),
            job,
            jobFile,
            done,
            trialListener,
            trialOfRun,
            pruned,
            stopper,
            spec);
        history.add(t);
        running++;
      }
      int next = history.stream().mapToInt(Trial::number).max().orElse(-1) + 1;
      boolean exhausted = false;
      while (true) {
        long failed = count(history, Trial.TrialState.FAILED);
        boolean budgetLeft =
            next < spec.budget().maxTrials() && !exhausted && failed < spec.budget().maxFailed();
        while (budgetLeft && running < spec.budget().maxParallel()) {
          Optional<Map<String, Object>> params = sampler.suggest(next, List.copyOf(history));
          if (params.isEmpty()) {
            exhausted = true;
            break;
          }
          Trial t =
              start(
                  sweepId,
                  next,
                  params.get(),
                  job,
                  jobFile,
                  done,
                  trialListener,
                  trialOfRun,
                  pruned,
                  stopper,
                  spec);
          history.add(t);
          running++;
          next++;
          budgetLeft = next < spec.budget().maxTrials();
        }
        if (running == 0) {
          break;
        }
        Ended ended = done.take().get();
        running--;
        Trial finished = finish(sweepId, spec, ended, pruned, stopper);
        history.replaceAll(t -> t.number() == finished.number() ? finished : t);
        listener.trialEnded(finished, List.copyOf(history), spec.budget().maxTrials());
        Optional<String> unreported = neverReported(spec, history);
        if (unreported.isPresent()) {
          backend.cancelAll();
          drain(done, running);
          return end(sweepId, "Failed", unreported.get(), sweeps.trials(sweepId), spec, job);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      backend.cancelAll();
      return end(sweepId, "Cancelled", "interrupted", sweeps.trials(sweepId), spec, job);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
    List<Trial> all = sweeps.trials(sweepId);
    long failed = count(all, Trial.TrialState.FAILED);
    if (all.stream().noneMatch(Trial::completed)) {
      return end(
          sweepId,
          "Failed",
          "no trial completed: "
              + failed
              + " failed; see 'mlscale"
              + " status' of a trial's run for why",
          all,
          spec,
          job);
    }
    String message =
        failed >= spec.budget().maxFailed()
            ? "stopped after "
                + failed
                + " failed trials (max_failed "
                + spec.budget().maxFailed()
                + ")"
            : all.size() + " trials";
    return end(
        sweepId,
        failed >= spec.budget().maxFailed() ? "Failed" : "Succeeded",
        message,
        all,
        spec,
        job);
  }

  private record Ended(int trial, RunOutcome outcome) {}

  private Trial start(
      String sweepId,
      int number,
      Map<String, Object> params,
      JobSpec job,
      Path jobFile,
      ExecutorCompletionService<Ended> done,
      RunListener trialListener,
      Map<String, Integer> trialOfRun,
      Map<Integer, String> pruned,
      EarlyStopper stopper,
      SweepSpec spec) {
    String runId = sweepId + "-t" + number + "-" + Planner.newRunId("x").substring(2);
    RunPlan plan = Planner.plan(runId, job.forRow(params), jobFile);
    backend.preflight(plan);
    sweeps.startTrial(sweepId, number, params, runId, clock.instant());
    backend.create(plan);
    trialOfRun.put(runId, number);
    Trial t = new Trial(number, params, Trial.TrialState.RUNNING, null, runId, null);
    listener.trialStarted(t);
    done.submit(() -> new Ended(number, backend.run(plan, trialListener)));
    return t;
  }

  private Trial finish(
      String sweepId, SweepSpec spec, Ended e, Map<Integer, String> pruned, EarlyStopper stopper) {
    RunOutcome o = e.outcome();
    Double value = o.metrics().get(spec.objective().metric());
    Trial.TrialState state;
    String reason;
    if (pruned.containsKey(e.trial())) {
      state = Trial.TrialState.PRUNED;
      reason = "stopped early: " + pruned.get(e.trial());
      value = bestSoFar(spec, o.runId()).orElse(value);
    } else if (o.state() == RunState.SUCCEEDED) {
      state = Trial.TrialState.COMPLETED;
      reason = value == null ? "completed without reporting " + spec.objective().metric() : null;
    } else {
      state = Trial.TrialState.FAILED;
      reason = o.reason() + ": " + o.message();
      value = null;
    }
    stopper.ended(e.trial());
    sweeps.endTrial(sweepId, e.trial(), state, value, reason, clock.instant());
    return new Trial(
        e.trial(),
        sweeps.trials(sweepId).stream()
            .filter(t -> t.number() == e.trial())
            .findFirst()
            .orElseThrow()
            .params(),
        state,
        value,
        o.runId(),
        reason);
  }

  private Optional<Double> bestSoFar(SweepSpec spec, String runId) {
    Double best = null;
    for (Metric m : runs.metrics(runId)) {
      if (m.name().equals(spec.objective().metric())
          && (best == null || spec.objective().better(m.value(), best))) {
        best = m.value();
      }
    }
    return Optional.ofNullable(best);
  }

  /** After the first trials end: an objective metric that none of them reported is a mistake. */
  private Optional<String> neverReported(SweepSpec spec, List<Trial> history) {
    List<Trial> ended =
        history.stream().filter(t -> t.state() == Trial.TrialState.COMPLETED).toList();
    if (ended.size() < Math.min(2, spec.budget().maxTrials())
        || ended.stream().anyMatch(t -> t.objective() != null)) {
      return Optional.empty();
    }
    Map<String, Double> seen = new HashMap<>();
    ended.forEach(t -> seen.putAll(runs.finalMetrics(t.runId())));
    return Optional.of(
        "the objective metric '"
            + spec.objective().metric()
            + "' was never"
            + " reported by "
            + ended.size()
            + " completed trials; they reported "
            + (seen.isEmpty() ? "no metrics at all" : String.join(", ", seen.keySet()))
            + ". Fix objective.metric or report it with report("
            + spec.objective().metric()
            + "=...)");
  }

  /**
   * A trial whose run ended while nobody was recording it (the sweep died in between): take the
   * run's result instead of running it again.
   */
  private Optional<Trial> adopt(String sweepId, SweepSpec spec, Trial t) {
    if (t.runId() == null) {
      return Optional.empty();
    }
    RunRecord r;
    try {
      r = runs.get(t.runId());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
    if (r.state() != RunState.SUCCEEDED && r.state() != RunState.FAILED) {
      return Optional.empty();
    }
    Double value =
        r.state() == RunState.SUCCEEDED
            ? runs.finalMetrics(r.id()).get(spec.objective().metric())
            : null;
    Trial.TrialState state =
        r.state() == RunState.SUCCEEDED ? Trial.TrialState.COMPLETED : Trial.TrialState.FAILED;
    String reason = state == Trial.TrialState.FAILED ? r.reason() + ": " + r.message() : null;
    sweeps.endTrial(sweepId, t.number(), state, value, reason, clock.instant());
    return Optional.of(new Trial(t.number(), t.params(), state, value, t.runId(), reason));
  }

  private void killLeftovers(String runId) {
    if (runId == null) {
      return;
    }
    try {
      RunRecord r = runs.get(runId);
      if (r.pid() != null) {
        ProcessGroup.signalGroup(r.pid(), "KILL");
      }
      if (!r.state().isFinal()) {
        runs.finish(
            runId,
            RunState.CANCELLED,
            "Interrupted",
            "the sweep process died; the trial" + " runs again",
            null,
            clock.instant());
      }
    } catch (RuntimeException e) {
      // the run was never recorded: nothing to stop
    }
  }

  private static void drain(ExecutorCompletionService<Ended> done, int running)
      throws InterruptedException {
    for (int i = 0; i < running; i++) {
      Future<Ended> f = done.take();
      try {
        f.get();
      } catch (ExecutionException e) {
        // cancelled trials end as they end
      }
    }
  }

  private Result end(
      String sweepId,
      String state,
      String message,
      List<Trial> trials,
      SweepSpec spec,
      JobSpec job) {
    Optional<Trial> best = best(trials, spec.objective());
    ModelRecord model = null;
    if (best.isPresent() && job.outputsOpt().isPresent()) {
      model =
          models.register(
              job.outputs().model(),
              best.get().runId(),
              backend.outputDir(best.get().runId()),
              best.get().params(),
              runs.finalMetrics(best.get().runId()),
              clock.instant());
      if (model != null) {
        runs.setModel(best.get().runId(), model.ref());
      }
    }
    sweeps.finish(sweepId, state, message, clock.instant());
    return new Result(state, message, trials, best, model);
  }

  public static Optional<Trial> best(List<Trial> trials, SweepSpec.Objective objective) {
    Trial best = null;
    for (Trial t : trials) {
      if (t.completed() && (best == null || objective.better(t.objective(), best.objective()))) {
        best = t;
      }
    }
    return Optional.ofNullable(best);
  }

  private static long count(List<Trial> trials, Trial.TrialState state) {
    return trials.stream().filter(t -> t.state() == state).count();
  }
}

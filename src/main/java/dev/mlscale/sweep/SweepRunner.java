package dev.mlscale.sweep;

import dev.mlscale.backend.RunListener;
import dev.mlscale.metrics.Metric;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.RunState;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Drives a sweep on any {@link TrialBackend}: asks the sampler for parameters, runs at most {@code
 * max_parallel} trials at once, stops lagging trials early, and leaves every step recorded before
 * it happens, so that {@code mlscale sweep resume} after a crash or {@code kill -9} loses no trial
 * and runs none twice.
 */
public final class SweepRunner {
  private final TrialBackend trials;
  private final SweepListener listener;
  private volatile String stopped;

  /** What the CLI shows while a sweep runs. */
  public interface SweepListener extends RunListener {
    void trialStarted(Trial trial);

    void trialEnded(Trial trial, List<Trial> all, int maxTrials);
  }

  /** How a sweep ended. */
  public record Result(
      String state, String message, List<Trial> trials, Optional<Trial> best, ModelRecord model) {}

  public SweepRunner(TrialBackend trials, SweepListener listener) {
    this.trials = trials;
    this.listener = listener;
  }

  /**
   * Stops the sweep (Ctrl-C): its running trials are cancelled and stay to be run again by {@code
   * mlscale sweep resume}; {@link #run} ends Cancelled with {@code why} as its message.
   */
  public void stop(String why) {
    stopped = why;
    trials.stopAll();
  }

  public Result run(SweepSpec spec, JobSpec job) {
    Sampler sampler = Sampler.of(spec);
    EarlyStopper stopper = new EarlyStopper(spec.earlyStopping(), spec.objective());
    Map<String, Integer> trialOfRun = new ConcurrentHashMap<>();
    Map<Integer, String> pruned = new ConcurrentHashMap<>();
    List<Trial> history = new ArrayList<>(trials.load());
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
                  trials.stop(runId);
                }
              }
            }
          }
        };
    ExecutorService pool =
        Executors.newFixedThreadPool(
            spec.budget().maxParallel(),
            r -> {
              Thread t = new Thread(r, "mlscale-trial");
              t.setDaemon(true);
              return t;
            });
    ExecutorCompletionService<TrialBackend.TrialOutcome> done =
        new ExecutorCompletionService<>(pool);
    int running = 0;
    try {
      for (Trial t : history) {
        if (t.state() == Trial.TrialState.RUNNING) {
          trialOfRun.put(t.runId(), t.number());
          done.submit(trials.resume(t, trialListener));
          running++;
        } else {
          stopper.ended(t.number());
        }
      }
      int next = history.stream().mapToInt(Trial::number).max().orElse(-1) + 1;
      boolean exhausted = false;
      while (true) {
        long failed = count(history, Trial.TrialState.FAILED);
        while (!exhausted
            && stopped == null
            && next < spec.budget().maxTrials()
            && failed < spec.budget().maxFailed()
            && running < spec.budget().maxParallel()) {
          Optional<Map<String, Object>> params = sampler.suggest(next, List.copyOf(history));
          if (params.isEmpty()) {
            exhausted = true;
            break;
          }
          final int number = next;
          var task = trials.start(number, params.get(), trialListener);
          Trial t = trials.started(number);
          trialOfRun.put(t.runId(), number);
          history.add(t);
          listener.trialStarted(t);
          done.submit(task);
          running++;
          next++;
        }
        if (stopped != null) {
          trials.stopAll(); // also what started while it was asked to stop
          drain(done, running);
          return end("Cancelled", stopped, spec, job);
        }
        if (running == 0) {
          break;
        }
        TrialBackend.TrialOutcome outcome = done.take().get();
        running--;
        if (stopped != null) {
          continue; // a stopped trial is run again on resume, not counted as failed
        }
        Trial finished = finish(spec, outcome, history, pruned, stopper);
        history.replaceAll(t -> t.number() == finished.number() ? finished : t);
        listener.trialEnded(finished, List.copyOf(history), spec.budget().maxTrials());
        Optional<String> unreported = neverReported(spec, history);
        if (unreported.isPresent()) {
          trials.stopAll();
          drain(done, running);
          return end("Failed", unreported.get(), spec, job);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      trials.stopAll();
      return end("Cancelled", "interrupted", spec, job);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e);
    } finally {
      pool.shutdownNow();
    }
    List<Trial> all = trials.load();
    long failed = count(all, Trial.TrialState.FAILED);
    if (all.stream().noneMatch(Trial::completed)) {
      return end(
          "Failed",
          "no trial completed: "
              + failed
              + " failed; see 'mlscale status' of"
              + " a trial's run for why",
          spec,
          job);
    }
    boolean tooMany = failed >= spec.budget().maxFailed();
    return end(
        tooMany ? "Failed" : "Succeeded",
        tooMany
            ? "stopped after "
                + failed
                + " failed trials (max_failed "
                + spec.budget().maxFailed()
                + ")"
            : all.size() + " trials",
        spec,
        job);
  }

  private Trial finish(
      SweepSpec spec,
      TrialBackend.TrialOutcome o,
      List<Trial> history,
      Map<Integer, String> pruned,
      EarlyStopper stopper) {
    Double value = o.metrics().get(spec.objective().metric());
    Trial.TrialState state;
    String reason;
    if (pruned.containsKey(o.number())) {
      state = Trial.TrialState.PRUNED;
      reason = "stopped early: " + pruned.get(o.number());
      value = bestSoFar(spec, o.runId()).orElse(value);
    } else if (o.state() == RunState.SUCCEEDED) {
      state = Trial.TrialState.COMPLETED;
      reason = value == null ? "completed without reporting " + spec.objective().metric() : null;
    } else {
      state = Trial.TrialState.FAILED;
      reason = o.reason() + ": " + o.message();
      value = null;
    }
    stopper.ended(o.number());
    Map<String, Object> params =
        history.stream().filter(t -> t.number() == o.number()).findFirst().orElseThrow().params();
    Trial t = new Trial(o.number(), params, state, value, o.runId(), reason);
    trials.end(t);
    return t;
  }

  private Optional<Double> bestSoFar(SweepSpec spec, String runId) {
    Double best = null;
    for (Metric m : trials.metrics(runId)) {
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
    Set<String> seen = new LinkedHashSet<>();
    ended.forEach(t -> trials.metrics(t.runId()).forEach(m -> seen.add(m.name())));
    return Optional.of(
        "the objective metric '"
            + spec.objective().metric()
            + "' was never"
            + " reported by "
            + ended.size()
            + " completed trials; they reported "
            + (seen.isEmpty() ? "no metrics at all" : String.join(", ", seen))
            + ". Fix objective.metric or report it with report("
            + spec.objective().metric()
            + "=...)");
  }

  private static void drain(ExecutorCompletionService<TrialBackend.TrialOutcome> done, int running)
      throws InterruptedException {
    for (int i = 0; i < running; i++) {
      try {
        done.take().get();
      } catch (ExecutionException e) {
        // stopped trials end as they end
      }
    }
  }

  private Result end(String state, String message, SweepSpec spec, JobSpec job) {
    List<Trial> all = trials.load();
    Optional<Trial> best = best(all, spec.objective());
    ModelRecord model = best.map(b -> trials.registerBest(b, job)).orElse(null);
    trials.finish(state, message);
    return new Result(state, message, all, best, model);
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

  /** The trials best first; those without an objective last, in their order. */
  public static List<Trial> ranked(List<Trial> trials, SweepSpec.Objective objective) {
    List<Trial> sorted = new java.util.ArrayList<>(trials);
    sorted.sort(
        (a, b) -> {
          if (a.objective() == null || b.objective() == null) {
            return a.objective() == null ? (b.objective() == null ? 0 : 1) : -1;
          }
          return objective.better(a.objective(), b.objective())
              ? -1
              : objective.better(b.objective(), a.objective()) ? 1 : 0;
        });
    return sorted;
  }

  private static long count(List<Trial> trials, Trial.TrialState state) {
    return trials.stream().filter(t -> t.state() == state).count();
  }
}

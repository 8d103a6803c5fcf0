package dev.mlscale.sweep;

import dev.mlscale.backend.RunListener;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.RunState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Where a sweep's trials run and where its state is kept: the local backend with the embedded
 * database, or a cluster, where the trials' Jobs themselves are the record.
 */
public interface TrialBackend {
  /** The sweep's trials as recorded, running ones included. */
  List<Trial> load();

  /**
   * Records trial {@code number} as running, durably, then returns the task that runs it to its
   * end. A sweep that dies after this call finds the trial on resume.
   */
  Callable<TrialOutcome> start(int number, Map<String, Object> params, RunListener listener);

  /** Trial {@code number} as {@link #start} recorded it. */
  default Trial started(int number) {
    return load().stream().filter(t -> t.number() == number).findFirst().orElseThrow();
  }

  /**
   * For a trial that was running when the sweep's process died: a task that waits for it (when it
   * is still running, e.g. on a cluster), takes its result (when it ended meanwhile), or runs it
   * again from the start (when its process died with the sweep).
   */
  Callable<TrialOutcome> resume(Trial trial, RunListener listener);

  /** Stops a trial early (its metric lags): its resources are freed at once. */
  void stop(String runId);

  /** Stops every trial this process started (Ctrl-C). */
  void stopAll();

  /** Records how a trial ended. */
  void end(Trial trial);

  /** Records how the sweep ended. */
  void finish(String state, String message);

  /** Registers the best trial's model, when the job saves one; null when there is none. */
  ModelRecord registerBest(Trial best, JobSpec job);

  /** The metrics a trial's run reported so far, in order. */
  List<dev.mlscale.metrics.Metric> metrics(String runId);

  /** How a trial's run ended. */
  record TrialOutcome(
      int number,
      String runId,
      RunState state,
      String reason,
      String message,
      Map<String, Double> metrics) {}
}

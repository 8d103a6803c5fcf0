package dev.mlscale.backend;

import dev.mlscale.plan.Submission;
import java.util.List;

/** Where submissions run: this machine or a Kubernetes cluster. */
public interface Backend extends AutoCloseable {
  /** Checks what can be checked before anything is created; throws user errors. */
  void preflight(Submission submission);

  /** Records the new runs so their ids can be shown at once. */
  void create(Submission submission);

  /** Runs a created submission to its end: one outcome per run, in row order. */
  List<RunOutcome> run(Submission submission, RunListener listener);

  /** Stops every run this backend started in this process (Ctrl-C). */
  void cancelAll();

  /**
   * Whether Ctrl-C in the terminal that started the runs should cancel them ({@link
   * #cancelAll(String)}): on this machine yes; a cluster keeps its runs going, so no.
   */
  default boolean cancelsOnInterrupt() {
    return false;
  }

  /** As {@link #cancelAll()}, saying why (e.g. "cancelled by SIGINT (Ctrl-C)"). */
  default void cancelAll(String why) {
    cancelAll();
  }

  /** Where the runs run, in words: "this machine", "Kubernetes". */
  String where();

  @Override
  void close();

  /** The record of a run of {@code plan} that has not started yet, on {@code target}. */
  static dev.mlscale.store.RunRecord pending(
      dev.mlscale.plan.RunPlan plan, String target, java.time.Instant at, String runDir) {
    return dev.mlscale.store.RunRecord.pending(
        plan.runId(),
        plan.name(),
        target,
        plan.specFile().toString(),
        at,
        runDir,
        plan.spec().params());
  }
}

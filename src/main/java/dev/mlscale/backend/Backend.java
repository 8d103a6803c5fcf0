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

  @Override
  void close();
}

package dev.mlscale.backend;

import dev.mlscale.plan.RunPlan;
import dev.mlscale.store.RunRecord;

/** Where plans run: this machine or a Kubernetes cluster. */
public interface Backend extends AutoCloseable {
  /** Checks what can be checked before anything is created; throws user errors. */
  void preflight(RunPlan plan);

  /** Records a new run so its id can be shown at once. */
  RunRecord create(RunPlan plan);

  /** Runs a created run to its end. */
  RunOutcome run(RunPlan plan, RunListener listener);

  /** Stops every run this backend started in this process (Ctrl-C). */
  void cancelAll();

  @Override
  void close();
}

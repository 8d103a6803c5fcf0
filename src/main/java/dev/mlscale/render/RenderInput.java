package dev.mlscale.render;

import dev.mlscale.plan.RunPlan;

/**
 * Everything rendering needs; rendering itself reads nothing else.
 *
 * @param attempt 1 for the first try; later tries (after OOMKilled with on_oom) are Jobs of their
 *     own named RUN-aN
 */
public record RenderInput(
    RunPlan plan, String namespace, CodeArchive code, byte[] helperSource, int attempt) {
  public RenderInput(RunPlan plan, String namespace, CodeArchive code, byte[] helperSource) {
    this(plan, namespace, code, helperSource, 1);
  }

  /** The name of this attempt's Job. */
  public String jobName() {
    return attempt == 1 ? plan.runId() : plan.runId() + "-a" + attempt;
  }
}

package dev.mlscale.plan;

import dev.mlscale.spec.JobSpec;
import java.util.List;

/**
 * What one spec file asks for: one run, or one run per parameter row (the workshop's
 * experiments.yaml). On Kubernetes the rows become ONE Indexed Job named {@code id}; row {@code i}
 * is its completion index {@code i} and the run {@code id-rI}.
 *
 * @param parallelism how many rows may run at once
 */
public record Submission(
    String id, JobSpec spec, List<RunPlan> runs, boolean rows, int parallelism) {
  public Submission {
    runs = List.copyOf(runs);
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("a submission needs at least one run");
    }
  }

  public String name() {
    return spec.name();
  }
}

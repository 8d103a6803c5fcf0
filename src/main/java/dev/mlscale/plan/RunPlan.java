package dev.mlscale.plan;

import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.Resources;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * What to run for one job, fully resolved: the argument vector with parameters filled in, the
 * environment, the parameter file's content. Backends take plans, never raw specs.
 *
 * @param env the variables the job gets besides the {@code MLSCALE_*} ones a backend adds
 * @param paramsJson the content of the file {@code $MLSCALE_PARAMS_FILE} points at
 */
public record RunPlan(
    String runId,
    JobSpec spec,
    Path specFile,
    Path workdir,
    List<String> argv,
    Map<String, String> env,
    String paramsJson,
    Resources resources) {
  public RunPlan {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
  }

  public String name() {
    return spec.name();
  }
}

package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    description = {
      "Stop a pipeline run: nothing new starts, running tasks are stopped, the exit task"
          + " still runs (and is told the pipeline was cancelled).",
      "On the cluster this is Argo's stop (spec.shutdown: Stop); the running pods are deleted."
    })
final class PipelineCancel extends CliCommand {
  @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
  String id;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "45s",
      description =
          "On the cluster: how long Argo gets to stop the running pods before mlscale deletes"
              + " them (default ${DEFAULT-VALUE}).")
  String grace;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  private dev.mlscale.spec.DurationValue parseGrace() {
    try {
      return dev.mlscale.spec.DurationValue.parse(grace);
    } catch (RuntimeException e) {
      throw new UserError("--grace " + grace + ": write a duration like 30s or 2m");
    }
  }

  @Override
  public Integer call() throws InterruptedException {
    java.time.Duration g = parseGrace().duration();
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      ctx.out().println(runs.cancel(id, g));
    }
    return 0;
  }
}

package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    description = "Print the output of a pipeline's tasks, each line prefixed with [task].")
final class PipelineTaskLogs extends CliCommand {
  @Parameters(index = "0", paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
  String id;

  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "TASK",
      description = "Only this task (train shows train-0, train-1, ...).")
  String task;

  @Option(
      names = {"-f", "--follow"},
      description =
          "Keep printing until the pipeline ends: as the tasks write (locally), or each"
              + " task's output as it ends (on the cluster).")
  boolean follow;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      runs.logs(id, task, follow, ctx.out());
    }
    return 0;
  }
}

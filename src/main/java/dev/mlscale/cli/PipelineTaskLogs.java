package dev.mlscale.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print the output of a pipeline's tasks, each line prefixed with [task].")
final class PipelineTaskLogs implements Callable<Integer> {
  private final Context ctx;

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

  PipelineTaskLogs(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      runs.logs(id, task, follow, ctx.out());
    }
    return 0;
  }
}

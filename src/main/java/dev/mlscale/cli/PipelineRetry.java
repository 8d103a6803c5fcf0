package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "retry",
    description = {
      "Run a Failed or Cancelled pipeline run again, under the same id: the tasks that succeeded"
          + " and the workspace are kept; the failed, cancelled, skipped and unfinished tasks run"
          + " again (as their next try, with new run ids), then the exit task.",
      "With --target k8s it retries the Argo Workflow as 'argo retry' does: the failed nodes are"
          + " reset, their pods deleted, and the Workflow runs again."
    })
final class PipelineRetry extends CliCommand {
  @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id or a prefix.")
  String id;

  @Mixin PipelineOutput shown = new PipelineOutput();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns pipelines = PipelineRuns.open(ctx, cluster)) {
      return pipelines.retry(id, shown);
    }
  }
}

package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    description =
        "Delete pipeline runs from the cluster: the Workflow, its pods and ConfigMaps"
            + " (--target k8s).")
final class PipelineDelete extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "PIPELINE_RUN", description = "Pipeline run ids.")
  List<String> ids;

  @Option(
      names = "--wait",
      defaultValue = "true",
      negatable = true,
      description = "Wait until everything is gone. Default: ${DEFAULT-VALUE}.")
  boolean await;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      for (String id : ids) {
        runs.delete(id, await);
        ctx.out().println("deleted " + id);
      }
    }
    return 0;
  }
}

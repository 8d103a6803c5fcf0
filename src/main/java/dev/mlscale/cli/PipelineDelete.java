package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    description =
        "Delete pipeline runs from the cluster: the Workflow, its pods and ConfigMaps"
            + " (--target k8s).")
final class PipelineDelete extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "PIPELINE_RUN", description = "Pipeline run ids.")
  List<String> ids;

  @Mixin DeleteOption deletion = new DeleteOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      deletion.deleteAll(ctx, ids, runs::delete);
    }
    return 0;
  }
}

package dev.mlscale.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    mixinStandardHelpOptions = true,
    description =
        "Delete pipeline runs from the cluster: the Workflow, its pods and ConfigMaps"
            + " (--target k8s).")
final class PipelineDelete implements Callable<Integer> {
  private final Context ctx;

  @Parameters(arity = "1..*", paramLabel = "PIPELINE_RUN", description = "Pipeline run ids.")
  List<String> ids;

  @Option(
      names = "--wait",
      defaultValue = "true",
      negatable = true,
      description = "Wait until everything is gone. Default: ${DEFAULT-VALUE}.")
  boolean await;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  PipelineDelete(Context ctx) {
    this.ctx = ctx;
  }

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

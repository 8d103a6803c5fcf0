package dev.mlscale.cli;

import dev.mlscale.pipeline.PipelineView;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    description = {
      "Show a pipeline run: its graph with each task's state, and a table of its tasks.",
      "With --target k8s it reads the Argo Workflow, so it works from any machine;"
          + " --watch follows it until it ends."
    })
final class PipelineStatus extends CliCommand {
  @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
  String id;

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @Option(
      names = {"-w", "--watch"},
      description = "Print each task's changes until the pipeline ends, then the status.")
  boolean watch;

  @Option(
      names = "--picture",
      paramLabel = "FILE.svg",
      description = "Also draw the graph with each task's state as SVG.")
  Path picture;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    PipelineView v;
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      v = runs.get(id);
      if (watch && !v.done()) {
        v =
            runs.watch(
                v.id(),
                t ->
                    ctx.err()
                        .println(
                            PipelineCommand.mark(t.phase(), ctx.style())
                                + " "
                                + t.name()
                                + " "
                                + t.phase()
                                + (t.message().isEmpty() || t.phase().equals("Running")
                                    ? ""
                                    : ": " + t.message())));
      }
    }
    if (picture != null) {
      PipelineCommand.writePicture(ctx, picture, dev.mlscale.pipeline.GraphPicture.svg(v));
    }
    if (!output.print(ctx.out(), v)) {
      PipelineCommand.describe(ctx, v, ctx.out());
    }
    return 0;
  }
}

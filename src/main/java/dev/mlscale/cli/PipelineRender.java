package dev.mlscale.cli;

import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "render",
    description = "Print the Argo Workflow (and its ConfigMaps) a pipeline compiles to.")
final class PipelineRender extends CliCommand {
  @Parameters(paramLabel = "PIPELINE", description = "The pipeline spec (YAML).")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a field.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--run-id", description = "Use this id instead of a new random one.")
  String runId;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "yaml",
      description = "yaml or json.")
  OutputFormat output;

  @Option(
      names = "--server-dry-run",
      description =
          "Ask the API server (with Argo's CRDs) to validate the objects; nothing is created.")
  boolean serverDryRun;

  @Option(
      names = "--picture",
      paramLabel = "FILE.svg",
      description = "Also draw the pipeline's graph as SVG.")
  Path picture;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    String ns = cluster.renderNamespace(List.of());
    var compiled =
        ArgoCompiler.compileFile(
            file, overrides, runId, ns, dev.mlscale.plan.PipSources.fromUser(ctx.env()));
    FieldSupport.print(
        ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.ARGO, ns));
    if (picture != null) {
      PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
      PipelineCommand.writePicture(
          ctx,
          picture,
          dev.mlscale.pipeline.GraphPicture.svg(
              spec.name(), Dag.of(file.toString(), spec), Map.of()));
    }
    RenderCommand.print(ctx, cluster, ns, serverDryRun, output, compiled.objects());
    return 0;
  }
}

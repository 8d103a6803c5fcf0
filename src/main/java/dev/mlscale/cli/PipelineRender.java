package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.render.Manifests;
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
    String ns = cluster.namespace == null ? "default" : cluster.namespace;
    var compiled =
        ArgoCompiler.compileFile(
            file, overrides, runId, ns, dev.mlscale.plan.PipSources.fromUser(ctx.env()));
    FieldSupport.print(
        ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.ARGO, ns));
    if (picture != null) {
      PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
      PipelineCommand.writePicture(
          picture,
          dev.mlscale.pipeline.GraphPicture.svg(
              spec.name(), Dag.of(file.toString(), spec), Map.of()));
      ctx.err().println("wrote " + picture);
    }
    ctx.out()
        .print(
            output == OutputFormat.JSON
                ? Manifests.json(compiled.objects()) + "\n"
                : Manifests.yaml(compiled.objects()));
    if (serverDryRun) {
      var connection = ClusterConnection.open(ctx.env(), cluster.kubeconfig, cluster.context, ns);
      try (var backend = new KubernetesBackend(connection, null, ctx.clock())) {
        backend.serverDryRun(compiled.objects());
      }
      ctx.err()
          .println(
              "the API server of context "
                  + connection.context()
                  + " accepts all "
                  + compiled.objects().size()
                  + " objects (server-side dry run)");
    }
    return 0;
  }
}

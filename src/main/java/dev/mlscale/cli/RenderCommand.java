package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.Submission;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.JobRenderer;
import dev.mlscale.render.Manifests;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "render",
    description = {
      "Print the Kubernetes objects a job spec becomes, without touching a cluster:",
      "a ConfigMap with the code, params and helper, and a batch/v1 Job. For review and GitOps."
    })
final class RenderCommand extends CliCommand {
  @Parameters(paramLabel = "SPEC", description = "The job spec (YAML).")
  Path spec;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a spec field.")
  List<String> overrides = new ArrayList<>();

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(
      names = "--server-dry-run",
      description =
          "Also ask the API server of the context to validate the objects (nothing is"
              + " created).")
  boolean serverDryRun;

  @Option(
      names = "--param-grid",
      paramLabel = "NAME=V1,V2",
      description = "Render one Indexed Job over every combination of these values.")
  List<String> paramGrid = new ArrayList<>();

  @Option(names = "--run-id", description = "Use this run id instead of a new random one.")
  String runId;

  @picocli.CommandLine.Mixin ManifestOutput manifests = new ManifestOutput();

  @Override
  public Integer call() {
    JobSpec job = new SpecLoader().loadJob(spec, overrides);
    FieldSupport.print(
        ctx.err(), FieldSupport.checkJob(spec, overrides, FieldSupport.Target.KUBERNETES, null));
    if (!paramGrid.isEmpty()) {
      job = job.withRows(Planner.grid(paramGrid));
    }
    Submission submission =
        Planner.submission(runId == null ? Planner.newRunId(job.name()) : runId, job, spec);
    String ns = cluster.renderNamespace(List.of(job));
    var rendered =
        JobRenderer.render(
            RenderInput.of(
                    submission,
                    ns,
                    CodeArchive.of(submission.runs().get(0).workdir()),
                    PythonHelper.source())
                .withPip(dev.mlscale.plan.PipSources.fromUser(ctx.env())));
    print(ctx, cluster, ns, serverDryRun, manifests.output, rendered.objects());
    return 0;
  }

  /**
   * Prints rendered objects as YAML or JSON; with {@code serverDryRun}, first has the API server of
   * the context validate them (nothing is created).
   */
  static void print(
      Context ctx,
      ClusterOptions cluster,
      String ns,
      boolean serverDryRun,
      OutputFormat output,
      List<io.fabric8.kubernetes.api.model.HasMetadata> objects) {
    if (serverDryRun) {
      var connection = ClusterConnection.open(ctx.env(), cluster.kubeconfig, cluster.context, ns);
      try (var backend = new KubernetesBackend(connection, null, ctx.clock())) {
        backend.serverDryRun(objects);
      }
      ctx.err()
          .println(
              "the API server of context "
                  + connection.context()
                  + " accepts all "
                  + objects.size()
                  + " objects (server-side dry run)");
    }
    ctx.out()
        .print(
            output == OutputFormat.JSON ? Manifests.json(objects) + "\n" : Manifests.yaml(objects));
  }
}

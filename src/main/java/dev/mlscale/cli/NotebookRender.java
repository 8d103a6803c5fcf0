package dev.mlscale.cli;

import dev.mlscale.notebook.ClusterNotebooks;
import dev.mlscale.notebook.Jupyter;
import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.plan.PipSources;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "render",
    description = {
      "Print the Kubernetes objects a notebook becomes, without touching a cluster: its",
      "workspace claim, the Secret with a new token, the files ConfigMap and the pod."
    })
final class NotebookRender extends CliCommand {
  @Mixin NotebookOptions options = new NotebookOptions();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(
      names = "--server-dry-run",
      description = "Also ask the API server of the context to validate the objects.")
  boolean serverDryRun;

  @Mixin ManifestOutput manifests = new ManifestOutput();

  @Override
  public Integer call() {
    JobSpec job = options.job(ctx, FieldSupport.Target.KUBERNETES);
    NotebookRequest request = options.request(ctx, job, 0);
    String ns = cluster.renderNamespace(List.of(job));
    var rendered =
        ClusterNotebooks.render(request, Jupyter.newToken(), ns, PipSources.fromUser(ctx.env()));
    RenderCommand.print(ctx, cluster, ns, serverDryRun, manifests.output, rendered.objects());
    return 0;
  }
}

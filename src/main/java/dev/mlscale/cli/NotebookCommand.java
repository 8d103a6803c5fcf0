package dev.mlscale.cli;

import dev.mlscale.notebook.ClusterNotebooks;
import dev.mlscale.notebook.LocalNotebooks;
import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.notebook.Notebooks;
import dev.mlscale.spec.JobSpec;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "notebook",
    description = {
      "Start a JupyterLab with a job's environment, params, code, model store and a workspace:",
      "on this machine, or as a pod on the cluster (--target k8s) reached through a port-forward.",
      "Prints the URL (with its token); Ctrl-C stops it here, or disconnects from the cluster's."
    },
    subcommands = {
      NotebookLs.class,
      NotebookStop.class,
      NotebookDelete.class,
      NotebookRender.class
    })
final class NotebookCommand extends CliCommand {
  @Mixin NotebookOptions options = new NotebookOptions();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--port", description = "The local port. Default: a free one.")
  int port;

  @Option(names = "--no-browser", description = "Do not open a browser.")
  boolean noBrowser;

  /** The notebooks of the target, picked once. */
  static Notebooks open(Context ctx, ClusterOptions cluster, String user, List<JobSpec> jobs) {
    return cluster.onCluster()
        ? new ClusterNotebooks(cluster.connect(ctx, jobs), user)
        : new LocalNotebooks(ctx.home(), ctx.env(), ctx.clock());
  }

  @Override
  public Integer call() throws InterruptedException {
    JobSpec job = options.job(ctx, cluster.target());
    NotebookRequest request = options.request(ctx, job, port);
    try (Notebooks notebooks = open(ctx, cluster, request.user(), List.of(job));
        Notebooks.Session session =
            notebooks.start(request, line -> ctx.err().println("● " + line));
        Interrupts ignored = Interrupts.cancelling(ctx.err(), why -> session.close())) {
      ctx.out().println("✔ notebook " + request.name() + " is ready: " + session.url());
      if (!noBrowser) {
        Browser.open(ctx, session.url());
      }
      ctx.err().println("  " + session.awaitEnd());
    }
    return 0;
  }
}

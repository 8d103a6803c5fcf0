package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.ArgoPipelines;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "retry",
    mixinStandardHelpOptions = true,
    description = {
      "Run a Failed or Cancelled pipeline run again, under the same id: the tasks that succeeded"
          + " and the workspace are kept; the failed, cancelled, skipped and unfinished tasks run"
          + " again (as their next try, with new run ids), then the exit task.",
      "With --target k8s it retries the Argo Workflow as 'argo retry' does: the failed nodes are"
          + " reset, their pods deleted, and the Workflow runs again."
    })
final class PipelineRetry implements Callable<Integer> {
  private final Context ctx;

  @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id or a prefix.")
  String id;

  @Mixin PipelineOutput shown = new PipelineOutput();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  PipelineRetry(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws InterruptedException {
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var retried = new ArgoPipelines(connection.get()).retry(id);
        ctx.out()
            .println(
                "retrying "
                    + id
                    + ": "
                    + retried.nodes()
                    + " node(s) reset, "
                    + retried.pods().size()
                    + " pod(s) deleted; 'mlscale pipeline status "
                    + id
                    + " --target k8s -n "
                    + connection.get().namespace()
                    + " -w' follows it");
      }
      return 0;
    }
    var record = ctx.pipelines().get(id);
    var interrupted = PipelineOwners.interrupted(ctx, record);
    if (interrupted.isPresent()) {
      throw new UserError(
          "pipeline run "
              + record.id()
              + " did not end: "
              + interrupted.get()
              + ", retry does not");
    }
    if (!record.state().equals("Failed") && !record.state().equals("Cancelled")) {
      throw new UserError(
          "pipeline run "
              + record.id()
              + " is "
              + record.state()
              + "; retry runs a Failed or Cancelled run again"
              + (record.state().equals("Running")
                  ? " ('mlscale pipeline cancel " + record.id() + "' stops this one)"
                  : ""));
    }
    try (var owner = PipelineOwners.own(ctx, record.id())) {
      var stored = PipelineConsole.Stored.of(ctx, record);
      long again =
          ctx.pipelines().tasks(record.id()).stream()
              .filter(t -> !t.state().equals("Succeeded"))
              .count();
      ctx.err()
          .println(
              ctx.style().bold("▶ retrying pipeline " + record.id())
                  + "  "
                  + again
                  + " task(s) again, the succeeded ones kept, workspace "
                  + stored.workspace());
      return PipelineConsole.run(
          ctx,
          record.id(),
          stored.spec(),
          stored.dag(),
          shown,
          (runner, listener, output) ->
              runner.retry(
                  record.id(), stored.spec(), stored.file(), stored.workspace(), listener, output));
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = "Stop runs: their whole process group gets SIGTERM, then SIGKILL.")
final class CancelCommand implements Callable<Integer> {
  private final Context ctx;

  @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run ids or prefixes.")
  List<String> runs;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  CancelCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var clusterRuns = new dev.mlscale.backend.kubernetes.ClusterRuns(connection.get());
        for (String id : runs) {
          clusterRuns.cancel(id);
          ctx.out()
              .println(
                  "cancelled "
                      + id
                      + " (Job suspended, its pods are stopped; 'mlscale"
                      + " delete' removes it)");
        }
      }
      return 0;
    }
    RunStore store = ctx.runs();
    for (String id : runs) {
      RunRecord r = store.get(id);
      if (r.state().isFinal()) {
        ctx.out().println(r.id() + " has already ended (" + r.state().display() + ")");
        continue;
      }
      store.requestCancel(r.id());
      boolean ownerAlive = !RunViews.isLost(r);
      if (r.pid() != null) {
        ProcessGroup.signalGroup(r.pid(), "TERM");
      }
      if (!ownerAlive || r.pid() == null) {
        // nobody will observe a process end: record the cancellation here
        store.finish(
            r.id(),
            RunState.CANCELLED,
            "Cancelled",
            "cancelled by the user",
            null,
            ctx.clock().instant());
      }
      ctx.out().println("cancelled " + r.id());
    }
    return 0;
  }
}

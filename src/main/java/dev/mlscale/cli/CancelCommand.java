package dev.mlscale.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description =
        "Stop runs: locally their whole process group gets SIGTERM, then SIGKILL; on the cluster"
            + " their Job is suspended.")
final class CancelCommand implements Callable<Integer> {
  private final Context ctx;

  @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run ids or prefixes.")
  List<String> runs;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  CancelCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    try (Runs service = Runs.open(ctx, cluster)) {
      for (String id : runs) {
        ctx.out().println(service.cancel(id));
      }
    }
    return 0;
  }
}

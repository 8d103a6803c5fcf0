package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    description =
        "Stop runs: locally their whole process group gets SIGTERM, then SIGKILL; on the cluster"
            + " their Job is suspended.")
final class CancelCommand extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run ids or prefixes.")
  List<String> runs;

  @Mixin ClusterOptions cluster = new ClusterOptions();

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

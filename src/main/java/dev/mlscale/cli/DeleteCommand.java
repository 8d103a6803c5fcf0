package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    description =
        "Delete runs from the cluster: the Job, its pods and its ConfigMap (--target k8s).")
final class DeleteCommand extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run ids.")
  List<String> runs;

  @Option(
      names = "--wait",
      defaultValue = "true",
      negatable = true,
      description = "Wait until everything is gone. Default: ${DEFAULT-VALUE}.")
  boolean await;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    try (Runs service = Runs.open(ctx, cluster)) {
      for (String id : runs) {
        service.delete(id, await);
        ctx.out().println("deleted " + id);
      }
    }
    return 0;
  }
}

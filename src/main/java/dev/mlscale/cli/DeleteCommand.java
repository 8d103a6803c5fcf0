package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    description =
        "Delete runs from the cluster: the Job, its pods and its ConfigMap (--target k8s).")
final class DeleteCommand extends CliCommand {
  @Parameters(arity = "1..*", paramLabel = "RUN", description = "Run ids.")
  List<String> runs;

  @Mixin DeleteOption deletion = new DeleteOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (Runs service = Runs.open(ctx, cluster)) {
      deletion.deleteAll(ctx, runs, service::delete);
    }
    return 0;
  }
}

package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ls", aliases = "list", description = "List runs, newest first.")
final class LsCommand extends CliCommand {
  @Option(
      names = "--limit",
      defaultValue = "50",
      description = "Show at most this many runs. Default: ${DEFAULT-VALUE}.")
  int limit;

  @Mixin OutputOption output = new OutputOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    try (Runs runs = Runs.open(ctx, cluster)) {
      List<Runs.RunView> views = runs.list(limit);
      if (!output.print(ctx.out(), views)) {
        RunTables.list(ctx.out(), views, ctx.clock().instant());
      }
    }
    return 0;
  }
}

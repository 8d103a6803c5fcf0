package dev.mlscale.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "ls",
    aliases = "list",
    mixinStandardHelpOptions = true,
    description = "List runs, newest first.")
final class LsCommand implements Callable<Integer> {
  private final Context ctx;

  @Option(
      names = "--limit",
      defaultValue = "50",
      description = "Show at most this many runs. Default: ${DEFAULT-VALUE}.")
  int limit;

  @Mixin OutputOption output = new OutputOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  LsCommand(Context ctx) {
    this.ctx = ctx;
  }

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

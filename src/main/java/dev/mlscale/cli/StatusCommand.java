package dev.mlscale.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    aliases = "describe",
    mixinStandardHelpOptions = true,
    description = "Show one run: its state and why, every attempt, its metrics and model.")
final class StatusCommand implements Callable<Integer> {
  private final Context ctx;

  @Parameters(paramLabel = "RUN", description = "A run id or an unambiguous prefix of it.")
  String run;

  @Mixin OutputOption output = new OutputOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  StatusCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    try (Runs runs = Runs.open(ctx, cluster)) {
      Runs.RunDetail detail = runs.get(run);
      if (!output.print(ctx.out(), detail)) {
        RunTables.describe(ctx.out(), detail, ctx.clock().instant());
      }
    }
    return 0;
  }
}

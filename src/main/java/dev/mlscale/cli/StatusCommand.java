package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "status",
    aliases = "describe",
    description = "Show one run: its state and why, every attempt, its metrics and model.")
final class StatusCommand extends CliCommand {
  @Parameters(paramLabel = "RUN", description = "A run id or an unambiguous prefix of it.")
  String run;

  @Mixin OutputOption output = new OutputOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    try (Runs runs = Runs.open(ctx, cluster)) {
      Runs.RunDetail detail = runs.get(run);
      if (!output.print(ctx.out(), detail)) {
        RunTables.describe(ctx.out(), detail, ctx.clock());
      }
    }
    return 0;
  }
}

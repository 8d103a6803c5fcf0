package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "ls", description = "List sweeps.")
final class SweepLs extends CliCommand {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @Override
  public Integer call() {
    List<SweepRuns.SweepView> views;
    try (SweepRuns sweeps = SweepRuns.open(ctx, cluster)) {
      views = sweeps.list();
    }
    if (output.print(ctx.out(), views)) {
      return 0;
    }
    Table t = new Table("SWEEP", "NAME", "STATE", "TRIALS", "CREATED", "MESSAGE");
    for (SweepRuns.SweepView v : views) {
      t.row(
          v.sweep(),
          v.name() == null ? "-" : v.name(),
          v.state(),
          v.trials() == null ? "-" : v.trials(),
          v.createdAt() == null ? "-" : Format.ago(v.createdAt(), ctx.clock().instant()),
          v.message());
    }
    t.print(ctx.out(), "");
    return 0;
  }
}

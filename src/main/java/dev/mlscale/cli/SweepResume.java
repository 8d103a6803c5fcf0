package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "resume",
    description = {
      "Continue a sweep whose process stopped (crash, kill -9, Ctrl-C).",
      "With --target k8s, from any machine with the kubeconfig: the sweep lives in the cluster."
    })
final class SweepResume extends CliCommand {
  @Parameters(paramLabel = "SWEEP_ID", description = "The sweep's id or a prefix.")
  String id;

  @Mixin SweepCommand.Verbose verbose = new SweepCommand.Verbose();

  @Mixin SweepQueue queue = new SweepQueue();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws Exception {
    try (SweepRuns sweeps = SweepRuns.open(ctx, cluster);
        SweepRuns.Resumable r = sweeps.resume(id)) {
      ctx.err().println(ctx.style().bold("▶ resuming sweep " + r.id()) + "  " + r.banner());
      var result =
          sweeps.run(
              new SweepRuns.Start(
                  r.id(),
                  r.spec(),
                  r.sweepFile(),
                  r.jobFile(),
                  new SweepPrinter(ctx, r.spec(), verbose.on),
                  false,
                  queue.queue == null ? r.jobOverrides() : queue.jobOverrides()));
      return SweepCommand.report(ctx, r.id(), r.spec(), result);
    }
  }
}

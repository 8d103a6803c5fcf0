package dev.mlscale.cli;

import dev.mlscale.report.SweepReport;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "show",
    description = "Print a sweep's trials sorted by the objective; write plots with --plots.")
final class SweepShow extends CliCommand {
  @Parameters(paramLabel = "SWEEP_ID", description = "The sweep's id or a prefix.")
  String id;

  @Option(
      names = "--plots",
      paramLabel = "DIR",
      description = "Write objective.png, param-*.png and index.html here.")
  Path plots;

  @Option(
      names = "--log-objective",
      description = "With --plots: the objective on a logarithmic axis (values above 0).")
  boolean logObjective;

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws java.io.IOException {
    SweepRuns.SweepDetail d;
    try (SweepRuns sweeps = SweepRuns.open(ctx, cluster)) {
      d = sweeps.show(id);
    }
    Map<String, Object> view = new LinkedHashMap<>();
    view.put("sweep", d.id());
    view.put("state", d.state());
    view.put("message", d.message());
    view.put("trials", d.trials().stream().map(t -> t.inOrder(d.spec().space().keySet())).toList());
    if (output.print(ctx.out(), view)) {
      return 0;
    }
    ctx.out()
        .println(
            "Sweep:   "
                + d.id()
                + "  ("
                + d.state()
                + (d.message() == null ? "" : ": " + d.message())
                + ")");
    ctx.out()
        .println(
            "Search:  "
                + d.spec().algorithmText()
                + ", seed "
                + d.spec().seed()
                + ", "
                + d.spec().objective().goal().name().toLowerCase()
                + " "
                + d.spec().objective().metric());
    SweepPrinter.table(ctx, d.spec(), d.trials());
    if (plots != null) {
      for (Path p : SweepReport.write(plots, d.id(), d.spec(), d.trials(), logObjective)) {
        ctx.err().println("wrote " + p);
      }
    }
    return 0;
  }
}

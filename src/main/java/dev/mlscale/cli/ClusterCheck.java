package dev.mlscale.cli;

import dev.mlscale.cluster.Check;
import dev.mlscale.cluster.CheckOptions;
import dev.mlscale.cluster.CheckReport;
import dev.mlscale.cluster.CheckStatus;
import dev.mlscale.cluster.ClusterChecker;
import dev.mlscale.cluster.NodePool;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "check",
    description = {
      "Say whether mlscale can run on the cluster of the context, in the namespace: each line OK,",
      "missing or wrong, with the command that fixes it. Exit 0 when mlscale can run, 1 if not."
    })
final class ClusterCheck extends CliCommand {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec command;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Mixin OutputOption output = new OutputOption();

  @Mixin ClaimOptions storage = new ClaimOptions();

  @Option(
      names = "--argo-timeout",
      defaultValue = "20",
      paramLabel = "SECONDS",
      description =
          "How long Argo's controller may take to pick up the probe. Default: ${DEFAULT-VALUE}.")
  int argoTimeout;

  @Option(
      names = "--queue",
      description = "Specs use a Kueue queue (kubernetes.queue): Kueue becomes required.")
  boolean queue;

  @Override
  public Integer call() {
    ClusterCommand.refuseTarget(command);
    CheckReport report;
    try (var connection = new AutoClose(cluster.connect(ctx))) {
      var options =
          new CheckOptions(
              storage.storageClass,
              storage.claim,
              Duration.ofSeconds(Math.max(1, argoTimeout)),
              queue);
      report = new ClusterChecker(connection.get(), options).check();
    }
    if (!output.print(ctx.out(), report)) {
      print(ctx.out(), ctx.style(), report);
    }
    return report.ok() ? 0 : 1;
  }

  static void print(PrintStream out, Style style, CheckReport r) {
    out.println(
        style.bold("Cluster check")
            + " of context "
            + r.context()
            + ", namespace "
            + r.namespace()
            + " ("
            + r.server()
            + (r.user().isEmpty() ? "" : ", as " + r.user())
            + ")");
    out.println();
    List<Check> checks = r.checks();
    int area = width(checks.stream().map(Check::area).toList(), "AREA");
    int item = width(checks.stream().map(Check::item).toList(), "ITEM");
    out.println(
        style.dim(pad("  STATUS", 14) + pad("AREA", area + 2) + pad("ITEM", item + 2) + "DETAIL"));
    for (Check c : checks) {
      out.println(
          "  " + status(style, c) + pad(c.area(), area + 2) + pad(c.item(), item + 2) + c.detail());
      if (!c.fix().isEmpty()) {
        out.println(" ".repeat(14 + area + 2) + style.dim("fix: ") + c.fix());
      }
    }
    if (!r.pools().isEmpty()) {
      out.println();
      out.println(style.bold("Node pools") + " (label role; allocatable on Ready nodes)");
      Table t = new Table("POOL", "NODES", "READY", "CPU", "MEMORY", "GPUS", "GPU PRODUCT");
      for (NodePool p : r.pools()) {
        t.row(p.role(), p.nodes(), p.ready(), p.cpu(), p.memory(), p.gpus(), p.gpuProduct());
      }
      t.print(out, "  ");
    }
    out.println();
    long blocking = checks.stream().filter(Check::blocks).count();
    long optional =
        checks.stream().filter(c -> !c.required() && c.status() != CheckStatus.OK).count();
    if (r.ok()) {
      out.println(
          style.green("✔ mlscale can run here")
              + (optional == 0 ? "" : style.dim(" (" + optional + " optional line(s) not OK)")));
    } else {
      out.println(
          style.red("✘ mlscale cannot run here: ")
              + blocking
              + " required line(s) to fix; run each 'fix:' above, then check again");
    }
  }

  private static String status(Style style, Check c) {
    String word =
        switch (c.status()) {
          case OK -> "✔ ok";
          case MISSING -> "✘ missing";
          case WRONG -> "✘ wrong";
          case UNKNOWN -> "? unknown";
        };
    if (!c.required() && c.status() != CheckStatus.OK) {
      word = "○ " + word.substring(2);
    }
    String padded = pad(word, 12);
    if (c.status() == CheckStatus.OK) {
      return style.green(padded);
    }
    return c.required() ? style.red(padded) : style.yellow(padded);
  }

  private static int width(List<String> cells, String header) {
    return Math.max(header.length(), cells.stream().mapToInt(String::length).max().orElse(0));
  }

  private static String pad(String s, int w) {
    return s.length() >= w ? s + " " : s + " ".repeat(w - s.length());
  }
}

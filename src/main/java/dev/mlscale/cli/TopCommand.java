package dev.mlscale.cli;

import dev.mlscale.top.Usage;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "top",
    description = {
      "CPU and memory each running run (and row, task) uses now, against its requests and limits:",
      "on this machine from its process group (/proc), on the cluster from the metrics API."
    })
final class TopCommand extends CliCommand {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Mixin OutputOption output = new OutputOption();

  @Override
  public Integer call() throws InterruptedException {
    List<Usage> rows = cluster.usage(ctx);
    if (output.print(ctx.out(), rows)) {
      return 0;
    }
    if (rows.isEmpty()) {
      ctx.out().println("No run is running" + cluster.where() + ".");
      return 0;
    }
    Table t =
        new Table(
            "RUN",
            "ROW",
            "POD/PID",
            "NODE",
            "CPU",
            "CPU REQ/LIM",
            "MEMORY",
            "MEM REQ/LIM",
            "OF LIMIT");
    for (Usage u : rows) {
      t.row(
          u.run(),
          u.row(),
          u.where(),
          u.node(),
          u.cpu() == null ? "-" : u.cpu() + "m",
          milli(u.cpuRequest()) + "/" + milli(u.cpuLimit()),
          bytes(u.memory()),
          bytes(u.memoryRequest()) + "/" + bytes(u.memoryLimit()),
          u.memory() == null || u.memoryLimit() == null
              ? "-"
              : Math.round(100.0 * u.memory() / u.memoryLimit()) + "%");
    }
    t.print(ctx.out(), "");
    return 0;
  }

  private static String milli(Long m) {
    return m == null ? "-" : m % 1000 == 0 ? Long.toString(m / 1000) : m + "m";
  }

  private static String bytes(Long b) {
    if (b == null) {
      return "-";
    }
    if (b >= 1L << 30) {
      return String.format("%.1fGi", b / (double) (1L << 30));
    }
    return Math.round(b / (double) (1L << 20)) + "Mi";
  }
}

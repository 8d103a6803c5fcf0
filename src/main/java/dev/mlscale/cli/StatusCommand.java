package dev.mlscale.cli;

import dev.mlscale.metrics.Metric;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.store.AttemptRecord;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunStore;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  StatusCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var job = new dev.mlscale.backend.kubernetes.ClusterRuns(connection.get()).get(run);
        if (!output.print(ctx.out(), job)) {
          ClusterViews.describe(ctx.out(), job, ctx.clock().instant());
        }
      }
      return 0;
    }
    RunStore store = ctx.runs();
    RunRecord r = store.get(run);
    List<AttemptRecord> attempts = store.attempts(r.id());
    List<Metric> history = store.metrics(r.id());
    Map<String, Double> last = store.finalMetrics(r.id());
    if (!output.isTable()) {
      Map<String, Object> v = LsCommand.view(r, store);
      v.put("attempts", attempts);
      v.put("metricHistory", history);
      output.print(ctx.out(), v);
      return 0;
    }
    PrintStream out = ctx.out();
    Instant now = ctx.clock().instant();
    field(out, "Run", r.id());
    field(out, "Name", r.name());
    field(out, "Target", r.target());
    field(out, "Spec", r.specFile());
    String state = RunViews.state(r);
    field(out, "State", r.reason() == null ? state : state + " (" + r.reason() + ")");
    if (RunViews.isLost(r)) {
      field(out, "Message", RunViews.message(r));
    } else if (r.message() != null) {
      field(out, "Message", r.message());
    }
    field(out, "Created", Format.time(r.createdAt()));
    field(out, "Duration", r.duration(now).map(Format::duration).orElse("-"));
    if (!r.params().isEmpty()) {
      field(out, "Params", Format.params(r.params()));
    }
    if (r.model() != null) {
      field(out, "Model", r.model());
    }
    field(out, "Run dir", r.runDir());
    if (!attempts.isEmpty()) {
      out.println("Attempts:");
      Table t =
          new Table("#", "STATE", "REASON", "EXIT", "PEAK MEMORY", "LIMIT", "DURATION", "MESSAGE");
      for (AttemptRecord a : attempts) {
        t.row(
            a.number(),
            a.state().display(),
            a.reason(),
            a.exitCode(),
            a.peakMemory() == null ? null : MemorySize.human(a.peakMemory()),
            a.memoryLimit() == null ? null : new MemorySize(a.memoryLimit()).toQuantity(),
            a.startedAt() == null
                ? null
                : Format.duration(
                    Duration.between(a.startedAt(), a.endedAt() == null ? now : a.endedAt())),
            a.message());
      }
      t.print(out, "  ");
    }
    if (!last.isEmpty()) {
      out.println("Metrics:");
      Table t = new Table("NAME", "LAST", "MIN", "MAX", "STEPS", "HISTORY");
      for (String name : last.keySet()) {
        List<Double> series = new ArrayList<>();
        for (Metric m : history) {
          if (m.name().equals(name)) {
            series.add(m.value());
          }
        }
        t.row(
            name,
            Format.number(last.get(name)),
            Format.number(series.stream().mapToDouble(Double::doubleValue).min().orElse(0)),
            Format.number(series.stream().mapToDouble(Double::doubleValue).max().orElse(0)),
            series.size(),
            Format.sparkline(series, 30));
      }
      t.print(out, "  ");
    }
    return 0;
  }

  private static void field(PrintStream out, String name, String value) {
    out.printf("%-10s %s%n", name + ":", value);
  }
}

package dev.mlscale.cli;

import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunStore;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
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

  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  LsCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var jobs = new dev.mlscale.backend.kubernetes.ClusterRuns(connection.get()).list();
        if (!output.print(ctx.out(), jobs)) {
          ClusterViews.table(ctx.out(), jobs, ctx.clock().instant());
        }
      }
      return 0;
    }
    RunStore store = ctx.runs();
    List<RunRecord> runs = store.list(limit);
    if (output.print(ctx.out(), runs.stream().map(r -> view(r, store)).toList())) {
      return 0;
    }
    if (runs.isEmpty()) {
      ctx.out().println("No runs yet. Start one with: mlscale run examples/digits/job.yaml");
      return 0;
    }
    Instant now = ctx.clock().instant();
    Table t =
        new Table(
            "RUN",
            "NAME",
            "TARGET",
            "STATE",
            "REASON",
            "ATTEMPTS",
            "CREATED",
            "DURATION",
            "METRICS");
    for (RunRecord r : runs) {
      t.row(
          r.id(),
          r.name(),
          r.target(),
          RunViews.state(r),
          RunViews.isLost(r) ? "-" : r.reason(),
          r.attempts(),
          Format.ago(r.createdAt(), now),
          r.duration(now).map(Format::duration).orElse("-"),
          Format.metrics(store.finalMetrics(r.id()), 3));
    }
    t.print(ctx.out(), "");
    return 0;
  }

  static Map<String, Object> view(RunRecord r, RunStore store) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run", r.id());
    m.put("name", r.name());
    m.put("target", r.target());
    m.put("state", RunViews.state(r));
    m.put("reason", RunViews.reason(r));
    m.put("message", RunViews.message(r));
    m.put("exitCode", r.exitCode());
    m.put("attempts", r.attempts());
    m.put("createdAt", r.createdAt());
    m.put("startedAt", r.startedAt());
    m.put("endedAt", r.endedAt());
    m.put("params", r.params());
    m.put("metrics", store.finalMetrics(r.id()));
    m.put("model", r.model());
    m.put("specFile", r.specFile());
    m.put("runDir", r.runDir());
    m.put("pid", r.pid()); // the process group of the running attempt
    return m;
  }
}

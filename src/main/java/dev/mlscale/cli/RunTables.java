package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterRuns;
import dev.mlscale.metrics.Metric;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.store.AttemptRecord;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** How runs are printed by ls and status, the same for every target. */
final class RunTables {
  private RunTables() {}

  static void list(PrintStream out, List<Runs.RunView> runs, Instant now) {
    if (runs.isEmpty()) {
      out.println("No runs yet. Start one with: mlscale run examples/digits/job.yaml");
      return;
    }
    boolean rows = runs.stream().anyMatch(r -> r.rows() != null);
    List<String> headers =
        new ArrayList<>(List.of("RUN", "NAME", "TARGET", "STATE", "REASON", "ATTEMPTS"));
    if (rows) {
      headers.addAll(List.of("ROWS", "SUCCEEDED", "FAILED", "ACTIVE"));
    }
    headers.addAll(List.of("CREATED", "DURATION", "METRICS"));
    Table t = new Table(headers.toArray(String[]::new));
    for (Runs.RunView r : runs) {
      List<Object> cells =
          new ArrayList<>(
              Arrays.asList(
                  r.run(),
                  r.name(),
                  r.target(),
                  r.state(),
                  "OwnerGone".equals(r.reason()) ? null : r.reason(),
                  r.attempts()));
      if (rows) {
        cells.addAll(Arrays.asList(r.rows(), r.succeeded(), r.failed(), r.active()));
      }
      cells.add(Format.ago(r.createdAt(), now));
      cells.add(Format.duration(duration(r, now)));
      cells.add(Format.metrics(r.metrics(), 3));
      t.row(cells.toArray());
    }
    t.print(out, "");
  }

  private static Duration duration(Runs.RunView r, Instant now) {
    return r.startedAt() == null
        ? null
        : Duration.between(r.startedAt(), r.endedAt() == null ? now : r.endedAt());
  }

  static void describe(PrintStream out, Runs.RunDetail d, Instant now) {
    Runs.RunView r = d.run();
    field(out, "Run", r.run());
    field(out, "Name", r.name());
    field(out, "Target", r.target());
    if (r.namespace() != null) {
      field(out, "Namespace", r.namespace());
    }
    if (r.specFile() != null) {
      field(out, "Spec", r.specFile());
    }
    field(out, "State", r.reason() == null ? r.state() : r.state() + " (" + r.reason() + ")");
    if (r.message() != null) {
      field(out, "Message", r.message());
    }
    if (r.rows() != null && r.rows() > 1) {
      field(
          out,
          "Progress",
          r.succeeded()
              + " of "
              + r.rows()
              + " succeeded, "
              + r.failed()
              + " failed, "
              + r.active()
              + " active");
    }
    field(out, "Created", Format.time(r.createdAt()));
    field(out, "Duration", Format.duration(duration(r, now)));
    if (!r.params().isEmpty()) {
      field(out, "Params", Format.params(r.params()));
    }
    if (r.model() != null) {
      field(out, "Model", r.model());
    }
    if (r.runDir() != null) {
      field(out, "Run dir", r.runDir());
    }
    if (d.attempts() != null && !d.attempts().isEmpty()) {
      out.println("Attempts:");
      attempts(out, d.attempts(), now);
    }
    if (d.pods() != null && !d.pods().isEmpty()) {
      out.println("Pods:");
      pods(out, d.pods());
    }
    if (d.metricHistory() != null && !r.metrics().isEmpty()) {
      out.println("Metrics:");
      metrics(out, r, d.metricHistory());
    }
  }

  private static void attempts(PrintStream out, List<AttemptRecord> attempts, Instant now) {
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

  private static void pods(PrintStream out, List<ClusterRuns.PodView> pods) {
    Table t = new Table("ROW", "POD", "NODE", "PHASE", "REASON", "EXIT", "DURATION", "METRICS");
    for (ClusterRuns.PodView p : pods) {
      Duration d =
          p.started() == null || p.finished() == null
              ? null
              : Duration.between(p.started(), p.finished());
      t.row(
          p.row(),
          p.pod(),
          p.node(),
          p.phase(),
          p.reason(),
          p.exitCode(),
          Format.duration(d),
          Format.metrics(p.metrics(), 3));
    }
    t.print(out, "  ");
  }

  private static void metrics(PrintStream out, Runs.RunView r, List<Metric> history) {
    Table t = new Table("NAME", "LAST", "MIN", "MAX", "STEPS", "HISTORY");
    for (String name : r.metrics().keySet()) {
      List<Double> series = new ArrayList<>();
      for (Metric m : history) {
        if (m.name().equals(name)) {
          series.add(m.value());
        }
      }
      t.row(
          name,
          Format.number(r.metrics().get(name)),
          Format.number(series.stream().mapToDouble(Double::doubleValue).min().orElse(0)),
          Format.number(series.stream().mapToDouble(Double::doubleValue).max().orElse(0)),
          series.size(),
          Format.sparkline(series, 30));
    }
    t.print(out, "  ");
  }

  private static void field(PrintStream out, String name, String value) {
    out.printf("%-10s %s%n", name + ":", value);
  }
}

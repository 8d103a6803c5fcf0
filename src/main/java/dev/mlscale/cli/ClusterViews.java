package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterRuns;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** How runs on a cluster are printed by ls and status. */
final class ClusterViews {
  private ClusterViews() {}

  static void table(PrintStream out, List<ClusterRuns.JobView> jobs, Instant now) {
    if (jobs.isEmpty()) {
      out.println("No mlscale runs in this namespace.");
      return;
    }
    Table t =
        new Table(
            "RUN",
            "NAME",
            "STATE",
            "REASON",
            "ROWS",
            "SUCCEEDED",
            "FAILED",
            "ACTIVE",
            "AGE",
            "DURATION");
    for (ClusterRuns.JobView j : jobs) {
      t.row(
          j.run(),
          j.name(),
          j.state(),
          j.reason(),
          j.completions(),
          j.succeeded(),
          j.failed(),
          j.active(),
          Format.ago(j.created(), now),
          Format.duration(
              j.created() == null
                  ? null
                  : Duration.between(j.created(), j.finished() == null ? now : j.finished())));
    }
    t.print(out, "");
  }

  static void describe(PrintStream out, ClusterRuns.JobView j, Instant now) {
    out.printf("%-10s %s%n", "Run:", j.run());
    out.printf("%-10s %s%n", "Name:", j.name());
    out.printf("%-10s %s%n", "Namespace:", j.namespace());
    out.printf(
        "%-10s %s%n",
        "State:", j.reason() == null ? j.state() : j.state() + " (" + j.reason() + ")");
    out.printf(
        "%-10s %d of %d succeeded, %d failed, %d active%n",
        "Progress:", j.succeeded(), j.completions(), j.failed(), j.active());
    out.printf("%-10s %s%n", "Created:", Format.time(j.created()));
    if (!j.params().isEmpty()) {
      out.printf("%-10s %s%n", "Params:", j.params().get("json"));
    }
    if (j.pods().isEmpty()) {
      return;
    }
    out.println("Pods:");
    Table t = new Table("ROW", "POD", "NODE", "PHASE", "REASON", "EXIT", "DURATION", "METRICS");
    for (ClusterRuns.PodView p : j.pods()) {
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
}

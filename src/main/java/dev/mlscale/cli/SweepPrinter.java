package dev.mlscale.cli;

import dev.mlscale.metrics.Metric;
import dev.mlscale.store.RunState;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Shows a sweep's trials as they start and end (a progress bar, the best so far) and as a table.
 */
record SweepPrinter(Context ctx, SweepSpec spec, boolean verbose)
    implements SweepRunner.SweepListener {

  @Override
  public synchronized void trialStarted(Trial t) {
    ctx.err().println("● trial " + t.number() + " started: " + params(t.params()));
  }

  @Override
  public synchronized void trialEnded(Trial t, List<Trial> all, int maxTrials) {
    long ended = all.stream().filter(x -> x.state().isFinal()).count();
    Optional<Trial> best = SweepRunner.best(all, spec.objective());
    int width = 20;
    int filled = (int) Math.min(width, ended * width / Math.max(1, maxTrials));
    String mark =
        switch (t.state()) {
          case COMPLETED -> ctx.style().green("✔");
          case PRUNED -> ctx.style().yellow("✂");
          default -> ctx.style().red("✘");
        };
    ctx.err()
        .println(
            mark
                + " trial "
                + t.number()
                + " "
                + t.state().display().toLowerCase()
                + (t.objective() == null
                    ? ""
                    : " " + spec.objective().metric() + "=" + Format.number(t.objective()))
                + (t.state() == Trial.TrialState.COMPLETED ? "" : " (" + t.reason() + ")")
                + best.map(
                        b ->
                            " · best "
                                + Format.number(b.objective())
                                + " (trial "
                                + b.number()
                                + ")")
                    .orElse("")
                + " ["
                + "#".repeat(filled)
                + "-".repeat(width - filled)
                + "] "
                + ended
                + "/"
                + maxTrials);
  }

  @Override
  public void stateChanged(String runId, String name, RunState state, String message) {
    if (verbose) {
      ctx.err().println("  " + runId + " " + state.display() + ": " + message);
    }
  }

  @Override
  public void output(String runId, String name, String line) {
    if (verbose) {
      ctx.out().println("[" + runId + "] " + line);
    }
  }

  @Override
  public void metrics(String runId, String name, List<Metric> metrics) {}

  private static String params(Map<String, Object> p) {
    Map<String, Object> shown = new LinkedHashMap<>();
    p.forEach((k, v) -> shown.put(k, value(v)));
    return Format.params(shown);
  }

  static void table(Context ctx, SweepSpec spec, List<Trial> trials) {
    List<Trial> sorted = SweepRunner.ranked(trials, spec.objective());
    List<String> header =
        new ArrayList<>(List.of("TRIAL", "STATE", spec.objective().metric().toUpperCase()));
    spec.space().keySet().forEach(k -> header.add(k.toUpperCase()));
    header.add("RUN");
    header.add("NOTE");
    Table t = new Table(header.toArray(String[]::new));
    for (Trial x : sorted) {
      List<Object> row =
          new ArrayList<>(
              List.of(
                  x.number(),
                  x.state().display(),
                  x.objective() == null ? "-" : Format.number(x.objective())));
      spec.space().keySet().forEach(k -> row.add(value(x.params().get(k))));
      row.add(x.runId());
      row.add(x.reason() == null ? "" : shorten(x.reason(), 60));
      t.row(row.toArray());
    }
    t.print(ctx.out(), "");
  }

  static String value(Object v) {
    return v instanceof Double d ? Format.number(d) : String.valueOf(v);
  }

  private static String shorten(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }
}

package dev.mlscale.report;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The pictures of a sweep: the objective over trials (with the best so far) and each parameter
 * against the objective, as PNG files and one self-contained HTML page with a table.
 */
public final class SweepReport {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 420;

  private SweepReport() {}

  /** Writes objective.png, one param-NAME.png per parameter and index.html; returns the files. */
  public static List<Path> write(Path dir, String sweepId, SweepSpec spec, List<Trial> trials) {
    return write(dir, sweepId, spec, trials, false);
  }

  /**
   * As {@link #write(Path, String, SweepSpec, List)}, the objective's axis logarithmic when {@code
   * logObjective} and every value is above 0 (losses that fall by orders of magnitude).
   */
  public static List<Path> write(
      Path dir, String sweepId, SweepSpec spec, List<Trial> trials, boolean logObjective) {
    System.setProperty("java.awt.headless", "true");
    List<Path> files = new ArrayList<>();
    StringBuilder images = new StringBuilder();
    try {
      Files.createDirectories(dir);
      byte[] png = png(objectiveChart(spec, trials, logObjective));
      files.add(Files.write(dir.resolve("objective.png"), png));
      images.append(img("Objective over trials", png));
      for (Map.Entry<String, dev.mlscale.sweep.Dimension> e : spec.dimensions().entrySet()) {
        byte[] p = png(paramChart(spec, trials, e.getKey(), e.getValue()));
        String file = "param-" + e.getKey().replaceAll("[^A-Za-z0-9_.-]", "_") + ".png";
        files.add(Files.write(dir.resolve(file), p));
        images.append(img(e.getKey() + " against " + spec.objective().metric(), p));
      }
      files.add(Files.writeString(dir.resolve("index.html"), html(sweepId, spec, trials, images)));
    } catch (IOException e) {
      throw new EnvironmentError(
          "cannot write the sweep's plots to " + dir + ": " + e.getMessage());
    }
    return files;
  }

  static JFreeChart objectiveChart(SweepSpec spec, List<Trial> trials, boolean logObjective) {
    XYSeries values = new XYSeries(spec.objective().metric());
    XYSeries best = new XYSeries("best so far");
    XYSeries pruned = new XYSeries("pruned (last value)");
    Double bestSoFar = null;
    for (Trial t : trials) {
      if (t.objective() == null) {
        continue;
      }
      (t.state() == Trial.TrialState.PRUNED ? pruned : values).add(t.number(), t.objective());
      if (t.completed()
          && (bestSoFar == null || spec.objective().better(t.objective(), bestSoFar))) {
        bestSoFar = t.objective();
      }
      if (bestSoFar != null) {
        best.add(t.number(), bestSoFar);
      }
    }
    XYSeriesCollection data = new XYSeriesCollection(values);
    data.addSeries(best);
    data.addSeries(pruned);
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            spec.name()
                + ": "
                + spec.objective().metric()
                + " per trial ("
                + spec.objective().goal().name().toLowerCase()
                + ")",
            "trial",
            spec.objective().metric(),
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer();
    r.setSeriesLinesVisible(0, false);
    r.setSeriesShapesVisible(0, true);
    r.setSeriesPaint(0, new Color(31, 119, 180));
    r.setSeriesLinesVisible(1, true);
    r.setSeriesShapesVisible(1, false);
    r.setSeriesPaint(1, new Color(214, 39, 40));
    r.setSeriesStroke(1, new BasicStroke(2f));
    r.setSeriesLinesVisible(2, false);
    r.setSeriesShapesVisible(2, true);
    r.setSeriesPaint(2, new Color(150, 150, 150));
    r.setSeriesShape(2, new java.awt.geom.Rectangle2D.Double(-3, -3, 6, 6));
    style(chart, r);
    boolean positive =
        trials.stream().allMatch(t -> t.objective() == null || t.objective() > 0)
            && values.getItemCount() + pruned.getItemCount() > 0;
    if (logObjective && positive) {
      ((XYPlot) chart.getPlot()).setRangeAxis(new LogAxis(spec.objective().metric() + " (log)"));
    }
    return chart;
  }

  static JFreeChart paramChart(
      SweepSpec spec, List<Trial> trials, String name, dev.mlscale.sweep.Dimension d) {
    XYSeries series = new XYSeries(name);
    List<String> categories = new ArrayList<>();
    if (d instanceof dev.mlscale.sweep.Dimension.Choice c) {
      c.values().forEach(v -> categories.add(String.valueOf(v))); // the declared order
    }
    for (Trial t : trials) {
      Object v = t.params().get(name);
      if (t.objective() == null || v == null) {
        continue;
      }
      double x;
      if (v instanceof Number n && !(d instanceof dev.mlscale.sweep.Dimension.Choice)) {
        x = n.doubleValue();
      } else {
        String s = String.valueOf(v);
        if (!categories.contains(s)) {
          categories.add(s);
        }
        x = categories.indexOf(s);
      }
      series.add(x, t.objective());
    }
    String xLabel = name;
    JFreeChart chart =
        ChartFactory.createScatterPlot(
            name + " against " + spec.objective().metric(),
            xLabel,
            spec.objective().metric(),
            new XYSeriesCollection(series),
            PlotOrientation.VERTICAL,
            false,
            false,
            false);
    if (d instanceof dev.mlscale.sweep.Dimension.LogUniform && series.getItemCount() > 0) {
      ((XYPlot) chart.getPlot()).setDomainAxis(new LogAxis(xLabel));
    }
    if (!categories.isEmpty()) { // the values' names on the axis, not their indices
      ((XYPlot) chart.getPlot())
          .setDomainAxis(new SymbolAxis(xLabel, categories.toArray(String[]::new)));
    }
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(false, true);
    r.setSeriesPaint(0, new Color(31, 119, 180));
    style(chart, r);
    return chart;
  }

  private static void style(JFreeChart chart, XYLineAndShapeRenderer r) {
    XYPlot plot = (XYPlot) chart.getPlot();
    plot.setRenderer(r);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(220, 220, 220));
    plot.setRangeGridlinePaint(new Color(220, 220, 220));
    chart.setBackgroundPaint(Color.WHITE);
  }

  private static byte[] png(JFreeChart chart) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
    return out.toByteArray();
  }

  private static String img(String title, byte[] png) {
    return "<figure><img alt=\""
        + esc(title)
        + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png)
        + "\"><figcaption>"
        + esc(title)
        + "</figcaption></figure>\n";
  }

  private static String html(
      String sweepId, SweepSpec spec, List<Trial> trials, CharSequence images) {
    StringBuilder rows = new StringBuilder();
    List<Trial> sorted = SweepRunner.ranked(trials, spec.objective());
    for (Trial t : sorted) {
      rows.append("<tr><td>")
          .append(t.number())
          .append("</td><td>")
          .append(t.state().display())
          .append("</td><td>")
          .append(t.objective() == null ? "" : Numbers.number(t.objective()))
          .append("</td><td>")
          .append(esc(Numbers.params(t.inOrder(spec.space().keySet()).params())))
          .append("</td><td>")
          .append(esc(t.reason() == null ? "" : t.reason()))
          .append("</td></tr>\n");
    }
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>"
        + esc(sweepId)
        + "</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        + "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}figure{display:inline-block"
        + ";margin:1em}</style></head><body><h1>Sweep "
        + esc(sweepId)
        + "</h1><p>"
        + esc(
            spec.objective().goal().name().toLowerCase()
                + " "
                + spec.objective().metric()
                + " with "
                + spec.algorithmText()
                + ", seed "
                + spec.seed()
                + ", "
                + trials.size()
                + " trials")
        + "</p>"
        + images
        + "<table><tr><th>trial</th><th>state</th><th>"
        + esc(spec.objective().metric())
        + "</th><th>params</th><th>note</th></tr>\n"
        + rows
        + "</table></body></html>\n";
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}

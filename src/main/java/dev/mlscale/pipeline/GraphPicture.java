package dev.mlscale.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A picture of a pipeline's graph as SVG: tasks in columns by depth, arrows from each dependency,
 * coloured by state when one is known. Pure; deterministic.
 */
public final class GraphPicture {
  private static final int W = 150;
  private static final int H = 36;
  private static final int GAP_X = 70;
  private static final int GAP_Y = 24;

  private GraphPicture() {}

  public static String svg(String title, Dag dag, Map<String, DagExecutor.State> states) {
    List<PipelineView.Task> graph = new ArrayList<>();
    for (Dag.Node n : dag.nodes()) {
      DagExecutor.State s = states.get(n.name());
      graph.add(
          new PipelineView.Task(
              n.name(),
              n.depends(),
              s == null ? null : s.display(),
              null,
              null,
              null,
              null,
              n.task().name(),
              1));
    }
    return svg(title, graph);
  }

  /** A run's graph with its tasks' states. */
  public static String svg(PipelineView run) {
    return svg(
        run.pipeline().isEmpty() ? run.id() : run.pipeline() + " (" + run.id() + ")", run.graph());
  }

  /**
   * @param graph the tasks in an order where dependencies come first; phase may be null
   */
  public static String svg(String title, List<PipelineView.Task> graph) {
    Map<String, Integer> level = new LinkedHashMap<>();
    Map<String, Integer> row = new LinkedHashMap<>();
    List<Integer> perLevel = new ArrayList<>();
    for (PipelineView.Task n : graph) {
      int l = n.depends().stream().mapToInt(d -> level.getOrDefault(d, 0)).max().orElse(-1) + 1;
      level.put(n.name(), l);
      while (perLevel.size() <= l) {
        perLevel.add(0);
      }
      row.put(n.name(), perLevel.get(l));
      perLevel.set(l, perLevel.get(l) + 1);
    }
    int rows = perLevel.stream().mapToInt(Integer::intValue).max().orElse(1);
    int width = perLevel.size() * (W + GAP_X) + GAP_X;
    int height = rows * (H + GAP_Y) + GAP_Y + 30;
    StringBuilder sb = new StringBuilder();
    sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(width)
        .append("\" height=\"")
        .append(height)
        .append("\" font-family=\"sans-serif\"" + " font-size=\"13\">\n")
        .append(
            "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\""
                + " markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10"
                + " z\" fill=\"#555\"/></marker></defs>\n")
        .append("<text x=\"")
        .append(GAP_X)
        .append("\" y=\"20\" font-weight=\"bold\">")
        .append(esc(title))
        .append("</text>\n");
    for (PipelineView.Task n : graph) {
      for (String d : n.depends()) {
        if (!level.containsKey(d)) {
          continue;
        }
        sb.append("<line x1=\"")
            .append(x(level.get(d)) + W)
            .append("\" y1=\"")
            .append(y(row.get(d)) + H / 2)
            .append("\" x2=\"")
            .append(x(level.get(n.name())))
            .append("\" y2=\"")
            .append(y(row.get(n.name())) + H / 2)
            .append("\" stroke=\"#555\" marker-end=\"url(#arrow)\"/>\n");
      }
    }
    for (PipelineView.Task n : graph) {
      String s = n.phase();
      String fill =
          s == null
              ? "#eef2f7"
              : switch (s) {
                case "Succeeded" -> "#d4edda";
                case "Failed", "Error", "Lost" -> "#f8d7da";
                case "Running" -> "#fff3cd";
                case "Pending" -> "#eef2f7";
                default -> "#e2e3e5";
              };
      int x = x(level.get(n.name()));
      int y = y(row.get(n.name()));
      sb.append("<g class=\"task\"><rect x=\"")
          .append(x)
          .append("\" y=\"")
          .append(y)
          .append("\" width=\"")
          .append(W)
          .append("\" height=\"")
          .append(H)
          .append("\" rx=\"8\" fill=\"")
          .append(fill)
          .append("\" stroke=\"#333\"/>")
          .append("<text x=\"")
          .append(x + W / 2)
          .append("\" y=\"")
          .append(y + H / 2 + 5)
          .append("\" text-anchor=\"middle\">")
          .append(esc(n.name()))
          .append(s == null ? "" : " · " + s.toLowerCase())
          .append("</text></g>\n");
    }
    return sb.append("</svg>\n").toString();
  }

  private static int x(int level) {
    return GAP_X + level * (W + GAP_X);
  }

  private static int y(int row) {
    return 30 + GAP_Y + row * (H + GAP_Y);
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}

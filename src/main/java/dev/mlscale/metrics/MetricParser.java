package dev.mlscale.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the two documented ways a job reports metrics.
 *
 * <ul>
 *   <li>A line on stdout: {@code mlscale:metric step=3 accuracy=0.91 loss=0.2}.
 *   <li>A JSON object per line in the file {@code $MLSCALE_METRICS_FILE}: {@code {"step": 3,
 *       "accuracy": 0.91}}.
 * </ul>
 *
 * {@code step} is optional in both; in JSON, {@code time} (seconds since the epoch) is the time of
 * the report. Values that are not numbers are ignored.
 */
public final class MetricParser {
  public static final String PREFIX = "mlscale:metric";
  private static final Pattern PAIR = Pattern.compile("([A-Za-z_][A-Za-z0-9_./-]*)=(\\S+)");
  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricParser() {}

  /** The metrics on a stdout line, or an empty list when the line is not a metric line. */
  public static List<Metric> parseLine(String line, Instant at) {
    String trimmed = line.strip();
    if (!trimmed.startsWith(PREFIX)) {
      return List.of();
    }
    Long step = null;
    List<String[]> pairs = new ArrayList<>();
    Matcher m = PAIR.matcher(trimmed.substring(PREFIX.length()));
    while (m.find()) {
      if (m.group(1).equals("step")) {
        step = parseStep(m.group(2));
      } else {
        pairs.add(new String[] {m.group(1), m.group(2)});
      }
    }
    List<Metric> out = new ArrayList<>();
    for (String[] pair : pairs) {
      Double value = parseNumber(pair[1]);
      if (value != null) {
        out.add(new Metric(pair[0], value, step, at));
      }
    }
    return out;
  }

  /** The metrics in one JSON line, or an empty list when it is not a JSON object. */
  public static List<Metric> parseJson(String line, Instant at) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (Exception e) {
      return List.of();
    }
    if (node == null || !node.isObject()) {
      return List.of();
    }
    Long step =
        node.hasNonNull("step") && node.get("step").canConvertToLong()
            ? node.get("step").asLong()
            : null;
    if (node.hasNonNull("time") && node.get("time").isNumber()) {
      at = Instant.ofEpochMilli(Math.round(node.get("time").asDouble() * 1000));
    }
    List<Metric> out = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getKey().equals("step") && !e.getKey().equals("time") && e.getValue().isNumber()) {
        out.add(new Metric(e.getKey(), e.getValue().asDouble(), step, at));
      }
    }
    return out;
  }

  private static Long parseStep(String text) {
    try {
      return Long.parseLong(text);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Double parseNumber(String text) {
    try {
      double v = Double.parseDouble(text);
      return Double.isFinite(v) ? v : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.report.Numbers;
import dev.mlscale.spec.DurationValue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** How values are shown to people. */
final class Format {
  private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");
  private static final char[] SPARKS = "▁▂▃▄▅▆▇█".toCharArray();

  private Format() {}

  /** A number as a person writes it: {@link Numbers#number(double)}. */
  static String number(double v) {
    return Numbers.number(v);
  }

  static String metrics(Map<String, Double> metrics, int max) {
    return metrics.entrySet().stream()
        .limit(max)
        .map(e -> e.getKey() + "=" + number(e.getValue()))
        .collect(Collectors.joining(" "));
  }

  static String params(Map<String, Object> params) {
    return Numbers.params(params);
  }

  /** {@code t} as a wall-clock time in {@code clock}'s zone (the machine's, outside tests). */
  static String time(Instant t, Clock clock) {
    return t == null ? "-" : TIME.withZone(clock.getZone()).format(t);
  }

  static String duration(Duration d) {
    return d == null ? "-" : DurationValue.format(d);
  }

  static String ago(Instant t, Instant now) {
    if (t == null) {
      return "-";
    }
    Duration d = Duration.between(t, now);
    if (d.toSeconds() < 1) {
      return "just now";
    }
    return DurationValue.format(Duration.ofSeconds(d.toSeconds())) + " ago";
  }

  /** A one-line picture of a series, e.g. ▁▃▅▇█, at most {@code width} characters. */
  static String sparkline(List<Double> values, int width) {
    if (values.isEmpty()) {
      return "";
    }
    int n = Math.min(width, values.size());
    double min = values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double max = values.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      int from = (int) ((long) i * values.size() / n);
      double v = values.get(Math.min(values.size() - 1, from));
      int level =
          max == min ? SPARKS.length - 1 : (int) ((v - min) / (max - min) * (SPARKS.length - 1));
      sb.append(SPARKS[level]);
    }
    return sb.toString();
  }
}

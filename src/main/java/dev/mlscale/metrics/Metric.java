package dev.mlscale.metrics;

import java.time.Instant;

/** One reported value of one metric, at an optional training step. */
public record Metric(String name, double value, Long step, Instant at) {
  public Metric {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("a metric needs a name");
    }
  }
}

package dev.mlscale.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class MetricParserTest {
  private static final Instant NOW = Instant.parse("2026-11-30T00:00:00Z");

  @Test
  void readsMetricLinesWithAndWithoutStep() {
    assertThat(MetricParser.parseLine("mlscale:metric step=3 accuracy=0.91 loss=2e-1", NOW))
        .containsExactly(new Metric("accuracy", 0.91, 3L, NOW), new Metric("loss", 0.2, 3L, NOW));
    assertThat(MetricParser.parseLine("  mlscale:metric f1=0.5", NOW))
        .containsExactly(new Metric("f1", 0.5, null, NOW));
  }

  @Test
  void ignoresOtherLinesAndNonNumbers() {
    assertThat(MetricParser.parseLine("epoch 3 accuracy=0.91", NOW)).isEmpty();
    assertThat(MetricParser.parseLine("mlscale:metric name=abc nan=NaN ok=1", NOW))
        .containsExactly(new Metric("ok", 1, null, NOW));
  }

  @Test
  void readsJsonLinesWithReservedStepAndTime() {
    assertThat(
            MetricParser.parseJson(
                "{\"step\": 2, \"time\": 1.5, \"acc\": 0.5, \"tag\": \"x\"}", NOW))
        .containsExactly(new Metric("acc", 0.5, 2L, Instant.ofEpochMilli(1500)));
    assertThat(MetricParser.parseJson("not json", NOW)).isEmpty();
    assertThat(MetricParser.parseJson("[1, 2]", NOW)).isEmpty();
  }
}

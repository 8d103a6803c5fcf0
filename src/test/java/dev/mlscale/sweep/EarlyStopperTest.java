package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class EarlyStopperTest {
  private static final SweepSpec.Objective ACC =
      new SweepSpec.Objective("acc", SweepSpec.Goal.MAXIMIZE);

  @Test
  void medianRuleStopsATrialBelowTheMedianOfEndedTrials() {
    EarlyStopper s = new EarlyStopper(new SweepSpec.EarlyStopping("median", 2, null), ACC);
    for (int trial = 0; trial < 3; trial++) {
      for (int step = 1; step <= 5; step++) {
        s.report(trial, step, 0.5 + 0.1 * step);
      }
      s.ended(trial);
    }
    s.report(3, 1, 0.2);
    assertThat(s.shouldStop(3, 1)).as("before min_steps").isNull();
    s.report(3, 2, 0.3);
    assertThat(s.shouldStop(3, 2)).contains("worse than the median");
    s.report(4, 1, 0.7);
    s.report(4, 2, 0.9);
    assertThat(s.shouldStop(4, 2)).isNull();
  }

  @Test
  void ashaKeepsOnlyTheTopThirdAtEachRung() {
    EarlyStopper s = new EarlyStopper(new SweepSpec.EarlyStopping("asha", 1, 3), ACC);
    s.report(0, 1, 0.9);
    assertThat(s.shouldStop(0, 1)).isNull();
    s.report(1, 1, 0.8);
    assertThat(s.shouldStop(1, 1)).isNull();
    s.report(2, 1, 0.1);
    assertThat(s.shouldStop(2, 1)).contains("not in the top 1/3 of 3 trials");
    s.report(0, 2, 0.95);
    assertThat(s.shouldStop(0, 2)).as("between rungs").isNull();
  }
}

package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The joint Parzen estimator is a proper density, and its samples stay in the space. */
class TpeDensityTest {
  static final List<TpeSampler.Axis> AXES =
      List.of(
          TpeSampler.Axis.of(new Dimension.IntRange(1, 6)),
          TpeSampler.Axis.of(new Dimension.Choice(List.of("a", "b", "c"))),
          TpeSampler.Axis.of(new Dimension.LogUniform(1e-4, 1)));

  static final double[][] POINTS = {
    {2, 0, Math.log(1e-3)}, {2, 1, Math.log(3e-3)}, {6, 2, Math.log(0.5)}, {1, 0, Math.log(2e-4)}
  };

  @Test
  void theJointDensityOverIntegersCategoriesAndALogRealSumsToOne() {
    TpeSampler.Parzen p = TpeSampler.Parzen.fit(AXES, POINTS);
    double lo = Math.log(1e-4);
    double hi = 0;
    int steps = 4000;
    double h = (hi - lo) / steps;
    double total = 0;
    for (int k = 1; k <= 6; k++) {
      for (int c = 0; c < 3; c++) {
        for (int i = 0; i < steps; i++) {
          total += Math.exp(p.logPdf(new double[] {k, c, lo + (i + 0.5) * h})) * h;
        }
      }
    }
    assertThat(total).isCloseTo(1.0, within(1e-3));
  }

  @Test
  void samplesAreWholeNumbersValidIndicesAndInsideTheLogBounds() {
    TpeSampler.Parzen p = TpeSampler.Parzen.fit(AXES, POINTS);
    SplittableRandom r = new SplittableRandom(1);
    int nearObserved = 0;
    for (int i = 0; i < 2000; i++) {
      double[] x = p.sample(r);
      assertThat(x[0]).isBetween(1.0, 6.0).isEqualTo(Math.rint(x[0]));
      assertThat(x[1]).isIn(0.0, 1.0, 2.0);
      assertThat(x[2]).isBetween(Math.log(1e-4), 0.0);
      if (x[2] < Math.log(1e-2)) {
        nearObserved++;
      }
    }
    // Three of the four observations lie below 1e-2 (half the log range): most samples follow.
    assertThat(nearObserved).isGreaterThan(1000);
  }

  @Test
  void theNormalMassIsAccurateInTheTails() {
    assertThat(TpeSampler.mass(-1, 1)).isCloseTo(0.682689492, within(1e-7));
    assertThat(TpeSampler.mass(5, 6) / 2.856649843e-7).isCloseTo(1.0, within(1e-5));
    assertThat(TpeSampler.mass(-6, -5) / 2.856649843e-7).isCloseTo(1.0, within(1e-5));
  }
}

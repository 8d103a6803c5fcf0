package dev.mlscale.sweep;

import static dev.mlscale.sweep.SamplerTest.MINIMIZE;
import static dev.mlscale.sweep.SamplerTest.best;
import static dev.mlscale.sweep.SamplerTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GpSamplerTest {
  static Map<String, Dimension> braninSpace() {
    Map<String, Dimension> space = new LinkedHashMap<>();
    space.put("x", new Dimension.Uniform(-5, 10));
    space.put("y", new Dimension.Uniform(0, 15));
    return space;
  }

  static double branin(Map<String, Object> p) {
    return TestFunctions.branin((Double) p.get("x"), (Double) p.get("y"));
  }

  @Test
  void findsABetterBraninMinimumThanRandomSearchOnAverage() {
    double gp = SamplerTest.meanBestOnBranin(SweepSpec.Algorithm.GP, 5, 30);
    double random = SamplerTest.meanBestOnBranin(SweepSpec.Algorithm.RANDOM, 5, 30);
    // the global minimum is 0.397887; random search's 30 trials are about 1.5 above it
    assertThat(gp).isLessThan(random).isLessThan(0.6);
  }

  @Test
  void aFixedSeedReproducesTheWholeSweepAndValuesStayInTheirDomain() {
    List<Trial> first =
        run(new GpSampler(SamplerTest.mixedSpace(), 5, MINIMIZE), TestFunctions::mixed, 20);
    List<Trial> again =
        run(new GpSampler(SamplerTest.mixedSpace(), 5, MINIMIZE), TestFunctions::mixed, 20);
    List<Trial> other =
        run(new GpSampler(SamplerTest.mixedSpace(), 6, MINIMIZE), TestFunctions::mixed, 20);
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    for (Trial t : first) {
      assertThat(t.params().get("opt")).isIn("sgd", "adam", "rmsprop");
      assertThat(t.params().get("layers")).isInstanceOf(Long.class);
      assertThat((Long) t.params().get("layers")).isBetween(1L, 20L);
      assertThat((Double) t.params().get("lr")).isBetween(1e-6, 1.0);
    }
    // the model's trials (after the 10 quasi-random ones) find the region of the minimum
    assertThat(best(first)).isLessThan(best(first.subList(0, 10)));
  }

  @Test
  void batchesOfFourFindABetterBraninMinimumThanRandomSearchOnAverage() {
    double gp = 0;
    for (long seed = 1; seed <= 5; seed++) {
      Sampler sampler = new GpSampler(braninSpace(), seed, MINIMIZE);
      List<Trial> history = new ArrayList<>();
      while (history.size() < 32) {
        int first = history.size();
        SamplerTest.batch(sampler, history, 4); // four suggestions, the earlier ones running
        for (int i = first; i < history.size(); i++) {
          Map<String, Object> p = history.get(i).params();
          history.set(i, new Trial(i, p, Trial.TrialState.COMPLETED, branin(p), "r" + i, null));
        }
      }
      gp += best(history) / 5;
    }
    double random = SamplerTest.meanBestOnBranin(SweepSpec.Algorithm.RANDOM, 5, 32);
    // the global minimum is 0.397887; random search's 32 trials are about 1.5 above it
    assertThat(gp).isLessThan(random).isLessThan(0.6);
  }

  @Test
  void aBatchGivesDistinctPoints() {
    Sampler gp = new GpSampler(braninSpace(), 3, MINIMIZE);
    List<Trial> history = new ArrayList<>(run(gp, GpSamplerTest::branin, 15));
    List<Map<String, Object>> batch = SamplerTest.batch(gp, history, 4);
    assertThat(batch).doesNotHaveDuplicates();
    for (int a = 0; a < batch.size(); a++) {
      for (int b = 0; b < a; b++) {
        double dx = (Double) batch.get(a).get("x") - (Double) batch.get(b).get("x");
        double dy = (Double) batch.get(a).get("y") - (Double) batch.get(b).get("y");
        assertThat(Math.hypot(dx, dy))
            .as("distance of suggestions %d and %d", a, b)
            .isGreaterThan(0.05);
      }
    }
  }

  @Test
  void aSingleParameterIsSearchedToo() {
    Map<String, Dimension> space = Map.of("lr", new Dimension.LogUniform(1e-6, 1));
    List<Trial> trials =
        run(
            new GpSampler(space, 4, MINIMIZE),
            p -> Math.pow(Math.log10((Double) p.get("lr")) + 3.3, 2),
            20);
    // the model's trials improve on the 10 quasi-random ones and land near lr = 10^-3.3
    assertThat(best(trials)).isLessThan(best(trials.subList(0, 10))).isLessThan(0.001);
  }

  @Test
  void maximisingFollowsTheGoal() {
    SweepSpec.Objective maximize = new SweepSpec.Objective("f", SweepSpec.Goal.MAXIMIZE);
    List<Trial> up = run(new GpSampler(braninSpace(), 2, maximize), p -> -branin(p), 30);
    double bestUp = up.stream().mapToDouble(Trial::objective).max().orElseThrow();
    double randomUp =
        run(new RandomSampler(braninSpace(), 2), p -> -branin(p), 30).stream()
            .mapToDouble(Trial::objective)
            .max()
            .orElseThrow();
    assertThat(bestUp).isGreaterThan(randomUp).isGreaterThan(-0.6);
  }

  @Test
  void logExpectedImprovementIsContinuousIntoTheTail() {
    double inside = GpSampler.Acquisition.logH(-24.999999);
    double outside = GpSampler.Acquisition.logH(-25.000001);
    assertThat(outside).isCloseTo(inside, org.assertj.core.api.Assertions.within(1e-3));
    assertThat(GpSampler.Acquisition.logH(-3))
        .isCloseTo(Math.log(3.8215e-4), org.assertj.core.api.Assertions.within(1e-3));
    assertThat(GpSampler.Acquisition.logH(-40)).isFinite().isLessThan(-800);
    assertThat(Math.exp(GpSampler.Acquisition.logH(0)))
        .isCloseTo(1 / Math.sqrt(2 * Math.PI), org.assertj.core.api.Assertions.within(1e-6));
  }
}

package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.SpecLoader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SamplerTest {
  private static SweepSpec spec(String yaml) {
    return new SpecLoader().parse(yaml, "sweep.yaml", SweepSpec.class, List.of());
  }

  @Test
  void gridVisitsEveryCombinationOnceInOrder() {
    SweepSpec s =
        spec(
            """
        name: g
        job: job.yaml
        objective: {metric: acc}
        algorithm: grid
        space:
          lr: {grid: [0.1, 0.01]}
          act: {choice: [relu, tanh, elu]}
        """);
    Sampler grid = Sampler.of(s);
    List<Map<String, Object>> seen = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      grid.suggest(i, List.of()).ifPresent(seen::add);
    }
    assertThat(seen).hasSize(6).doesNotHaveDuplicates();
    assertThat(seen.get(0)).containsEntry("lr", 0.1).containsEntry("act", "relu");
    assertThat(seen.get(1)).containsEntry("lr", 0.1).containsEntry("act", "tanh");
    assertThat(seen.get(5)).containsEntry("lr", 0.01).containsEntry("act", "elu");
  }

  @Test
  void randomIsReproducibleAndStaysInBounds() {
    SweepSpec s =
        spec(
            """
        name: r
        job: job.yaml
        objective: {metric: acc}
        seed: 3
        space:
          lr: {loguniform: [1.0e-5, 1.0e-1]}
          layers: {int: [1, 4]}
          drop: {uniform: [0.1, 0.5]}
        """);
    for (int i = 0; i < 200; i++) {
      Map<String, Object> p = Sampler.of(s).suggest(i, List.of()).orElseThrow();
      assertThat(p).isEqualTo(Sampler.of(s).suggest(i, List.of()).orElseThrow());
      assertThat((Double) p.get("lr")).isBetween(1e-5, 1e-1);
      assertThat((Long) p.get("layers")).isBetween(1L, 4L);
      assertThat((Double) p.get("drop")).isBetween(0.1, 0.5);
    }
  }

  static double branin(double x, double y) {
    return Math.pow(y - 5.1 / (4 * Math.PI * Math.PI) * x * x + 5 / Math.PI * x - 6, 2)
        + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x)
        + 10;
  }

  static double bestAfter(SweepSpec.Algorithm algorithm, long seed, int trials) {
    Map<String, Dimension> space = new LinkedHashMap<>();
    space.put("x", new Dimension.Uniform(-5, 10));
    space.put("y", new Dimension.Uniform(0, 15));
    SweepSpec.Objective minimize = new SweepSpec.Objective("branin", SweepSpec.Goal.MINIMIZE);
    Sampler sampler =
        algorithm == SweepSpec.Algorithm.TPE
            ? new TpeSampler(space, seed, minimize)
            : new RandomSampler(space, seed);
    List<Trial> history = new ArrayList<>();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < trials; i++) {
      Map<String, Object> p = sampler.suggest(i, history).orElseThrow();
      double v = branin((Double) p.get("x"), (Double) p.get("y"));
      best = Math.min(best, v);
      history.add(new Trial(i, p, Trial.TrialState.COMPLETED, v, "r" + i, null));
    }
    return best;
  }

  @Test
  void tpeFindsABetterBraninMinimumThanRandomSearchOnAverage() {
    int seeds = 10;
    double tpe = 0;
    double random = 0;
    for (long seed = 1; seed <= seeds; seed++) {
      tpe += bestAfter(SweepSpec.Algorithm.TPE, seed, 40) / seeds;
      random += bestAfter(SweepSpec.Algorithm.RANDOM, seed, 40) / seeds;
    }
    // the global minimum is 0.397887
    assertThat(tpe).isLessThan(random).isLessThan(1.0);
  }

  @Test
  void badSpacesAreUserErrorsAtTheirPosition() {
    assertThatThrownBy(() -> spec("name: s\njob: j.yaml\nobjective: {metric: a}\nspace: {}\n"))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("sweep.yaml:4:8: the search space is empty");
    assertThatThrownBy(
            () ->
                spec(
                    """
        name: s
        job: j.yaml
        objective: {metric: a}
        space:
          lr: {loguniform: [0, 1]}
        """))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("sweep.yaml:5:20: loguniform bounds must be more than 0");
    assertThatThrownBy(
            () ->
                spec(
                    """
        name: s
        job: j.yaml
        objective: {metric: a}
        algorithm: bayes
        space: {lr: {uniform: [0, 1]}}
        """))
        .isInstanceOf(UserError.class)
        .hasMessageContaining(
            "sweep.yaml:4:12: 'bayes' is not a search algorithm; use grid," + " random or tpe");
    SweepSpec continuous =
        spec(
            """
        name: s
        job: j.yaml
        objective: {metric: a}
        algorithm: grid
        space: {lr: {uniform: [0, 1]}}
        """);
    assertThatThrownBy(() -> Sampler.of(continuous))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("the grid algorithm needs a finite space, but 'lr'");
  }
}

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
        algorithm: random
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

  static double bestAfter(SweepSpec.Algorithm algorithm, long seed, int trials) {
    Map<String, Dimension> space = new LinkedHashMap<>();
    space.put("x", new Dimension.Uniform(-5, 10));
    space.put("y", new Dimension.Uniform(0, 15));
    SweepSpec.Objective minimize = new SweepSpec.Objective("branin", SweepSpec.Goal.MINIMIZE);
    Sampler sampler =
        switch (algorithm) {
          case TPE -> new TpeSampler(space, seed, minimize);
          case GP -> new GpSampler(space, seed, minimize);
          default -> new RandomSampler(space, seed);
        };
    List<Trial> history = new ArrayList<>();
    double best = Double.MAX_VALUE;
    for (int i = 0; i < trials; i++) {
      Map<String, Object> p = sampler.suggest(i, history).orElseThrow();
      double v = TestFunctions.branin((Double) p.get("x"), (Double) p.get("y"));
      best = Math.min(best, v);
      history.add(new Trial(i, p, Trial.TrialState.COMPLETED, v, "r" + i, null));
    }
    return best;
  }

  /** The mean over seeds 1..seeds of the best Branin value after {@code trials}. */
  static double meanBestOnBranin(SweepSpec.Algorithm algorithm, int seeds, int trials) {
    double sum = 0;
    for (long seed = 1; seed <= seeds; seed++) {
      sum += bestAfter(algorithm, seed, trials);
    }
    return sum / seeds;
  }

  @Test
  void tpeFindsABetterBraninMinimumThanRandomSearchOnAverage() {
    double tpe = meanBestOnBranin(SweepSpec.Algorithm.TPE, 10, 40);
    // the global minimum is 0.397887
    assertThat(tpe)
        .isLessThan(meanBestOnBranin(SweepSpec.Algorithm.RANDOM, 10, 40))
        .isLessThan(1.0);
  }

  static Map<String, Dimension> hartmannSpace() {
    Map<String, Dimension> space = new LinkedHashMap<>();
    for (int j = 0; j < 6; j++) {
      space.put("x" + j, new Dimension.Uniform(0, 1));
    }
    return space;
  }

  static Map<String, Dimension> mixedSpace() {
    Map<String, Dimension> space = new LinkedHashMap<>();
    space.put("opt", new Dimension.Choice(List.of("sgd", "adam", "rmsprop")));
    space.put("layers", new Dimension.IntRange(1, 20));
    space.put("lr", new Dimension.LogUniform(1e-6, 1));
    return space;
  }

  static final SweepSpec.Objective MINIMIZE = new SweepSpec.Objective("f", SweepSpec.Goal.MINIMIZE);

  /** A batch of {@code size} suggestions, each added to the history as a running trial. */
  static List<Map<String, Object>> batch(Sampler sampler, List<Trial> history, int size) {
    List<Map<String, Object>> batch = new ArrayList<>();
    for (int k = 0; k < size; k++) {
      int i = history.size();
      Map<String, Object> p = sampler.suggest(i, history).orElseThrow();
      batch.add(p);
      history.add(new Trial(i, p, Trial.TrialState.RUNNING, null, "r" + i, null));
    }
    return batch;
  }

  /** The trials a sampler runs on f, one at a time. */
  static List<Trial> run(
      Sampler sampler, java.util.function.ToDoubleFunction<Map<String, Object>> f, int trials) {
    List<Trial> history = new ArrayList<>();
    for (int i = 0; i < trials; i++) {
      Map<String, Object> p = sampler.suggest(i, history).orElseThrow();
      history.add(new Trial(i, p, Trial.TrialState.COMPLETED, f.applyAsDouble(p), "r" + i, null));
    }
    return history;
  }

  static double best(List<Trial> trials) {
    return trials.stream().mapToDouble(Trial::objective).min().orElseThrow();
  }

  @Test
  void tpeWithAFixedSeedReproducesItsWholeSweep() {
    List<Trial> first = run(new TpeSampler(mixedSpace(), 5, MINIMIZE), TestFunctions::mixed, 30);
    List<Trial> again = run(new TpeSampler(mixedSpace(), 5, MINIMIZE), TestFunctions::mixed, 30);
    List<Trial> other = run(new TpeSampler(mixedSpace(), 6, MINIMIZE), TestFunctions::mixed, 30);
    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
    for (Trial t : first) {
      assertThat(t.params().get("opt")).isIn("sgd", "adam", "rmsprop");
      assertThat((Long) t.params().get("layers")).isBetween(1L, 20L);
      assertThat((Double) t.params().get("lr")).isBetween(1e-6, 1.0);
    }
  }

  @Test
  void multivariateTpeBeatsRandomSearchOnHartmann6AndAMixedSpaceOnAverage() {
    int seeds = 8;
    double tpeH = 0;
    double randomH = 0;
    double tpeM = 0;
    double randomM = 0;
    for (long seed = 1; seed <= seeds; seed++) {
      tpeH +=
          best(run(new TpeSampler(hartmannSpace(), seed, MINIMIZE), TestFunctions::hartmann6, 60));
      randomH += best(run(new RandomSampler(hartmannSpace(), seed), TestFunctions::hartmann6, 60));
      tpeM += best(run(new TpeSampler(mixedSpace(), seed, MINIMIZE), TestFunctions::mixed, 40));
      randomM += best(run(new RandomSampler(mixedSpace(), seed), TestFunctions::mixed, 40));
    }
    assertThat(tpeH / seeds).isLessThan(randomH / seeds);
    assertThat(tpeM / seeds).isLessThan(randomM / seeds);
  }

  @Test
  void parallelSuggestionsFromTheSameHistoryDifferAndAvoidRunningTrials() {
    Sampler tpe = new TpeSampler(hartmannSpace(), 3, MINIMIZE);
    List<Trial> history = new ArrayList<>(run(tpe, TestFunctions::hartmann6, 20));
    List<Map<String, Object>> batch = batch(tpe, history, 4);
    assertThat(batch).doesNotHaveDuplicates();
    // The liar at work: the same trial number, asked again while its own first suggestion runs
    // as another trial, goes elsewhere.
    List<Trial> done = history.subList(0, 20);
    Map<String, Object> alone = tpe.suggest(20, done).orElseThrow();
    List<Trial> withRunning = new ArrayList<>(done);
    withRunning.add(new Trial(99, alone, Trial.TrialState.RUNNING, null, "r99", null));
    assertThat(tpe.suggest(20, withRunning).orElseThrow()).isNotEqualTo(alone);
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
            "sweep.yaml:4:12: 'bayes' is not a search algorithm; use auto, grid, random, tpe or gp");
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

package dev.mlscale.bench;

import static dev.mlscale.sweep.TestFunctions.x;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlscale.sweep.Dimension;
import dev.mlscale.sweep.GpSampler;
import dev.mlscale.sweep.RandomSampler;
import dev.mlscale.sweep.Sampler;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.TestFunctions;
import dev.mlscale.sweep.TpeSampler;
import dev.mlscale.sweep.Trial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongFunction;
import java.util.function.ToDoubleFunction;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Search quality: mlscale's samplers driven in-process on Branin, Hartmann-6, Rosenbrock-4,
 * Ackley-5 and a mixed space (a category, an integer, a log-scale real), {@code bench.seeds} seeds
 * (default 20), {@code max_parallel} 1 and 4, 100 trials each; the simple regret (best found minus
 * the global minimum) is recorded after 40, 60 and 100 trials. A sampler does not know the budget,
 * so the best after 40 of 100 trials is the best of a 40-trial sweep. With {@code max_parallel} 4
 * the trials run in synchronous batches: four suggestions (the earlier ones of the batch still
 * running), then four results. {@code bench/sweep_quality/optuna_tpe.py} runs Optuna the same way;
 * {@code bench/sweep_quality.sh} runs both. Writes bench/results/sweep_quality_mlscale.json.
 */
@Tag("bench")
class SweepQualityBench {
  static final int SEEDS = Integer.getInteger("bench.seeds", 20);
  static final long FIRST_SEED = Long.getLong("bench.first_seed", 0);
  static final int[] BUDGETS = {40, 60, 100};

  /** max_parallel values to run ({@code bench.parallel}, comma-separated): 1 and 4 by default. */
  static final int[] PARALLEL =
      listProperty("bench.parallel").stream().mapToInt(Integer::parseInt).toArray();

  /** Which samplers and functions to run, comma-separated; all when empty. */
  static final List<String> ONLY_SAMPLERS = listProperty("bench.samplers");

  static final List<String> ONLY_FUNCTIONS = listProperty("bench.functions");

  static List<String> listProperty(String name) {
    String v = System.getProperty(name, "");
    return v.isBlank() ? List.of() : List.of(v.split(","));
  }

  static int[] parallel() {
    return PARALLEL.length == 0 ? new int[] {1, 4} : PARALLEL;
  }

  /** A test function: its space, its value and its global minimum. */
  record Problem(
      String name,
      Map<String, Dimension> space,
      ToDoubleFunction<Map<String, Object>> f,
      double minimum) {}

  static Map<String, Dimension> box(int d, double low, double high) {
    Map<String, Dimension> space = new LinkedHashMap<>();
    for (int j = 0; j < d; j++) {
      space.put("x" + j, new Dimension.Uniform(low, high));
    }
    return space;
  }

  static double branin(Map<String, Object> p) {
    return TestFunctions.branin(x(p, "x0"), x(p, "x1"));
  }

  static double rosenbrock4(Map<String, Object> p) {
    double sum = 0;
    for (int j = 0; j < 3; j++) {
      double a = x(p, "x" + j);
      double b = x(p, "x" + (j + 1));
      sum += 100 * Math.pow(b - a * a, 2) + Math.pow(1 - a, 2);
    }
    return sum;
  }

  static double ackley5(Map<String, Object> p) {
    double squares = 0;
    double cosines = 0;
    for (int j = 0; j < 5; j++) {
      double v = x(p, "x" + j);
      squares += v * v;
      cosines += Math.cos(2 * Math.PI * v);
    }
    return -20 * Math.exp(-0.2 * Math.sqrt(squares / 5)) - Math.exp(cosines / 5) + 20 + Math.E;
  }

  static List<Problem> problems() {
    Map<String, Dimension> braninSpace = new LinkedHashMap<>();
    braninSpace.put("x0", new Dimension.Uniform(-5, 10));
    braninSpace.put("x1", new Dimension.Uniform(0, 15));
    Map<String, Dimension> mixedSpace = new LinkedHashMap<>();
    mixedSpace.put("opt", new Dimension.Choice(List.of("sgd", "adam", "rmsprop")));
    mixedSpace.put("layers", new Dimension.IntRange(1, 20));
    mixedSpace.put("lr", new Dimension.LogUniform(1e-6, 1));
    return List.of(
        new Problem("branin", braninSpace, SweepQualityBench::branin, 0.397887357729738),
        new Problem("hartmann6", box(6, 0, 1), TestFunctions::hartmann6, -3.32236801141551),
        new Problem("rosenbrock4", box(4, -2.048, 2.048), SweepQualityBench::rosenbrock4, 0),
        new Problem("ackley5", box(5, -32.768, 32.768), SweepQualityBench::ackley5, 0),
        new Problem("mixed", mixedSpace, TestFunctions::mixed, 0));
  }

  /** A sweep's best value after each trial, and the mean time of its last ten suggestions. */
  record Sweep(double[] best, double lastTenMillis) {}

  /** The best value after each trial of a sweep of {@code trials}, {@code parallel} at a time. */
  static Sweep bestSoFar(Sampler sampler, Problem problem, int trials, int parallel) {
    List<Trial> history = new ArrayList<>();
    double[] best = new double[trials];
    double min = Double.POSITIVE_INFINITY;
    long lastTenNanos = 0;
    for (int start = 0; start < trials; start += parallel) {
      int end = Math.min(trials, start + parallel);
      for (int i = start; i < end; i++) {
        long t0 = System.nanoTime();
        Map<String, Object> p = sampler.suggest(i, history).orElseThrow();
        if (i >= trials - 10) {
          lastTenNanos += System.nanoTime() - t0;
        }
        history.add(new Trial(i, p, Trial.TrialState.RUNNING, null, "r" + i, null));
      }
      for (int i = start; i < end; i++) {
        Map<String, Object> p = history.get(i).params();
        double v = problem.f().applyAsDouble(p);
        history.set(i, new Trial(i, p, Trial.TrialState.COMPLETED, v, "r" + i, null));
        min = Math.min(min, v);
        best[i] = min;
      }
    }
    return new Sweep(best, lastTenNanos / 10 / 1e6);
  }

  @Test
  @Timeout(value = 3, unit = TimeUnit.HOURS) // 20 seeds of gp take about 15 minutes on 2 cores
  void regretOfEachSamplerOnEachFunction() throws Exception {
    SweepSpec.Objective minimize = new SweepSpec.Objective("f", SweepSpec.Goal.MINIMIZE);
    Map<String, LongFunction<Sampler>> samplers = new LinkedHashMap<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    String suffix = System.getProperty("bench.out_suffix", "");
    Path out = Path.of("bench/results/sweep_quality_mlscale" + suffix + ".json");
    Files.createDirectories(out.getParent());
    for (Problem problem : problems()) {
      if (!ONLY_FUNCTIONS.isEmpty() && !ONLY_FUNCTIONS.contains(problem.name())) {
        continue;
      }
      samplers.put("tpe", seed -> new TpeSampler(problem.space(), seed, minimize));
      samplers.put("random", seed -> new RandomSampler(problem.space(), seed));
      samplers.put("gp", seed -> new GpSampler(problem.space(), seed, minimize));
      for (var sampler : samplers.entrySet()) {
        if (!ONLY_SAMPLERS.isEmpty() && !ONLY_SAMPLERS.contains(sampler.getKey())) {
          continue;
        }
        for (int parallel : parallel()) {
          // seeds in parallel: each sweep is deterministic, the rows are put in seed order
          List<Sweep> sweeps =
              LongStream.range(FIRST_SEED, FIRST_SEED + SEEDS)
                  .parallel()
                  .mapToObj(
                      seed ->
                          bestSoFar(sampler.getValue().apply(seed), problem, BUDGETS[2], parallel))
                  .toList();
          for (int k = 0; k < SEEDS; k++) {
            for (int budget : BUDGETS) {
              Map<String, Object> row = new LinkedHashMap<>();
              row.put("sampler", "mlscale " + sampler.getKey());
              row.put("function", problem.name());
              row.put("parallel", parallel);
              row.put("seed", FIRST_SEED + k);
              row.put("budget", budget);
              row.put("regret", sweeps.get(k).best()[budget - 1] - problem.minimum());
              if (budget == BUDGETS[2]) {
                row.put("suggest_ms_at_100", sweeps.get(k).lastTenMillis());
              }
              rows.add(row);
            }
          }
        }
      }
      // after each function, so that a bench cut short keeps what it measured
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), rows);
    }
  }
}

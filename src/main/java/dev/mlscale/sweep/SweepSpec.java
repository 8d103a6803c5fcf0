package dev.mlscale.sweep;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.mlscale.spec.SpecFieldException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A hyper-parameter sweep as the user wrote it: which job, which space, what to optimise, how to
 * search, how much to spend, and when to stop unpromising trials early. Without an algorithm (or
 * with {@code auto}) {@link AutoAlgorithm} picks one, here, once: {@link #algorithm()} is never
 * {@code AUTO}, and {@code autoReason} says why it was picked.
 */
public record SweepSpec(
    String name,
    String job,
    Objective objective,
    Algorithm algorithm,
    Long seed,
    Map<String, Space> space,
    Budget budget,
    EarlyStopping earlyStopping,
    @JsonProperty("auto_reason") String autoReason) {

  public SweepSpec {
    check(
        name != null && name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,40}"),
        "name",
        "a sweep needs a short name of letters, digits, '.', '_' or '-', e.g. name: digits-sweep");
    check(
        job != null,
        "job",
        "missing required field 'job': the job spec to sweep, e.g. job:" + " job.yaml");
    check(
        objective != null,
        "objective",
        "missing required field 'objective', e.g. objective:"
            + " {metric: accuracy, goal: maximize}");
    check(
        space != null && !space.isEmpty(),
        "space",
        "the search space is empty; add parameters, e.g. space: {lr: {loguniform: [1e-4, 1e-1]}}");
    seed = seed == null ? 0L : seed;
    budget = budget == null ? new Budget(null, null, null) : budget;
    space = Collections.unmodifiableMap(new LinkedHashMap<>(space));
    if (algorithm == null || algorithm == Algorithm.AUTO) {
      AutoAlgorithm auto =
          AutoAlgorithm.choose(
              space.values().stream().map(Space::dimension).toList(), budget.maxTrials());
      algorithm = auto.algorithm();
      autoReason = auto.reason();
    }
  }

  private static void check(boolean ok, String field, String message) {
    if (!ok) {
      throw new SpecFieldException(field, message);
    }
  }

  /**
   * The algorithm as a person reads it: {@code tpe}, or {@code auto → gp (5 parameters, 60 trials)}
   * when auto picked it. The spec stores what auto picked (and why, in {@code auto_reason}), so a
   * resumed sweep keeps its algorithm.
   */
  public String algorithmText() {
    String name = algorithm.name().toLowerCase(Locale.ROOT);
    return autoReason == null ? name : "auto → " + name + " (" + autoReason + ")";
  }

  /** The space as dimensions, in the order written. */
  public Map<String, Dimension> dimensions() {
    Map<String, Dimension> out = new LinkedHashMap<>();
    space.forEach((k, v) -> out.put(k, v.dimension()));
    return out;
  }

  public enum Algorithm {
    AUTO,
    GRID,
    RANDOM,
    TPE,
    GP;

    @JsonCreator
    static Algorithm parse(String text) {
      try {
        return valueOf(text.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "'" + text + "' is not a search algorithm; use auto, grid, random, tpe or gp");
      }
    }
  }

  public enum Goal {
    MINIMIZE,
    MAXIMIZE;

    @JsonCreator
    static Goal parse(String text) {
      return switch (text.toLowerCase(Locale.ROOT)) {
        case "minimize", "min" -> MINIMIZE;
        case "maximize", "max" -> MAXIMIZE;
        default ->
            throw new IllegalArgumentException(
                "'" + text + "' is not a goal; use minimize or maximize");
      };
    }
  }

  /** What to optimise: the final value of one reported metric. */
  public record Objective(String metric, Goal goal) {
    public Objective {
      check(metric != null, "metric", "name the metric to optimise, e.g. metric: accuracy");
      goal = goal == null ? Goal.MAXIMIZE : goal;
    }

    /** True when {@code a} is better than {@code b}. */
    public boolean better(double a, double b) {
      return goal == Goal.MAXIMIZE ? a > b : a < b;
    }

    /** The value as a loss: lower is better. */
    public double loss(double value) {
      return goal == Goal.MAXIMIZE ? -value : value;
    }
  }

  /** How much to spend. */
  public record Budget(Integer maxTrials, Integer maxParallel, Integer maxFailed) {
    public Budget {
      maxTrials = maxTrials == null ? 20 : maxTrials;
      maxParallel = maxParallel == null ? 1 : maxParallel;
      maxFailed = maxFailed == null ? Math.max(3, maxTrials / 4) : maxFailed;
      check(maxTrials >= 1, "max_trials", "max_trials must be 1 or more");
      check(maxParallel >= 1, "max_parallel", "max_parallel must be 1 or more");
      check(maxFailed >= 1, "max_failed", "max_failed must be 1 or more");
    }
  }

  /**
   * Stops trials whose intermediate metric lags: {@code median} (stop at step s when the best so
   * far is worse than the median of other trials at s) or {@code asha} (successive halving: at each
   * rung min_steps * reduction_factor^k, only the best 1/reduction_factor continue).
   */
  public record EarlyStopping(String rule, Integer minSteps, Integer reductionFactor) {
    public EarlyStopping {
      check(
          "median".equals(rule) || "asha".equals(rule),
          "rule",
          "early_stopping.rule must be median or asha, got " + rule);
      minSteps = minSteps == null ? 3 : minSteps;
      reductionFactor = reductionFactor == null ? 3 : reductionFactor;
      check(minSteps >= 1, "min_steps", "min_steps must be 1 or more");
      check(reductionFactor >= 2, "reduction_factor", "reduction_factor must be 2 or more");
    }
  }

  /** One parameter's space as written: exactly one of its fields. */
  public record Space(
      List<Object> choice,
      List<Double> uniform,
      List<Double> loguniform,
      @JsonProperty("int") List<Long> intRange,
      List<Object> grid) {
    public Space {
      int set = 0;
      for (Object o : new Object[] {choice, uniform, loguniform, intRange, grid}) {
        set += o == null ? 0 : 1;
      }
      check(
          set == 1,
          "choice",
          "give exactly one of choice, uniform, loguniform, int or grid,"
              + " e.g. {loguniform: [1e-5, 1e-1]}");
      check(choice == null || !choice.isEmpty(), "choice", "choice needs at least one value");
      check(grid == null || !grid.isEmpty(), "grid", "grid needs at least one value");
      bounds(uniform, "uniform");
      bounds(loguniform, "loguniform");
      if (loguniform != null) {
        check(
            loguniform.get(0) > 0,
            "loguniform",
            "loguniform bounds must be more than 0 (its logarithm is sampled), got "
                + loguniform.get(0));
      }
      if (intRange != null) {
        check(
            intRange.size() == 2 && intRange.get(0) <= intRange.get(1),
            "int",
            "int needs [low, high] with low <= high");
      }
    }

    private static void bounds(List<Double> b, String field) {
      if (b != null) {
        check(
            b.size() == 2 && b.get(0) < b.get(1),
            field,
            field + " needs [low, high] with low < high, got " + b);
      }
    }

    Dimension dimension() {
      if (choice != null) {
        return new Dimension.Choice(new ArrayList<>(choice));
      }
      if (uniform != null) {
        return new Dimension.Uniform(uniform.get(0), uniform.get(1));
      }
      if (loguniform != null) {
        return new Dimension.LogUniform(loguniform.get(0), loguniform.get(1));
      }
      if (intRange != null) {
        return new Dimension.IntRange(intRange.get(0), intRange.get(1));
      }
      return new Dimension.Grid(new ArrayList<>(grid));
    }
  }
}

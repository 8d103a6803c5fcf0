package dev.mlscale.sweep;

import dev.mlscale.sweep.TpeSampler.Axis;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.random.SobolSequenceGenerator;

/**
 * Gaussian-process Bayesian optimisation for small budgets (after Optuna's {@code GPSampler}).
 * Every parameter is scaled to [0, 1] (log-scale ones in their logarithm, an integer k of n values
 * to the middle of its n-th of the interval); categories keep their index. The first {@code max(10,
 * 2 × parameters)} trials are a Sobol sequence shifted by the seed; then a {@link GaussianProcess}
 * is fitted to the finished trials' losses, warped by {@link #warp} (order kept, large losses
 * compressed) and standardised, and the next trial maximises the logarithm of the expected
 * improvement over the best loss: from 1024 random points and the best trials, the most promising
 * five are refined by BOBYQA over the numeric parameters, then each categorical parameter tries
 * each of its values.
 *
 * <p>Batches, in two phases. While the model has seen fewer than {@link #SPREAD_PER_PARAMETER} ×
 * parameters trials, trials still running join it at the best loss so far (the constant liar): no
 * improvement is left to expect where they are, and the whole space is searched, so a batch spreads
 * out while the model knows little. From then on running trials join it at the loss it expects
 * there (the kriging believer: the mean stays, the uncertainty around them shrinks) and a batch's
 * later suggestions draw their random candidates from a box of side 0.25 around the best trial (the
 * refinement may leave it): the first suggestion of a batch searches everywhere, the others refine
 * the best region. The same seed, trial number and history always give the same suggestion.
 */
public final class GpSampler implements Sampler {
  static final int MIN_STARTUP = 10;
  private static final int CANDIDATES = 1024;
  private static final int LOCAL_STARTS = 5;

  /** The side, in the unit cube, of the box around the best trial for a batch's later points. */
  private static final double LOCAL_BOX = 0.25;

  /** Batches spread out (constant liar, whole space) until the model has seen this × parameters. */
  static final int SPREAD_PER_PARAMETER = 5;

  /** Losses whose largest gap to the best exceeds this × their median gap are warped. */
  static final double SKEWED = 3;

  private final List<String> names;
  private final List<Axis> axes;
  private final boolean[] categorical;
  private final long seed;
  private final SweepSpec.Objective objective;

  public GpSampler(Map<String, Dimension> space, long seed, SweepSpec.Objective objective) {
    this.names = List.copyOf(space.keySet());
    this.axes = space.values().stream().map(Axis::of).toList();
    this.categorical = new boolean[axes.size()];
    for (int d = 0; d < axes.size(); d++) {
      categorical[d] = axes.get(d) instanceof TpeSampler.Category;
    }
    this.seed = seed;
    this.objective = objective;
  }

  /** How many quasi-random trials come before the model: 10, or twice the parameters. */
  int startup() {
    return Math.max(MIN_STARTUP, 2 * axes.size());
  }

  @Override
  public Optional<Map<String, Object>> suggest(int number, List<Trial> history) {
    List<double[]> xs = new ArrayList<>();
    List<Double> losses = new ArrayList<>();
    List<double[]> pending = new ArrayList<>();
    for (Trial t : history.stream().sorted(Comparator.comparingInt(Trial::number)).toList()) {
      double[] x = encode(t);
      if (x == null || t.number() == number) {
        continue;
      }
      if (t.completed() && Double.isFinite(t.objective())) {
        xs.add(x);
        losses.add(objective.loss(t.objective()));
      } else if (t.state() == Trial.TrialState.RUNNING) {
        pending.add(x);
      }
    }
    if (xs.size() < startup()) {
      return Optional.of(decode(sobol(number)));
    }
    double[] y = standardise(warp(losses));
    double best = Arrays.stream(y).min().orElseThrow();
    SplittableRandom random = new SplittableRandom(seed * 6_364_136_223L + number * 1_442_695L);
    GaussianProcess fitted =
        GaussianProcess.fit(xs.toArray(double[][]::new), y, categorical, random);
    double[][] running = pending.toArray(double[][]::new);
    boolean spread = xs.size() < SPREAD_PER_PARAMETER * axes.size();
    GaussianProcess gp = spread ? fitted.lying(running, best) : fitted.believing(running);
    double[] around = spread || pending.isEmpty() ? null : xs.get(argMin(y));
    return Optional.of(decode(maximise(new Acquisition(gp, best), xs, y, random, around)));
  }

  /** Point {@code number + 1} of the Sobol sequence, shifted modulo 1 by a vector of the seed. */
  private double[] sobol(int number) {
    double[] u = new SobolSequenceGenerator(axes.size()).skipTo(number + 1);
    SplittableRandom shift = new SplittableRandom(seed * 1_000_003L + 12_345L);
    double[] x = new double[u.length];
    for (int d = 0; d < u.length; d++) {
      double v = u[d] + shift.nextDouble();
      x[d] = unitToAxis(d, v - Math.floor(v));
    }
    return x;
  }

  /** The point of the model's space for a point of the unit cube (categories become indices). */
  private double[] fromUnit(double[] u) {
    double[] x = new double[u.length];
    for (int d = 0; d < u.length; d++) {
      x[d] = unitToAxis(d, u[d]);
    }
    return x;
  }

  private double unitToAxis(int d, double u) {
    Axis axis = axes.get(d);
    if (axis instanceof TpeSampler.Category c) {
      return Math.min(c.values().size() - 1, (int) (u * c.values().size()));
    }
    return snap(d, u);
  }

  /** An integer parameter's value to the middle of its cell; other values as they are. */
  private double snap(int d, double u) {
    if (axes.get(d) instanceof TpeSampler.Whole w) {
      long cells = w.high() - w.low() + 1;
      long k = Math.max(0, Math.min(cells - 1, (long) Math.floor(u * cells)));
      return (k + 0.5) / cells;
    }
    return Math.max(0, Math.min(1, u));
  }

  private double[] encode(Trial t) {
    double[] x = new double[axes.size()];
    for (int d = 0; d < x.length; d++) {
      Axis axis = axes.get(d);
      Double v = axis.encode(t.params().get(names.get(d)));
      if (v == null) {
        return null;
      }
      if (axis instanceof TpeSampler.Real r) {
        x[d] = (v - r.lo()) / (r.hi() - r.lo());
      } else if (axis instanceof TpeSampler.Whole w) {
        x[d] = (v - w.low() + 0.5) / (w.high() - w.low() + 1);
      } else {
        x[d] = v;
      }
    }
    return x;
  }

  private Map<String, Object> decode(double[] x) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (int d = 0; d < x.length; d++) {
      Axis axis = axes.get(d);
      double v = x[d];
      if (axis instanceof TpeSampler.Real r) {
        v = r.lo() + v * (r.hi() - r.lo());
      } else if (axis instanceof TpeSampler.Whole w) {
        v = w.low() - 0.5 + v * (w.high() - w.low() + 1);
      }
      out.put(names.get(d), axis.decode(v));
    }
    return out;
  }

  /**
   * The losses the model is fitted to: when they are skewed, the largest more than {@link #SKEWED}
   * times the median of {@code loss - min} above the best, {@code log(1 + (loss - min) / m)} with m
   * that median, so that a few losses far above the rest (Rosenbrock's walls, a diverged training
   * run) no longer flatten the model everywhere else; otherwise (Ackley's plateau, Hartmann's
   * narrow range) as they are. The order stays either way.
   */
  static List<Double> warp(List<Double> losses) {
    double min = losses.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    double[] gaps = losses.stream().mapToDouble(v -> v - min).sorted().toArray();
    double median = gaps[gaps.length / 2];
    if (!(median > 0) || gaps[gaps.length - 1] < SKEWED * median) {
      return losses;
    }
    return losses.stream().map(v -> Math.log1p((v - min) / median)).toList();
  }

  static double[] standardise(List<Double> values) {
    double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    double var = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).average().orElse(0);
    double sd = var > 1e-24 ? Math.sqrt(var) : 1;
    return values.stream().mapToDouble(v -> (v - mean) / sd).toArray();
  }

  private static int argMin(double[] y) {
    int arg = 0;
    for (int i = 1; i < y.length; i++) {
      if (y[i] < y[arg]) {
        arg = i;
      }
    }
    return arg;
  }

  /**
   * The point that maximises the acquisition: random candidates (all of the space, or a box of side
   * {@link #LOCAL_BOX} around {@code around} when given), then local refinement.
   */
  private double[] maximise(
      Acquisition acq, List<double[]> xs, double[] y, SplittableRandom r, double[] around) {
    int dims = axes.size();
    List<double[]> candidates = new ArrayList<>();
    for (int i = 0; i < CANDIDATES; i++) {
      double[] u = new double[dims];
      for (int d = 0; d < dims; d++) {
        u[d] = r.nextDouble();
        if (around != null && !categorical[d]) {
          u[d] = Math.max(0, Math.min(1, around[d] + (u[d] - 0.5) * LOCAL_BOX));
        }
      }
      candidates.add(fromUnit(u));
    }
    Integer[] byLoss = new Integer[y.length];
    for (int i = 0; i < y.length; i++) {
      byLoss[i] = i;
    }
    Arrays.sort(byLoss, Comparator.comparingDouble(i -> y[i]));
    List<double[]> starts = new ArrayList<>();
    starts.add(xs.get(byLoss[0]).clone());
    double[] scores = candidates.stream().mapToDouble(acq::logEi).toArray();
    Integer[] order = new Integer[candidates.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> -scores[i]));
    for (int i = 0; i < LOCAL_STARTS - 1; i++) {
      starts.add(candidates.get(order[i]));
    }
    double[] best = candidates.get(order[0]);
    double bestScore = scores[order[0]];
    for (double[] start : starts) {
      double[] x = refineCategories(acq, refineNumbers(acq, start));
      double s = acq.logEi(x);
      if (s > bestScore) {
        best = x;
        bestScore = s;
      }
    }
    return best;
  }

  /** BOBYQA over the numeric parameters (two or more) with the categories held. */
  private double[] refineNumbers(Acquisition acq, double[] start) {
    int[] numeric =
        java.util.stream.IntStream.range(0, axes.size()).filter(d -> !categorical[d]).toArray();
    if (numeric.length < 2) {
      return start;
    }
    double[] guess = new double[numeric.length];
    for (int i = 0; i < numeric.length; i++) {
      guess[i] = start[numeric[i]];
    }
    double[] lower = new double[numeric.length];
    double[] upper = new double[numeric.length];
    Arrays.fill(upper, 1);
    GaussianProcess.Best best = new GaussianProcess.Best();
    best.offer(guess, acq.logEi(start));
    ObjectiveFunction f =
        new ObjectiveFunction(
            u -> {
              double[] x = start.clone();
              for (int i = 0; i < numeric.length; i++) {
                x[numeric[i]] = snap(numeric[i], u[i]);
              }
              return best.offer(u, acq.logEi(x));
            });
    GaussianProcess.maximise(f, guess, lower, upper, 0.1, 1e-4, 50 * numeric.length);
    double[] x = start.clone();
    for (int i = 0; i < numeric.length; i++) {
      x[numeric[i]] = snap(numeric[i], best.point[i]);
    }
    return x;
  }

  /** Each categorical parameter in turn takes the value with the largest acquisition. */
  private double[] refineCategories(Acquisition acq, double[] start) {
    double[] x = start.clone();
    double score = acq.logEi(x);
    for (int d = 0; d < axes.size(); d++) {
      if (axes.get(d) instanceof TpeSampler.Category c) {
        for (int k = 0; k < c.values().size(); k++) {
          double[] trial = x.clone();
          trial[d] = k;
          double s = acq.logEi(trial);
          if (s > score) {
            x = trial;
            score = s;
          }
        }
      }
    }
    return x;
  }

  /** The logarithm of the expected improvement below {@code best}, stable far into the tail. */
  record Acquisition(GaussianProcess gp, double best) {
    double logEi(double[] x) {
      double[] mv = gp.posterior(x);
      double sd = Math.sqrt(mv[1]);
      double z = (best - mv[0]) / sd;
      return Math.log(sd) + logH(z);
    }

    /**
     * log(φ(z) + z Φ(z)); below 0 as {@code -z²/2 + log(1/√(2π) - |z| erfcx(|z|/√2) / 2)}, which
     * does not underflow, and below -25 by its asymptotic series.
     */
    static double logH(double z) {
      if (z >= 0) {
        double phi = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
        return Math.log(phi + z * (1 - 0.5 * TpeSampler.erfc(z / Math.sqrt(2))));
      }
      double a = -z;
      if (a < 25) {
        return -0.5 * a * a
            + Math.log(1 / Math.sqrt(2 * Math.PI) - 0.5 * a * TpeSampler.erfcx(a / Math.sqrt(2)));
      }
      double z2 = z * z;
      return -0.5 * z2
          - 0.5 * Math.log(2 * Math.PI)
          - Math.log(z2)
          + Math.log1p(-3 / z2 + 15 / (z2 * z2) - 105 / (z2 * z2 * z2));
    }
  }
}

package dev.mlscale.sweep;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Multivariate Tree-structured Parzen Estimator (Bergstra et al. 2011; Falkner et al. 2018), as
 * Optuna's {@code TPESampler(multivariate=True)}: after 10 random start-up trials the finished
 * trials are split into the best {@code min(ceil(0.1 n), 25)} ("good") and the rest ("bad"). Each
 * group becomes a joint density over the whole parameter vector, a mixture with one kernel per
 * observation plus a wide prior kernel; 24 candidates are drawn from the good density l(x) and the
 * one with the largest l(x)/g(x), computed jointly over all parameters, wins.
 *
 * <p>Kernels: a truncated Gaussian for {@code uniform} (in log space for {@code loguniform}) whose
 * bandwidth along each parameter is the larger gap to the observation's neighbours there, clipped
 * to {@code [range / min(100, n + 2), range]} (as Optuna 5); the Gaussian's mass over {@code [k -
 * 0.5, k + 0.5]} for {@code int} (so the densities are proper probabilities over the integers); for
 * {@code choice} and {@code grid} the observed value plus a uniform floor of {@code 1 / (n + 1)}.
 * Older observations weigh less once there are more than 25 of them.
 *
 * <p>Batches: trials still running are counted as bad observations (the "constant liar"), so
 * suggestions made while they run stay away from them; pruned trials count as bad as well. The same
 * seed, trial number and history always give the same suggestion.
 */
public final class TpeSampler implements Sampler {
  static final int STARTUP = 10;
  static final int CANDIDATES = 24;
  private static final double PRIOR_WEIGHT = 1.0;

  private final Map<String, Dimension> space;
  private final List<String> names;
  private final List<Axis> axes;
  private final long seed;
  private final SweepSpec.Objective objective;

  public TpeSampler(Map<String, Dimension> space, long seed, SweepSpec.Objective objective) {
    this.space = space;
    this.names = List.copyOf(space.keySet());
    this.axes = space.values().stream().map(Axis::of).toList();
    this.seed = seed;
    this.objective = objective;
  }

  @Override
  public Optional<Map<String, Object>> suggest(int number, List<Trial> history) {
    List<Trial> done =
        history.stream()
            .filter(Trial::completed)
            .filter(t -> encode(t) != null)
            .sorted(
                Comparator.comparingDouble((Trial t) -> objective.loss(t.objective()))
                    .thenComparingInt(Trial::number))
            .toList();
    if (done.size() < STARTUP) {
      return Optional.of(RandomSampler.sample(space, seed, number));
    }
    int nGood = Math.max(1, Math.min((int) Math.ceil(0.1 * done.size()), 25));
    List<Trial> good = new ArrayList<>(done.subList(0, nGood));
    List<Trial> bad = new ArrayList<>(done.subList(nGood, done.size()));
    for (Trial t : history) {
      boolean liar = t.state() == Trial.TrialState.RUNNING && t.number() != number;
      if ((liar || t.state() == Trial.TrialState.PRUNED) && encode(t) != null) {
        bad.add(t);
      }
    }
    Parzen l = fit(good);
    Parzen g = fit(bad);
    SplittableRandom random = new SplittableRandom(seed * 7_919L + number * 31L + 17);
    double[] best = null;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < CANDIDATES; i++) {
      double[] x = l.sample(random);
      double score = l.logPdf(x) - g.logPdf(x);
      if (best == null || score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (int d = 0; d < axes.size(); d++) {
      out.put(names.get(d), axes.get(d).decode(best[d]));
    }
    return Optional.of(out);
  }

  /** The trial's parameters in the internal space, or null when one is missing or out of range. */
  private double[] encode(Trial t) {
    double[] x = new double[axes.size()];
    for (int d = 0; d < axes.size(); d++) {
      Double v = axes.get(d).encode(t.params().get(names.get(d)));
      if (v == null) {
        return null;
      }
      x[d] = v;
    }
    return x;
  }

  /** The joint density of these trials' parameters, older trials weighing less (Optuna's ramp). */
  private Parzen fit(List<Trial> trials) {
    List<Trial> byNumber = new ArrayList<>(trials);
    byNumber.sort(Comparator.comparingInt(Trial::number));
    double[][] points = new double[byNumber.size()][];
    for (int i = 0; i < points.length; i++) {
      points[i] = encode(byNumber.get(i));
    }
    return Parzen.fit(axes, points);
  }

  /** Optuna's default weights: 1 for the newest 25, a linear ramp from 1/n up for the older. */
  static double[] rampWeights(int n) {
    double[] w = new double[n];
    Arrays.fill(w, 1.0);
    int ramp = n - 25;
    for (int i = 0; i < ramp; i++) {
      w[i] = ramp == 1 ? 1.0 / n : 1.0 / n + (1 - 1.0 / n) * i / (ramp - 1);
    }
    return w;
  }

  /** One parameter as the estimator sees it: a real interval, integers or category indices. */
  sealed interface Axis {
    /** The internal value of a stored parameter value, or null when it does not fit. */
    Double encode(Object value);

    /** The parameter value for an internal value. */
    Object decode(double x);

    static Axis of(Dimension d) {
      if (d instanceof Dimension.Uniform u) {
        return new Real(u.low(), u.high(), false);
      }
      if (d instanceof Dimension.LogUniform l) {
        return new Real(l.low(), l.high(), true);
      }
      if (d instanceof Dimension.IntRange r) {
        return new Whole(r.low(), r.high());
      }
      if (d instanceof Dimension.Choice c) {
        return new Category(c.values());
      }
      return new Category(((Dimension.Grid) d).values());
    }
  }

  /** A real interval; internally {@code [lo, hi]}, the logarithms of the bounds when log. */
  record Real(double low, double high, boolean log) implements Axis {
    double lo() {
      return log ? Math.log(low) : low;
    }

    double hi() {
      return log ? Math.log(high) : high;
    }

    @Override
    public Double encode(Object value) {
      if (!(value instanceof Number n) || Double.isNaN(n.doubleValue())) {
        return null;
      }
      double v = n.doubleValue();
      if (v < low - 1e-9 * Math.abs(low) || v > high + 1e-9 * Math.abs(high)) {
        return null;
      }
      v = Math.min(high, Math.max(low, v));
      return log ? Math.log(v) : v;
    }

    @Override
    public Object decode(double x) {
      return Math.min(high, Math.max(low, log ? Math.exp(x) : x));
    }
  }

  /** The whole numbers {@code low..high}; internally the number itself. */
  record Whole(long low, long high) implements Axis {
    @Override
    public Double encode(Object value) {
      if (!(value instanceof Number n)) {
        return null;
      }
      long v = Math.round(n.doubleValue());
      return v < low || v > high ? null : (double) v;
    }

    @Override
    public Object decode(double x) {
      return Math.max(low, Math.min(high, Math.round(x)));
    }
  }

  /** Listed values; internally the index. Values match by their text, as stored trials do. */
  record Category(List<Object> values) implements Axis {
    Category {
      values = List.copyOf(values);
    }

    @Override
    public Double encode(Object value) {
      for (int i = 0; i < values.size(); i++) {
        if (String.valueOf(values.get(i)).equals(String.valueOf(value))) {
          return (double) i;
        }
      }
      return null;
    }

    @Override
    public Object decode(double x) {
      return values.get((int) x);
    }
  }

  /**
   * A mixture over the whole parameter vector: kernel k has weight {@code w[k]} and is a product
   * over the parameters of a truncated Gaussian ({@code mu[k][d]}, {@code sigma[k][d]}) or a
   * categorical distribution ({@code cat[k][d]}). The last kernel is the prior.
   */
  static final class Parzen {
    private final List<Axis> axes;
    private final double[] logW;
    private final double[] cumW;
    private final double[][] mu;
    private final double[][] sigma;
    private final double[][][] logCat;

    private Parzen(
        List<Axis> axes, double[] w, double[][] mu, double[][] sigma, double[][][] logCat) {
      this.axes = axes;
      this.mu = mu;
      this.sigma = sigma;
      this.logCat = logCat;
      double sum = Arrays.stream(w).sum();
      this.logW = new double[w.length];
      this.cumW = new double[w.length];
      double acc = 0;
      for (int k = 0; k < w.length; k++) {
        logW[k] = Math.log(w[k] / sum);
        acc += w[k] / sum;
        cumW[k] = acc;
      }
    }

    static Parzen fit(List<Axis> axes, double[][] points) {
      int n = points.length;
      int kernels = n + 1;
      int dims = axes.size();
      double[] w = Arrays.copyOf(rampWeights(n), kernels);
      w[n] = PRIOR_WEIGHT;
      double[][] mu = new double[kernels][dims];
      double[][] sigma = new double[kernels][dims];
      double[][][] logCat = new double[kernels][dims][];
      for (int d = 0; d < dims; d++) {
        Axis axis = axes.get(d);
        if (axis instanceof Category c) {
          int m = c.values().size();
          for (int k = 0; k < kernels; k++) {
            double[] p = new double[m];
            Arrays.fill(p, k == n ? 1.0 : PRIOR_WEIGHT / kernels);
            if (k < n) {
              p[(int) points[k][d]] += 1;
            }
            double s = Arrays.stream(p).sum();
            logCat[k][d] = Arrays.stream(p).map(v -> Math.log(v / s)).toArray();
          }
          continue;
        }
        double lo = lo(axis);
        double hi = hi(axis);
        double range = hi - lo;
        double[] bw = neighbourBandwidths(points, d, lo, hi);
        double minSigma = range / Math.min(100.0, 1.0 + kernels);
        for (int k = 0; k < n; k++) {
          mu[k][d] = points[k][d];
          sigma[k][d] = Math.min(range, Math.max(minSigma, bw[k]));
        }
        mu[n][d] = lo + range / 2;
        sigma[n][d] = range;
      }
      return new Parzen(axes, w, mu, sigma, logCat);
    }

    /**
     * Each observation's bandwidth along axis d: the larger gap to its neighbours, the bounds
     * counting as neighbours except for the outermost points, which take their inner gap (Optuna 5
     * does the same, in its multivariate TPE as well).
     */
    private static double[] neighbourBandwidths(double[][] points, int d, double lo, double hi) {
      int n = points.length;
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparingDouble(i -> points[i][d]));
      double[] s = new double[n + 2];
      s[0] = lo;
      s[n + 1] = hi;
      for (int i = 0; i < n; i++) {
        s[i + 1] = points[order[i]][d];
      }
      double[] sorted = new double[n];
      for (int i = 0; i < n; i++) {
        sorted[i] = Math.max(s[i + 1] - s[i], s[i + 2] - s[i + 1]);
      }
      if (n >= 2) {
        sorted[0] = s[2] - s[1];
        sorted[n - 1] = s[n] - s[n - 1];
      }
      double[] out = new double[n];
      for (int i = 0; i < n; i++) {
        out[order[i]] = sorted[i];
      }
      return out;
    }

    /** The internal lower bound of a numeric axis; integers widened by a half on each side. */
    private static double lo(Axis a) {
      return a instanceof Real r ? r.lo() : ((Whole) a).low() - 0.5;
    }

    private static double hi(Axis a) {
      return a instanceof Real r ? r.hi() : ((Whole) a).high() + 0.5;
    }

    double[] sample(SplittableRandom r) {
      double u = r.nextDouble();
      int k = 0;
      while (k < cumW.length - 1 && u > cumW[k]) {
        k++;
      }
      double[] x = new double[axes.size()];
      for (int d = 0; d < x.length; d++) {
        Axis axis = axes.get(d);
        if (axis instanceof Category) {
          x[d] = drawIndex(logCat[k][d], r);
        } else {
          double v = truncatedNormal(mu[k][d], sigma[k][d], lo(axis), hi(axis), r);
          x[d] = axis instanceof Whole wh ? (long) wh.decode(v) : v;
        }
      }
      return x;
    }

    double logPdf(double[] x) {
      double[] terms = new double[logW.length];
      for (int k = 0; k < logW.length; k++) {
        double t = logW[k];
        for (int d = 0; d < x.length; d++) {
          Axis axis = axes.get(d);
          if (axis instanceof Category) {
            t += logCat[k][d][(int) x[d]];
            continue;
          }
          double m = mu[k][d];
          double s = sigma[k][d];
          double lo = lo(axis);
          double hi = hi(axis);
          double norm = Math.log(Math.max(mass((lo - m) / s, (hi - m) / s), 1e-300));
          if (axis instanceof Whole) {
            double p = mass((x[d] - 0.5 - m) / s, (x[d] + 0.5 - m) / s);
            t += Math.log(Math.max(p, 1e-300)) - norm;
          } else {
            double z = (x[d] - m) / s;
            t += -0.5 * z * z - Math.log(s * Math.sqrt(2 * Math.PI)) - norm;
          }
        }
        terms[k] = t;
      }
      double max = Arrays.stream(terms).max().orElse(0);
      double sum = 0;
      for (double t : terms) {
        sum += Math.exp(t - max);
      }
      return max + Math.log(sum);
    }

    private static int drawIndex(double[] logP, SplittableRandom r) {
      double u = r.nextDouble();
      for (int i = 0; i < logP.length; i++) {
        u -= Math.exp(logP[i]);
        if (u <= 0) {
          return i;
        }
      }
      return logP.length - 1;
    }

    private static double truncatedNormal(
        double m, double s, double lo, double hi, SplittableRandom r) {
      for (int tries = 0; tries < 100; tries++) {
        double x = m + s * gaussian(r);
        if (x >= lo && x <= hi) {
          return x;
        }
      }
      return Math.max(lo, Math.min(hi, m));
    }

    private static double gaussian(SplittableRandom r) {
      double u1 = Math.max(r.nextDouble(), 1e-300);
      double u2 = r.nextDouble();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }
  }

  /** The standard normal's probability between a and b (a ≤ b), accurate in the tails too. */
  static double mass(double a, double b) {
    if (a >= 0) {
      return 0.5 * (erfc(a / Math.sqrt(2)) - erfc(b / Math.sqrt(2)));
    }
    if (b <= 0) {
      return 0.5 * (erfc(-b / Math.sqrt(2)) - erfc(-a / Math.sqrt(2)));
    }
    return 1 - 0.5 * erfc(-a / Math.sqrt(2)) - 0.5 * erfc(b / Math.sqrt(2));
  }

  private static final double[] ERFC = {
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277
  };

  /** The complementary error function (Numerical Recipes' erfcc, relative error < 1.2e-7). */
  static double erfc(double x) {
    double z = Math.abs(x);
    double ans = erfcx(z) * Math.exp(-z * z);
    return x >= 0 ? ans : 2 - ans;
  }

  /** The scaled complementary error function {@code exp(x²) erfc(x)} for x ≥ 0, no underflow. */
  static double erfcx(double x) {
    double t = 1 / (1 + 0.5 * x);
    double poly = 0;
    for (int i = ERFC.length - 1; i >= 0; i--) {
      poly = ERFC[i] + t * poly;
    }
    return t * Math.exp(poly);
  }
}

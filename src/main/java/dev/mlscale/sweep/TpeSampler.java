package dev.mlscale.sweep;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011), independent per parameter, with the
 * defaults Optuna uses: 10 random start-up trials, the best {@code min(ceil(0.1 n), 25)} trials are
 * "good", 24 candidates drawn from the good density l(x), the one maximising l(x)/g(x) wins.
 * Numeric spaces use truncated Gaussian kernels (in log space for loguniform) with a prior kernel
 * over the whole range; categorical spaces use smoothed frequencies.
 */
public final class TpeSampler implements Sampler {
  static final int STARTUP = 10;
  static final int CANDIDATES = 24;
  private final Map<String, Dimension> space;
  private final long seed;
  private final SweepSpec.Objective objective;

  public TpeSampler(Map<String, Dimension> space, long seed, SweepSpec.Objective objective) {
    this.space = space;
    this.seed = seed;
    this.objective = objective;
  }

  @Override
  public Optional<Map<String, Object>> suggest(int number, List<Trial> history) {
    List<Trial> done =
        history.stream()
            .filter(Trial::completed)
            .sorted(
                Comparator.comparingDouble((Trial t) -> objective.loss(t.objective()))
                    .thenComparingInt(Trial::number))
            .toList();
    if (done.size() < STARTUP) {
      return Optional.of(RandomSampler.sample(space, seed, number));
    }
    int nGood = Math.max(1, Math.min((int) Math.ceil(0.1 * done.size()), 25));
    List<Trial> good = done.subList(0, nGood);
    List<Trial> bad = done.subList(nGood, done.size());
    SplittableRandom random = new SplittableRandom(seed * 7_919L + number * 31L + 17);
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Dimension> e : space.entrySet()) {
      out.put(e.getKey(), suggestOne(e.getKey(), e.getValue(), good, bad, random));
    }
    return Optional.of(out);
  }

  private static Object suggestOne(
      String name, Dimension d, List<Trial> good, List<Trial> bad, SplittableRandom random) {
    if (d instanceof Dimension.Choice c) {
      return categorical(name, c.values(), good, bad, random);
    }
    if (d instanceof Dimension.Grid g) {
      return categorical(name, g.values(), good, bad, random);
    }
    if (d instanceof Dimension.Uniform u) {
      return numeric(name, u.low(), u.high(), false, good, bad, random);
    }
    if (d instanceof Dimension.LogUniform l) {
      return Math.exp(
          numeric(name, Math.log(l.low()), Math.log(l.high()), true, good, bad, random));
    }
    Dimension.IntRange r = (Dimension.IntRange) d;
    return Math.max(
        r.low(),
        Math.min(
            r.high(),
            Math.round(numeric(name, r.low() - 0.5, r.high() + 0.5, false, good, bad, random))));
  }

  private static Object categorical(
      String name, List<Object> values, List<Trial> good, List<Trial> bad, SplittableRandom r) {
    double[] l = weights(name, values, good);
    double[] g = weights(name, values, bad);
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < CANDIDATES; i++) {
      int k = draw(l, r);
      double score = Math.log(l[k]) - Math.log(g[k]);
      if (score > bestScore) {
        bestScore = score;
        best = k;
      }
    }
    return values.get(best);
  }

  private static double[] weights(String name, List<Object> values, List<Trial> trials) {
    double[] w = new double[values.size()];
    java.util.Arrays.fill(w, 1.0 / values.size()); // prior
    for (Trial t : trials) {
      int k = indexOf(values, t.params().get(name));
      if (k >= 0) {
        w[k] += 1;
      }
    }
    double sum = 0;
    for (double x : w) {
      sum += x;
    }
    for (int i = 0; i < w.length; i++) {
      w[i] /= sum;
    }
    return w;
  }

  private static int indexOf(List<Object> values, Object v) {
    for (int i = 0; i < values.size(); i++) {
      if (String.valueOf(values.get(i)).equals(String.valueOf(v))) {
        return i;
      }
    }
    return -1;
  }

  private static int draw(double[] p, SplittableRandom r) {
    double u = r.nextDouble();
    for (int i = 0; i < p.length; i++) {
      u -= p[i];
      if (u <= 0) {
        return i;
      }
    }
    return p.length - 1;
  }

  /** Samples in the (possibly log) internal space [low, high]; returns an internal value. */
  private static double numeric(
      String name,
      double low,
      double high,
      boolean log,
      List<Trial> good,
      List<Trial> bad,
      SplittableRandom r) {
    Parzen l = Parzen.fit(points(name, log, good), low, high);
    Parzen g = Parzen.fit(points(name, log, bad), low, high);
    double best = Double.NaN;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < CANDIDATES; i++) {
      double x = l.sample(r);
      double score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return best;
  }

  private static List<Double> points(String name, boolean log, List<Trial> trials) {
    List<Double> out = new ArrayList<>();
    for (Trial t : trials) {
      Object v = t.params().get(name);
      if (v instanceof Number n) {
        out.add(log ? Math.log(n.doubleValue()) : n.doubleValue());
      }
    }
    return out;
  }

  /** A mixture of Gaussians truncated to [low, high]: one per point plus a wide prior. */
  record Parzen(double[] mu, double[] sigma, double low, double high) {
    static Parzen fit(List<Double> points, double low, double high) {
      List<Double> sorted = new ArrayList<>(points);
      sorted.sort(null);
      int n = sorted.size();
      double[] mu = new double[n + 1];
      double[] sigma = new double[n + 1];
      double range = high - low;
      double minSigma = range / Math.min(100.0, 1.0 + n);
      for (int i = 0; i < n; i++) {
        double left = i == 0 ? sorted.get(i) - low : sorted.get(i) - sorted.get(i - 1);
        double right = i == n - 1 ? high - sorted.get(i) : sorted.get(i + 1) - sorted.get(i);
        mu[i] = sorted.get(i);
        sigma[i] = Math.max(minSigma, Math.min(range, Math.max(left, right)));
      }
      mu[n] = low + range / 2;
      sigma[n] = range;
      return new Parzen(mu, sigma, low, high);
    }

    double sample(SplittableRandom r) {
      int k = r.nextInt(mu.length);
      for (int tries = 0; tries < 100; tries++) {
        double x = mu[k] + sigma[k] * gaussian(r);
        if (x >= low && x <= high) {
          return x;
        }
      }
      return Math.max(low, Math.min(high, mu[k]));
    }

    double logPdf(double x) {
      double sum = 0;
      for (int i = 0; i < mu.length; i++) {
        double z = (x - mu[i]) / sigma[i];
        double mass = phi((high - mu[i]) / sigma[i]) - phi((low - mu[i]) / sigma[i]);
        sum += Math.exp(-0.5 * z * z) / (sigma[i] * Math.sqrt(2 * Math.PI) * Math.max(mass, 1e-12));
      }
      return Math.log(sum / mu.length + 1e-300);
    }

    private static double gaussian(SplittableRandom r) {
      double u1 = Math.max(r.nextDouble(), 1e-300);
      double u2 = r.nextDouble();
      return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    /** The standard normal CDF, from erf (Abramowitz and Stegun 7.1.26, error < 1.5e-7). */
    static double phi(double z) {
      double x = Math.abs(z) / Math.sqrt(2);
      double t = 1 / (1 + 0.3275911 * x);
      double erf =
          1
              - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
                      + 0.254829592)
                  * t
                  * Math.exp(-x * x);
      return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
    }
  }
}

package dev.mlscale.sweep;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.hipparchus.exception.MathIllegalStateException;
import org.hipparchus.optim.InitialGuess;
import org.hipparchus.optim.MaxEval;
import org.hipparchus.optim.SimpleBounds;
import org.hipparchus.optim.nonlinear.scalar.GoalType;
import org.hipparchus.optim.nonlinear.scalar.ObjectiveFunction;
import org.hipparchus.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;

/**
 * Gaussian-process regression on points of the unit cube, as Optuna's {@code GPSampler} fits it: a
 * Matérn-5/2 kernel with one length scale per dimension (ARD), a kernel scale and a noise variance.
 * A categorical dimension holds the index of its value and counts as distance 1 when two indices
 * differ. The hyper-parameters maximise the log marginal likelihood plus Optuna's log prior (length
 * scales pulled towards 1, a Gamma(2, 1) kernel scale, a Gamma(1.1, 30) noise variance above a
 * floor of 1e-6), found by BOBYQA from a default start and a random one.
 *
 * <p>The targets should be standardised (mean 0, variance 1). Immutable once built.
 */
final class GaussianProcess {
  static final double MIN_NOISE = 1e-6;
  private static final int RESTARTS = 1;
  private static final int EVALUATIONS = 25;

  /** The fitted hyper-parameters: inverse squared length scales, kernel scale, noise variance. */
  record Params(double[] inverseSquaredLengths, double scale, double noise) {
    Params {
      inverseSquaredLengths = inverseSquaredLengths.clone();
    }

    static Params of(double[] logs) {
      int d = logs.length - 2;
      double[] isl = new double[d];
      for (int k = 0; k < d; k++) {
        isl[k] = Math.exp(logs[k]);
      }
      return new Params(isl, Math.exp(logs[d]), MIN_NOISE + Math.exp(logs[d + 1]));
    }

    double logPrior() {
      double p = 0;
      for (double v : inverseSquaredLengths) {
        p -= 0.1 / v + 0.1 * v;
      }
      p += Math.log(scale) - scale;
      p += 0.1 * Math.log(noise) - 30 * noise;
      return p;
    }
  }

  private final double[][] x;
  private final double[] y;
  private final boolean[] categorical;
  private final Params params;
  private final double[][] chol;
  private final double[] alpha;

  private GaussianProcess(double[][] x, double[] y, boolean[] categorical, Params params) {
    this.x = x;
    this.y = y;
    this.categorical = categorical;
    this.params = params;
    double[][] k = covariance(x, categorical, params);
    this.chol = cholesky(k);
    if (chol == null) {
      throw new IllegalStateException("the kernel matrix is not positive definite");
    }
    this.alpha = solveUpper(chol, solveLower(chol, y));
  }

  /** The model with hyper-parameters fitted to these points. */
  static GaussianProcess fit(
      double[][] x, double[] y, boolean[] categorical, SplittableRandom random) {
    int d = categorical.length;
    double[][] sq = pairDistances(x, categorical);
    double[] lower = new double[d + 2];
    double[] upper = new double[d + 2];
    Arrays.fill(lower, 0, d, Math.log(1e-2));
    Arrays.fill(upper, 0, d, Math.log(1e3));
    lower[d] = Math.log(1e-2);
    upper[d] = Math.log(1e2);
    lower[d + 1] = Math.log(1e-9);
    upper[d + 1] = Math.log(1.0);
    Best best = new Best();
    ObjectiveFunction objective =
        new ObjectiveFunction(logs -> best.offer(logs, logEvidence(sq, y, Params.of(logs))));
    for (int start = 0; start <= RESTARTS; start++) {
      double[] guess = new double[d + 2];
      guess[d + 1] = Math.log(1e-2);
      if (start > 0) {
        for (int i = 0; i < guess.length; i++) {
          guess[i] = lower[i] + (0.1 + 0.8 * random.nextDouble()) * (upper[i] - lower[i]);
        }
      }
      best.offer(guess, logEvidence(sq, y, Params.of(guess)));
      maximise(objective, guess, lower, upper, 1.0, 1e-3, EVALUATIONS * (d + 2));
    }
    return new GaussianProcess(x, y, categorical, Params.of(best.point));
  }

  /** The best point a search has evaluated, kept when the search runs out of evaluations. */
  static final class Best {
    double[] point;
    double value = Double.NEGATIVE_INFINITY;

    double offer(double[] x, double v) {
      if (point == null || v > value) {
        point = x.clone();
        value = v;
      }
      return v;
    }
  }

  /**
   * BOBYQA maximising {@code f} within the bounds, at most {@code evaluations} evaluations; {@code
   * f} is expected to record its best point (see {@link Best}), which stays valid when the search
   * stops early.
   */
  static void maximise(
      ObjectiveFunction f,
      double[] guess,
      double[] lower,
      double[] upper,
      double radius,
      double stop,
      int evaluations) {
    try {
      new BOBYQAOptimizer(2 * guess.length + 1, radius, stop)
          .optimize(
              new MaxEval(evaluations),
              f,
              GoalType.MAXIMIZE,
              new InitialGuess(guess),
              new SimpleBounds(lower, upper));
    } catch (MathIllegalStateException e) {
      // out of evaluations: the best point so far stands
    }
  }

  /**
   * This model with its hyper-parameters kept and more points observed, each with the value this
   * model expects there (the kriging believer), for trials still running: the posterior mean stays
   * as it was everywhere, and the uncertainty around those points shrinks, so that a batch's next
   * suggestion looks elsewhere or close by, as the expected improvement says.
   */
  GaussianProcess believing(double[][] moreX) {
    if (moreX.length == 0) {
      return this;
    }
    double[][] allX = Arrays.copyOf(x, x.length + moreX.length);
    System.arraycopy(moreX, 0, allX, x.length, moreX.length);
    double[] allY = Arrays.copyOf(y, y.length + moreX.length);
    for (int i = 0; i < moreX.length; i++) {
      allY[y.length + i] = posterior(moreX[i])[0];
    }
    return new GaussianProcess(allX, allY, categorical, params);
  }

  /** This model with its hyper-parameters kept and more points observed at {@code value}. */
  GaussianProcess lying(double[][] moreX, double value) {
    if (moreX.length == 0) {
      return this;
    }
    double[][] allX = Arrays.copyOf(x, x.length + moreX.length);
    System.arraycopy(moreX, 0, allX, x.length, moreX.length);
    double[] allY = Arrays.copyOf(y, y.length + moreX.length);
    Arrays.fill(allY, y.length, allY.length, value);
    return new GaussianProcess(allX, allY, categorical, params);
  }

  Params params() {
    return params;
  }

  /** The posterior mean and variance of the latent function at {@code p}. */
  double[] posterior(double[] p) {
    int n = x.length;
    double[] ks = new double[n];
    double mean = 0;
    for (int i = 0; i < n; i++) {
      ks[i] = kernel(distance(p, x[i], categorical, params.inverseSquaredLengths()), params);
      mean += ks[i] * alpha[i];
    }
    double[] v = solveLower(chol, ks);
    double var = params.scale();
    for (double vi : v) {
      var -= vi * vi;
    }
    return new double[] {mean, Math.max(var, 1e-12)};
  }

  /** Log marginal likelihood plus log prior; minus infinity when the matrix is singular. */
  private static double logEvidence(double[][] sq, double[] y, Params p) {
    int n = y.length;
    int d = p.inverseSquaredLengths().length;
    double[][] k = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double d2 = 0;
        double[] s = sq[i * n + j];
        for (int c = 0; c < d; c++) {
          d2 += s[c] * p.inverseSquaredLengths()[c];
        }
        k[i][j] = kernel(d2, p) + (i == j ? p.noise() : 0);
      }
    }
    double[][] l = cholesky(k);
    if (l == null) {
      return -1e300;
    }
    double[] a = solveLower(l, y);
    double fit = 0;
    double logDet = 0;
    for (int i = 0; i < n; i++) {
      fit += a[i] * a[i];
      logDet += Math.log(l[i][i]);
    }
    return -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI) + p.logPrior();
  }

  private static double[][] pairDistances(double[][] x, boolean[] categorical) {
    int n = x.length;
    int d = categorical.length;
    double[][] sq = new double[n * n][];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double[] s = new double[d];
        for (int c = 0; c < d; c++) {
          double diff = x[i][c] - x[j][c];
          s[c] = categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff;
        }
        sq[i * n + j] = s;
      }
    }
    return sq;
  }

  private static double distance(double[] a, double[] b, boolean[] categorical, double[] isl) {
    double d2 = 0;
    for (int c = 0; c < a.length; c++) {
      double diff = a[c] - b[c];
      d2 += isl[c] * (categorical[c] ? (diff == 0 ? 0 : 1) : diff * diff);
    }
    return d2;
  }

  /** Matérn 5/2 of the scaled squared distance. */
  private static double kernel(double d2, Params p) {
    double r = Math.sqrt(5 * d2);
    return p.scale() * Math.exp(-r) * (1 + r + r * r / 3);
  }

  private static double[][] covariance(double[][] x, boolean[] categorical, Params p) {
    int n = x.length;
    double[][] k = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double d2 = distance(x[i], x[j], categorical, p.inverseSquaredLengths());
        k[i][j] = kernel(d2, p) + (i == j ? p.noise() : 0);
      }
    }
    return k;
  }

  /** The lower Cholesky factor of the symmetric matrix whose lower triangle is given, or null. */
  private static double[][] cholesky(double[][] a) {
    int n = a.length;
    double[][] l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i][j];
        double[] li = l[i];
        double[] lj = l[j];
        for (int k = 0; k < j; k++) {
          s -= li[k] * lj[k];
        }
        if (i == j) {
          if (s <= 0 || Double.isNaN(s)) {
            return null;
          }
          li[i] = Math.sqrt(s);
        } else {
          li[j] = s / lj[j];
        }
      }
    }
    return l;
  }

  private static double[] solveLower(double[][] l, double[] b) {
    int n = b.length;
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) {
        s -= l[i][k] * out[k];
      }
      out[i] = s / l[i][i];
    }
    return out;
  }

  private static double[] solveUpper(double[][] l, double[] b) {
    int n = b.length;
    double[] out = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = b[i];
      for (int k = i + 1; k < n; k++) {
        s -= l[k][i] * out[k];
      }
      out[i] = s / l[i][i];
    }
    return out;
  }
}

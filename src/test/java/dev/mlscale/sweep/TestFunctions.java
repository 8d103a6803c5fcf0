package dev.mlscale.sweep;

import java.util.List;
import java.util.Map;

/** The test functions of the sampler tests and the search-quality bench, written once. */
public final class TestFunctions {
  private TestFunctions() {}

  /** A parameter's value as a double, whatever number type the sampler gave. */
  public static double x(Map<String, Object> p, String k) {
    return ((Number) p.get(k)).doubleValue();
  }

  /** Branin on [-5, 10] x [0, 15]; its minimum is 0.397887. */
  public static double branin(double x, double y) {
    return Math.pow(y - 5.1 / (4 * Math.PI * Math.PI) * x * x + 5 / Math.PI * x - 6, 2)
        + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x)
        + 10;
  }

  /** Hartmann-6 on [0, 1]^6 over x0..x5; its minimum is -3.32237. */
  public static double hartmann6(Map<String, Object> p) {
    double[] a = {1.0, 1.2, 3.0, 3.2};
    double[][] m = {
      {10, 3, 17, 3.5, 1.7, 8}, {0.05, 10, 17, 0.1, 8, 14},
      {3, 3.5, 1.7, 10, 17, 8}, {17, 8, 0.05, 10, 0.1, 14}
    };
    double[][] q = {
      {1312, 1696, 5569, 124, 8283, 5886}, {2329, 4135, 8307, 3736, 1004, 9991},
      {2348, 1451, 3522, 2883, 3047, 6650}, {4047, 8828, 8732, 5743, 1091, 381}
    };
    double sum = 0;
    for (int i = 0; i < 4; i++) {
      double e = 0;
      for (int j = 0; j < 6; j++) {
        e += m[i][j] * Math.pow(x(p, "x" + j) - q[i][j] * 1e-4, 2);
      }
      sum -= a[i] * Math.exp(-e);
    }
    return sum;
  }

  /**
   * A mixed space (opt: sgd|adam|rmsprop, layers 1-20, lr log-scale): the best learning rate
   * depends on the optimiser; minimum 0 at adam, 7 layers, lr 10^-3.5.
   */
  public static double mixed(Map<String, Object> p) {
    int opt = List.of("sgd", "adam", "rmsprop").indexOf(p.get("opt"));
    double best = new double[] {-1.5, -3.5, -2.5}[opt];
    double layers = (x(p, "layers") - 7) / 4.0;
    return new double[] {0.5, 0, 0.3}[opt]
        + layers * layers
        + Math.pow(Math.log10(x(p, "lr")) - best, 2);
  }
}

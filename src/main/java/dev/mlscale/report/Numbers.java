package dev.mlscale.report;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Map;
import java.util.stream.Collectors;

/** Numbers as people write them, the same in tables, the HTML page and the plots. */
public final class Numbers {
  private Numbers() {}

  /**
   * A number as a person writes it, to 4 significant digits: {@code 0.0001}, {@code 0.9689}, {@code
   * 1234}, never {@code 1.0E-4}; only below {@code 1e-6} or from {@code 1e15} on with an exponent,
   * {@code 2.5e-9}.
   */
  public static String number(double v) {
    if (!Double.isFinite(v)) {
      return Double.toString(v);
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e12) {
      return Long.toString((long) v);
    }
    BigDecimal rounded = new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros();
    double size = Math.abs(v);
    if (size >= 1e-6 && size < 1e15) {
      return rounded.toPlainString();
    }
    return rounded.toString().replace("E+", "e").replace("E", "e");
  }

  /** Parameters as {@code lr=0.0001 act=tanh layers=3}, in the map's order. */
  public static String params(Map<String, Object> params) {
    return params.entrySet().stream()
        .map(e -> e.getKey() + "=" + (e.getValue() instanceof Double d ? number(d) : e.getValue()))
        .collect(Collectors.joining(" "));
  }
}

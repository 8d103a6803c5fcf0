package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigDecimal;

/** CPU cores as Kubernetes writes them: {@code 2}, {@code 0.5}, {@code 500m}. */
public record CpuQuantity(long millis) implements Comparable<CpuQuantity> {
  public CpuQuantity {
    if (millis <= 0) {
      throw new IllegalArgumentException("cpu must be more than 0, got " + millis + "m");
    }
  }

  @JsonCreator
  public static CpuQuantity parse(Object value) {
    String text = String.valueOf(value).trim();
    try {
      if (text.endsWith("m")) {
        return new CpuQuantity(Long.parseLong(text.substring(0, text.length() - 1)));
      }
      return new CpuQuantity(new BigDecimal(text).movePointRight(3).longValueExact());
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a number of CPUs; write it like 2, 0.5 or 500m");
    }
  }

  public static CpuQuantity cores(double cores) {
    return new CpuQuantity(Math.round(cores * 1000));
  }

  public double cores() {
    return millis / 1000.0;
  }

  @JsonValue
  public String toQuantity() {
    return millis % 1000 == 0 ? Long.toString(millis / 1000) : millis + "m";
  }

  @Override
  public int compareTo(CpuQuantity o) {
    return Long.compare(millis, o.millis);
  }

  @Override
  public String toString() {
    return toQuantity();
  }
}

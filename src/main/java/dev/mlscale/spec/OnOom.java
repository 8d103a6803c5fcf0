package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What to do when a job is OOMKilled: run it again with {@code increase} times the memory, up to
 * {@code max}. Example: {@code on_oom: {increase: 2x, max: 16Gi}}.
 */
public record OnOom(double increase, MemorySize max) {
  public OnOom {
    SpecFieldException.check(
        increase > 1.0 && increase <= 16,
        "increase",
        "on_oom.increase must be more than 1x and at most 16x, got " + increase);
    SpecFieldException.require(max, "max", "the most memory to try, e.g. max: 16Gi");
  }

  @JsonCreator
  static OnOom fromYaml(
      @JsonProperty("increase") Object increase, @JsonProperty("max") MemorySize max) {
    return new OnOom(parseFactor(increase), max);
  }

  private static double parseFactor(Object value) {
    if (value == null) {
      return 2.0;
    }
    String text = String.valueOf(value).trim();
    if (text.endsWith("x")) {
      text = text.substring(0, text.length() - 1);
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new SpecFieldException(
          "increase", "'" + value + "' is not a factor; write it like 2x or 1.5x");
    }
  }

  /** The memory for the next attempt, or empty-handed (null) when {@code current} is the max. */
  public MemorySize next(MemorySize current) {
    if (current.compareTo(max) >= 0) {
      return null;
    }
    return current.times(increase).min(max);
  }
}

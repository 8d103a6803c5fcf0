package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Why an attempt of a job failed, as far as retrying is concerned. */
public enum FailureKind {
  /** The program exited with a non-zero code. */
  ERROR,
  /** The job used more memory than its limit and was killed. */
  OOM,
  /** The job ran past its {@code timeout}. */
  TIMEOUT,
  /** The job was disrupted from outside: its node was lost, it was evicted or preempted. */
  DISRUPTION;

  @JsonCreator
  public static FailureKind parse(String text) {
    for (FailureKind k : values()) {
      if (k.yamlName().equals(text)) {
        return k;
      }
    }
    throw new IllegalArgumentException(
        "'"
            + text
            + "' is not a failure kind; use one of "
            + Arrays.stream(values()).map(FailureKind::yamlName).collect(Collectors.joining(", ")));
  }

  @JsonValue
  public String yamlName() {
    return name().toLowerCase(Locale.ROOT);
  }
}

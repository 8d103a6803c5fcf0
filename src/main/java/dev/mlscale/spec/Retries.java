package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * How often a failed job is tried again and for which failures. {@code retries: 3} is short for
 * {@code retries: {limit: 3}}. The delay starts at {@code backoff} and doubles per attempt, up to
 * {@code max_backoff}. A job that exits with one of {@code fail_fast_exit_codes} is never retried:
 * those codes mean "my input is wrong", which another try will not fix.
 */
public record Retries(
    Integer limit,
    Set<FailureKind> on,
    DurationValue backoff,
    DurationValue maxBackoff,
    List<Integer> failFastExitCodes) {
  public static final Retries NONE = new Retries(0, null, null, null, null);

  @JsonCreator
  public Retries {
    limit = limit == null ? 0 : limit;
    SpecFieldException.check(
        limit >= 0 && limit <= 100, "limit", "retries must be between 0 and 100, got " + limit);
    on =
        on == null || on.isEmpty()
            ? Set.copyOf(EnumSet.of(FailureKind.ERROR, FailureKind.DISRUPTION))
            : Set.copyOf(on);
    backoff = backoff == null ? DurationValue.ofSeconds(1) : backoff;
    maxBackoff = maxBackoff == null ? DurationValue.ofSeconds(60) : maxBackoff;
    failFastExitCodes = failFastExitCodes == null ? List.of() : List.copyOf(failFastExitCodes);
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Retries of(int limit) {
    return new Retries(limit, null, null, null, null);
  }

  /** Whether a failure of this kind and exit code may be retried at all. */
  public boolean retries(FailureKind kind, int exitCode) {
    if (kind == FailureKind.ERROR && failFastExitCodes.contains(exitCode)) {
      return false;
    }
    return on.contains(kind);
  }

  /** The delay before attempt {@code nextAttempt} (2 is the first retry). */
  public Duration delayBefore(int nextAttempt) {
    long ms = backoff.duration().toMillis();
    for (int i = 2; i < nextAttempt && ms < maxBackoff.duration().toMillis(); i++) {
      ms *= 2;
    }
    return Duration.ofMillis(Math.min(ms, maxBackoff.duration().toMillis()));
  }
}

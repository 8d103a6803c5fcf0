package dev.mlscale.plan;

import dev.mlscale.spec.FailureKind;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.MemorySize;
import dev.mlscale.spec.OnOom;
import dev.mlscale.spec.Retries;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What happens after a failed attempt, the same for every target: {@code on_oom} runs an OOMKilled
 * job again with more memory (its memory steps), {@code retries} runs other failures again after a
 * backoff that doubles, and a fail-fast exit code is never retried. The local backend asks it after
 * each attempt, the Job backend after each Job, and the Argo compiler turns the same steps into a
 * retry strategy.
 */
public record AttemptPolicy(Retries retries, OnOom onOom) {
  /** The most memory steps on_oom may take (a ladder from 1 byte to 16x per step ends sooner). */
  static final int MAX_STEPS = 32;

  public static AttemptPolicy of(JobSpec job) {
    return new AttemptPolicy(job.retries(), job.onOom());
  }

  /**
   * The memory after an OOMKilled attempt at {@code current}: empty without on_oom, at its max, or
   * when the next step is more than {@code capacity} (null: no cap, a cluster's nodes decide).
   */
  public Optional<MemorySize> afterOom(MemorySize current, MemorySize capacity) {
    if (onOom == null || current == null) {
      return Optional.empty();
    }
    MemorySize next = onOom.next(current);
    if (next == null || (capacity != null && next.compareTo(capacity) > 0)) {
      return Optional.empty();
    }
    return Optional.of(next);
  }

  /**
   * The delay before the next attempt when a failure of {@code kind} with {@code exitCode} may be
   * retried and {@code retriesUsed} retries were made so far; empty when it may not.
   */
  public Optional<Duration> retryAfter(
      FailureKind kind, int exitCode, int retriesUsed, int nextAttempt) {
    if (!retries.retries(kind, exitCode) || retriesUsed >= retries.limit()) {
      return Optional.empty();
    }
    return Optional.of(retries.delayBefore(nextAttempt));
  }

  /** The memory of each try under on_oom: the job's, then more each time up to the max. */
  public List<MemorySize> memorySteps(MemorySize first) {
    if (first == null) {
      return List.of();
    }
    List<MemorySize> out = new ArrayList<>(List.of(first));
    MemorySize memory = first;
    while (onOom != null && out.size() < MAX_STEPS) {
      memory = onOom.next(memory);
      if (memory == null) {
        break;
      }
      out.add(memory);
    }
    return out;
  }

  /** How a failure that is not tried again is explained: its message, and why not. */
  public String finalMessage(FailureKind kind, String message) {
    return kind == FailureKind.OOM && onOom != null
        ? message + "; on_oom reached its max of " + onOom.max()
        : message;
  }
}

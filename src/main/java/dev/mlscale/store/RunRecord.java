package dev.mlscale.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * A run as stored: what was asked ({@code name}, {@code specFile}, {@code params}) and how it went.
 * {@code reason} is a Kubernetes-style word for how it ended (Completed, Error, OOMKilled,
 * DeadlineExceeded, Cancelled, SetupFailed); {@code message} says it in plain words.
 */
public record RunRecord(
    String id,
    String name,
    String target,
    String specFile,
    RunState state,
    String reason,
    String message,
    Integer exitCode,
    Instant createdAt,
    Instant startedAt,
    Instant endedAt,
    String runDir,
    Map<String, Object> params,
    Long ownerPid,
    Long pid,
    int attempts,
    String model) {

  /** A run just created by this process, not started yet. */
  public static RunRecord pending(
      String id,
      String name,
      String target,
      String specFile,
      Instant createdAt,
      String runDir,
      Map<String, Object> params) {
    return new RunRecord(
        id,
        name,
        target,
        specFile,
        RunState.PENDING,
        null,
        null,
        null,
        createdAt,
        null,
        null,
        runDir,
        params,
        ProcessHandle.current().pid(),
        null,
        0,
        null);
  }

  public Optional<Duration> duration(Instant now) {
    if (startedAt == null) {
      return Optional.empty();
    }
    return Optional.of(Duration.between(startedAt, endedAt == null ? now : endedAt));
  }
}

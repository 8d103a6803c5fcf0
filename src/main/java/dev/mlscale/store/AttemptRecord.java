package dev.mlscale.store;

import java.time.Instant;

/** One try of a run: each retry is its own attempt with its own end reason and memory figures. */
public record AttemptRecord(
    String runId,
    int number,
    RunState state,
    String reason,
    Integer exitCode,
    String message,
    Long memoryLimit,
    Long peakMemory,
    Instant startedAt,
    Instant endedAt) {}

package dev.mlscale.backend;

import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.RunState;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** How a run ended, as the CLI reports it. */
public record RunOutcome(
    String runId,
    String name,
    RunState state,
    String reason,
    String message,
    Integer exitCode,
    int attempts,
    Duration duration,
    Map<String, Double> metrics,
    ModelRecord model) {

  public Optional<ModelRecord> modelOpt() {
    return Optional.ofNullable(model);
  }
}

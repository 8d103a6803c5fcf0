package dev.mlscale.store;

import java.time.Instant;
import java.util.Map;

/** A saved model version with the run, parameters and final metrics that produced it. */
public record ModelRecord(
    String name,
    int version,
    String runId,
    String path,
    Instant createdAt,
    Map<String, Object> params,
    Map<String, Double> metrics,
    long sizeBytes) {

  public String ref() {
    return name + ":" + version;
  }
}

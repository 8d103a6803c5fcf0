package dev.mlscale.spec;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One training run as a gang of {@code workers} cooperating processes (data-parallel training):
 * they start together, each with the job's resources, and learn where the others are from the
 * environment (torchrun's {@code MASTER_ADDR}, {@code MASTER_PORT}, {@code WORLD_SIZE}, {@code
 * RANK}, and the generic {@code MLSCALE_WORKER_INDEX}, {@code MLSCALE_WORKER_HOSTS}). One worker
 * failing stops the others; a retry restarts them all. Example: {@code distributed: {workers: 2}}.
 *
 * @param workers how many workers (1 to 256); worker 0 is rank 0: its metrics and model count
 * @param port the port every worker listens on, on the cluster (each pod has its own address); on
 *     this machine each worker gets a free port of its own instead
 * @param startTimeout on the cluster, how long the workers wait for all their peers to have an
 *     address (to be scheduled and started) before the gang gives up, so that no worker waits for
 *     peers forever; on this machine a gang starts only when all its workers fit, at once
 */
public record Distributed(int workers, int port, DurationValue startTimeout) {
  public static final DurationValue DEFAULT_START_TIMEOUT = DurationValue.ofSeconds(600);
  public static final int DEFAULT_PORT = 29500;
  public static final int MAX_WORKERS = 256;

  public Distributed {
    SpecFieldException.check(
        workers >= 1 && workers <= MAX_WORKERS,
        "workers",
        "distributed.workers must be 1 to " + MAX_WORKERS + ", got " + workers);
    SpecFieldException.check(
        port >= 1024 && port <= 65535,
        "port",
        "distributed.port must be 1024 to 65535 (an unprivileged port), got " + port);
    startTimeout = startTimeout == null ? DEFAULT_START_TIMEOUT : startTimeout;
    SpecFieldException.check(
        !startTimeout.duration().isNegative() && !startTimeout.duration().isZero(),
        "start_timeout",
        "distributed.start_timeout must be more than 0, e.g. start_timeout: 10m");
  }

  public Distributed(int workers, int port) {
    this(workers, port, null);
  }

  @JsonCreator
  static Distributed fromYaml(
      @JsonProperty("workers") Integer workers,
      @JsonProperty("port") Integer port,
      @JsonProperty("start_timeout") DurationValue startTimeout) {
    SpecFieldException.require(workers, "workers", "how many workers, e.g. workers: 2");
    return new Distributed(workers, port == null ? DEFAULT_PORT : port, startTimeout);
  }
}

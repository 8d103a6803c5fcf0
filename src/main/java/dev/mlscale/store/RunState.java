package dev.mlscale.store;

/** Where a run is in its life. The last three are final. */
public enum RunState {
  /** Created, not yet started. */
  PENDING,
  /** Waiting for CPU, memory or GPUs of this machine to be free, or for quota in a Kueue queue. */
  WAITING,
  /** Preparing its environment (the spec's {@code setup}). */
  PREPARING,
  /** An attempt is running. */
  RUNNING,
  /** Waiting to start the next attempt after a failed one. */
  BACKOFF,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  public boolean isFinal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }

  /** How the state is shown: {@code Succeeded}, {@code Waiting}. */
  public String display() {
    return name().charAt(0) + name().substring(1).toLowerCase();
  }
}

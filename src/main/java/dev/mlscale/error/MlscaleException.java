package dev.mlscale.error;

/**
 * The one root of every error mlscale reports to a user. Each subclass carries its exit code; the
 * message says what went wrong and what to do about it, so the CLI prints it without a stack trace.
 */
public abstract class MlscaleException extends RuntimeException {
  protected MlscaleException(String message) {
    super(message);
  }

  protected MlscaleException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The process exit code the CLI uses for this error. */
  public abstract int exitCode();
}

package dev.mlscale.error;

/**
 * The machine or cluster mlscale runs on cannot do what was asked: a missing interpreter, a setup
 * step that failed, an unreachable API server, an unwritable home. Exit code 3.
 */
public class EnvironmentError extends MlscaleException {
  public EnvironmentError(String message) {
    super(message);
  }

  public EnvironmentError(String message, Throwable cause) {
    super(message, cause);
  }

  @Override
  public int exitCode() {
    return 3;
  }
}

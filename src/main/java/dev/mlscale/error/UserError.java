package dev.mlscale.error;

import java.util.Optional;

/**
 * Something the user wrote or typed is wrong: a spec field, a flag, a file that does not exist.
 * Exit code 2. When the error is inside a file, {@link #position()} names the place.
 */
public class UserError extends MlscaleException {
  private final SourcePosition position;

  public UserError(String message) {
    this(null, message);
  }

  public UserError(SourcePosition position, String message) {
    super(message);
    this.position = position;
  }

  public Optional<SourcePosition> position() {
    return Optional.ofNullable(position);
  }

  /** The message as printed: {@code file:line:col: message} when a position is known. */
  @Override
  public String getMessage() {
    return position == null ? super.getMessage() : position + ": " + super.getMessage();
  }

  /** The message without its position prefix. */
  public String detail() {
    return super.getMessage();
  }

  @Override
  public int exitCode() {
    return 2;
  }
}

package dev.mlscale.spec;

/**
 * Thrown by a spec record's compact constructor when one of its fields is missing or wrong. The
 * loader turns it into a {@link dev.mlscale.error.UserError} at the field's line and column.
 */
public final class SpecFieldException extends IllegalArgumentException {
  private final String field;

  public SpecFieldException(String field, String message) {
    super(message);
    this.field = field;
  }

  /** The field's name as the user writes it (snake_case). */
  public String field() {
    return field;
  }

  static <T> T require(T value, String field, String what) {
    if (value == null) {
      throw new SpecFieldException(field, "missing required field '" + field + "': " + what);
    }
    return value;
  }

  static void check(boolean ok, String field, String message) {
    if (!ok) {
      throw new SpecFieldException(field, message);
    }
  }
}

package dev.mlscale.error;

/** A run, model or other named object that the user asked for does not exist. Exit code 2. */
public class NotFoundError extends UserError {
  private final String kind;
  private final String name;

  public NotFoundError(String kind, String name, String hint) {
    super(kind + " '" + name + "' not found" + (hint == null || hint.isEmpty() ? "" : "; " + hint));
    this.kind = kind;
    this.name = name;
  }

  public String kind() {
    return kind;
  }

  public String name() {
    return name;
  }
}

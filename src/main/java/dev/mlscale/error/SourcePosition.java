package dev.mlscale.error;

/** A place in a file that a user wrote; lines and columns start at 1. */
public record SourcePosition(String file, int line, int column) {
  public SourcePosition {
    if (line < 1 || column < 1) {
      throw new IllegalArgumentException("line and column start at 1: " + line + ":" + column);
    }
  }

  @Override
  public String toString() {
    return file + ":" + line + ":" + column;
  }
}

package dev.mlscale.cluster;

/** How one line of {@code cluster check} came out. */
public enum CheckStatus {
  /** Present and working. */
  OK,
  /** Not there: the line's fix adds it. */
  MISSING,
  /** There, but not as mlscale needs it. */
  WRONG,
  /** Could not be told (no right to look, or an error): the detail says why. */
  UNKNOWN
}

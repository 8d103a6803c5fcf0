package dev.mlscale.sweep;

import java.util.Collection;

/**
 * What {@code algorithm: auto} (the default) picks: {@code gp} for small budgets on small, mostly
 * numeric spaces, where a Gaussian process finds better values in fewer trials; {@code tpe}
 * otherwise, as its cost does not grow with the trials and it handles many categories well. Never
 * {@code grid} or {@code random}: those only when asked.
 *
 * @param algorithm the algorithm picked
 * @param reason why, in a few words, e.g. {@code 5 parameters, 60 trials}
 */
public record AutoAlgorithm(SweepSpec.Algorithm algorithm, String reason) {
  /** At most this many parameters for gp. */
  public static final int GP_MAX_PARAMETERS = 8;

  /** At most this many trials for gp: fitting the model costs the cube of the trials. */
  public static final int GP_MAX_TRIALS = 200;

  public static AutoAlgorithm choose(Collection<Dimension> space, int maxTrials) {
    int parameters = space.size();
    long categories =
        space.stream()
            .filter(d -> d instanceof Dimension.Choice || d instanceof Dimension.Grid)
            .count();
    String size = plural(parameters, "parameter") + ", " + plural(maxTrials, "trial");
    if (parameters > GP_MAX_PARAMETERS) {
      return new AutoAlgorithm(
          SweepSpec.Algorithm.TPE, size + "; gp for at most " + GP_MAX_PARAMETERS + " parameters");
    }
    if (maxTrials > GP_MAX_TRIALS) {
      return new AutoAlgorithm(
          SweepSpec.Algorithm.TPE, size + "; gp for at most " + GP_MAX_TRIALS + " trials");
    }
    if (2 * categories > parameters) {
      return new AutoAlgorithm(
          SweepSpec.Algorithm.TPE,
          size + "; " + categories + " of them categorical, gp for mostly numeric spaces");
    }
    return new AutoAlgorithm(SweepSpec.Algorithm.GP, size);
  }

  private static String plural(long n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }
}

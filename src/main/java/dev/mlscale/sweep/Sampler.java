package dev.mlscale.sweep;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Suggests the parameters of the next trial. Deterministic: the same spec, trial number and history
 * give the same suggestion, so a resumed sweep continues exactly where it stopped.
 */
public interface Sampler {
  /** The parameters for trial {@code number}, or empty when the space is exhausted (grid). */
  Optional<Map<String, Object>> suggest(int number, List<Trial> history);

  static Sampler of(SweepSpec spec) {
    return switch (spec.algorithm()) {
      case GRID -> new GridSampler(spec.dimensions());
      case RANDOM -> new RandomSampler(spec.dimensions(), spec.seed());
      case TPE -> new TpeSampler(spec.dimensions(), spec.seed(), spec.objective());
      case GP -> new GpSampler(spec.dimensions(), spec.seed(), spec.objective());
      case AUTO -> throw new IllegalStateException("the spec resolves auto when it is made");
    };
  }
}

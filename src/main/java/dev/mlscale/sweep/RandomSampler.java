package dev.mlscale.sweep;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/** Independent uniform samples; trial n's values depend only on the seed and n. */
public final class RandomSampler implements Sampler {
  private final Map<String, Dimension> space;
  private final long seed;

  public RandomSampler(Map<String, Dimension> space, long seed) {
    this.space = space;
    this.seed = seed;
  }

  @Override
  public Optional<Map<String, Object>> suggest(int number, List<Trial> history) {
    return Optional.of(sample(space, seed, number));
  }

  static Map<String, Object> sample(Map<String, Dimension> space, long seed, int number) {
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + number);
    Map<String, Object> out = new LinkedHashMap<>();
    space.forEach((k, d) -> out.put(k, d.sample(random)));
    return out;
  }
}

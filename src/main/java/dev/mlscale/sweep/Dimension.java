package dev.mlscale.sweep;

import java.util.List;
import java.util.random.RandomGenerator;

/** One hyper-parameter's search space. */
public sealed interface Dimension {
  /** A random value from this space. */
  Object sample(RandomGenerator random);

  /** Categorical: one of the listed values. */
  record Choice(List<Object> values) implements Dimension {
    public Choice {
      values = List.copyOf(values);
    }

    @Override
    public Object sample(RandomGenerator random) {
      return values.get(random.nextInt(values.size()));
    }
  }

  /** A real number between low and high. */
  record Uniform(double low, double high) implements Dimension {
    @Override
    public Object sample(RandomGenerator random) {
      return low + random.nextDouble() * (high - low);
    }
  }

  /** A real number between low and high, uniform in its logarithm (learning rates). */
  record LogUniform(double low, double high) implements Dimension {
    @Override
    public Object sample(RandomGenerator random) {
      return Math.exp(Math.log(low) + random.nextDouble() * (Math.log(high) - Math.log(low)));
    }
  }

  /** A whole number between low and high, both included. */
  record IntRange(long low, long high) implements Dimension {
    @Override
    public Object sample(RandomGenerator random) {
      return low + random.nextLong(high - low + 1);
    }
  }

  /** Exactly these values, each tried: with the grid algorithm, every combination. */
  record Grid(List<Object> values) implements Dimension {
    public Grid {
      values = List.copyOf(values);
    }

    @Override
    public Object sample(RandomGenerator random) {
      return values.get(random.nextInt(values.size()));
    }
  }
}

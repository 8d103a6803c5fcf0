package dev.mlscale.sweep;

import dev.mlscale.error.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Every combination of the grid and choice values, in order; trial n is combination n. */
public final class GridSampler implements Sampler {
  private final List<String> names = new ArrayList<>();
  private final List<List<Object>> values = new ArrayList<>();

  public GridSampler(Map<String, Dimension> space) {
    space.forEach(
        (name, d) -> {
          List<Object> v = values(d);
          if (v == null) {
            throw new UserError(notFinite(name, d));
          }
          names.add(name);
          values.add(v);
        });
  }

  /** Why the grid cannot try parameter {@code name}, and what to do. */
  public static String notFinite(String name, Dimension d) {
    return "the grid algorithm needs a finite space, but '"
        + name
        + "' is "
        + d
        + "; list the values with grid: [...] or use algorithm random or tpe";
  }

  /** The first parameter of {@code space} whose values the grid cannot list, if any. */
  public static Optional<String> infinite(Map<String, Dimension> space) {
    return space.entrySet().stream()
        .filter(e -> values(e.getValue()) == null)
        .map(Map.Entry::getKey)
        .findFirst();
  }

  /** The values the grid tries of {@code d}; null when there are too many to list. */
  private static List<Object> values(Dimension d) {
    if (d instanceof Dimension.Grid g) {
      return g.values();
    } else if (d instanceof Dimension.Choice c) {
      return c.values();
    } else if (d instanceof Dimension.IntRange r && r.high() - r.low() < 1000) {
      return range(r);
    }
    return null;
  }

  private static List<Object> range(Dimension.IntRange r) {
    List<Object> out = new ArrayList<>();
    for (long i = r.low(); i <= r.high(); i++) {
      out.add(i);
    }
    return out;
  }

  /** How many combinations there are. */
  public long size() {
    long n = 1;
    for (List<Object> v : values) {
      n *= v.size();
    }
    return n;
  }

  @Override
  public Optional<Map<String, Object>> suggest(int number, List<Trial> history) {
    if (number >= size()) {
      return Optional.empty();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    long rest = number;
    for (int i = names.size() - 1; i >= 0; i--) {
      List<Object> v = values.get(i);
      out.put(names.get(i), v.get((int) (rest % v.size())));
      rest /= v.size();
    }
    Map<String, Object> ordered = new LinkedHashMap<>();
    names.forEach(n -> ordered.put(n, out.get(n)));
    return Optional.of(ordered);
  }
}

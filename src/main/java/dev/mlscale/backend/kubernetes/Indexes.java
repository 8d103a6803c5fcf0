package dev.mlscale.backend.kubernetes;

import java.util.Set;
import java.util.TreeSet;

/** Reads the Job status' compressed index lists, e.g. {@code "1,3-5,7"}. */
final class Indexes {
  private Indexes() {}

  static Set<Integer> parse(String text) {
    Set<Integer> out = new TreeSet<>();
    if (text == null || text.isBlank()) {
      return out;
    }
    for (String part : text.split(",")) {
      int dash = part.indexOf('-');
      if (dash < 0) {
        out.add(Integer.parseInt(part.trim()));
      } else {
        int from = Integer.parseInt(part.substring(0, dash).trim());
        int to = Integer.parseInt(part.substring(dash + 1).trim());
        for (int i = from; i <= to; i++) {
          out.add(i);
        }
      }
    }
    return out;
  }
}

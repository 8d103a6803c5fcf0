package dev.mlscale.backend.local;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a gang's log, whose lines the supervisor prefixes with the worker's rank ("[1] ..."): which
 * lines are rank 0's (its metrics count, the others' do not) and each worker's last line (what a
 * failed worker said last).
 */
final class GangLines {
  private static final Pattern RANKED = Pattern.compile("^\\[(\\d+)] ?(.*)$", Pattern.DOTALL);
  private final boolean gang;
  private final Map<Integer, String> last = new HashMap<>();

  GangLines(boolean gang) {
    this.gang = gang;
  }

  boolean gang() {
    return gang;
  }

  /** The line without its prefix when rank 0 wrote it (every line, for a single process). */
  Optional<String> fromRankZero(String line) {
    if (!gang) {
      return Optional.of(line);
    }
    Matcher m = RANKED.matcher(line);
    if (!m.matches()) {
      return Optional.empty(); // the supervisor's own words
    }
    int rank = Integer.parseInt(m.group(1));
    if (!m.group(2).isBlank()) {
      last.put(rank, m.group(2));
    }
    return rank == 0 ? Optional.of(m.group(2)) : Optional.empty();
  }

  /** The last non-blank line worker {@code rank} wrote, or null. */
  String lastLine(int rank) {
    return last.get(rank);
  }
}

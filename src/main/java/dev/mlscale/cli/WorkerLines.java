package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What {@code logs --worker K} keeps of a distributed run's log, whose lines the supervisor
 * prefixes with the worker's rank ("[K] "): worker K's lines, prefix removed. Text arrives in
 * pieces while following; a line is passed on once it is complete.
 */
final class WorkerLines {
  /** Every line as it is. */
  static final WorkerLines ALL = new WorkerLines(null);

  private final String prefix;
  private final StringBuilder partial = new StringBuilder();

  private WorkerLines(String prefix) {
    this.prefix = prefix;
  }

  /**
   * The filter for {@code --worker} (null: none) on attempt {@code n} of the run in {@code dir}.
   */
  static WorkerLines of(Integer worker, String run, Path dir, int n) {
    if (worker == null) {
      return ALL;
    }
    int workers;
    try {
      workers =
          Integer.parseInt(Files.readString(dir.resolve("attempt-" + n + ".workers")).strip());
    } catch (IOException | NumberFormatException e) {
      throw new UserError(
          "run "
              + run
              + " has no workers to choose from (attempt "
              + n
              + " is not a distributed run's gang); remove --worker");
    }
    if (worker < 0 || worker >= workers) {
      throw new UserError(
          "run " + run + " has " + workers + " workers; --worker must be 0.." + (workers - 1));
    }
    return new WorkerLines("[" + worker + "] ");
  }

  /** The complete lines of {@code text} this filter keeps; {@code end}: no more text follows. */
  String accept(String text, boolean end) {
    if (prefix == null) {
      return text;
    }
    partial.append(text);
    StringBuilder out = new StringBuilder();
    int start = 0;
    for (int i = 0; i < partial.length(); i++) {
      if (partial.charAt(i) == '\n') {
        keep(partial.substring(start, i + 1), out);
        start = i + 1;
      }
    }
    partial.delete(0, start);
    if (end && partial.length() > 0) {
      keep(partial + "\n", out);
      partial.setLength(0);
    }
    return out.toString();
  }

  private void keep(String line, StringBuilder out) {
    if (line.startsWith(prefix)) {
      out.append(line, prefix.length(), line.length());
    }
  }
}

package dev.mlscale.cli;

import java.io.PrintStream;
import picocli.CommandLine.Option;

/** The {@code -o table|json|yaml} option, as a mixin: every command that lists or shows has it. */
final class OutputOption {
  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table, json or yaml.")
  OutputFormat format = OutputFormat.TABLE;

  /** Prints {@code value} as JSON or YAML and says true; says false for a table (the caller's). */
  boolean print(PrintStream out, Object value) {
    return format.print(out, value);
  }

  boolean isTable() {
    return format == OutputFormat.TABLE;
  }
}

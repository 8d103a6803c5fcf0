package dev.mlscale.cli;

import picocli.CommandLine.Option;

/** {@code -o yaml|json} of the commands that print the objects a spec renders to (a mixin). */
final class ManifestOutput {
  @Option(
      names = {"-o", "--output"},
      defaultValue = "yaml",
      description = "yaml or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;
}

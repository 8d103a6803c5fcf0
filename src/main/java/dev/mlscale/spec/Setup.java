package dev.mlscale.spec;

import java.util.List;

/**
 * What to prepare once before a job runs. {@code requirements} names a pip requirements file
 * (relative to the workdir) installed into a virtualenv of its own; {@code commands} run after it
 * inside that environment (each a command line split into words, run without a shell); {@code
 * inputs} names further files whose content decides when the environment is rebuilt. The result is
 * cached by the hash of all of these, so a second run starts at once.
 */
public record Setup(
    String python, String requirements, List<String> commands, List<String> inputs) {
  public Setup {
    python = python == null ? "python3" : python;
    commands = commands == null ? List.of() : List.copyOf(commands);
    inputs = inputs == null ? List.of() : List.copyOf(inputs);
  }
}

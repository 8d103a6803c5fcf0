package dev.mlscale.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * A subcommand that does something: it has --help and --version, and the {@link Context} of the
 * invocation, which {@link Main}'s factory hands in before the arguments are parsed.
 */
@Command(mixinStandardHelpOptions = true)
abstract class CliCommand implements Callable<Integer> {
  Context ctx;
}

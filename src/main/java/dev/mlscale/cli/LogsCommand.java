package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    description = "Print a run's output (stdout and stderr, as the job wrote them).")
final class LogsCommand extends CliCommand {
  @Parameters(paramLabel = "RUN", description = "A run id or an unambiguous prefix of it.")
  String run;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new output until the run ends.")
  boolean follow;

  @Option(
      names = "--attempt",
      paramLabel = "N",
      description = "Which attempt to show. Default: the latest.")
  Integer attempt;

  @Option(names = "--setup", description = "Show the output of the environment setup instead.")
  boolean setup;

  @Option(
      names = "--worker",
      paramLabel = "K",
      description =
          "A distributed run: only worker K's output, without its \"[K] \" prefix. Default:"
              + " every worker's, each line prefixed by its rank.")
  Integer worker;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    try (Runs runs = Runs.open(ctx, cluster)) {
      runs.logs(run, new Runs.LogRequest(attempt, setup, follow, worker), ctx.out(), ctx.err());
    }
    return 0;
  }
}

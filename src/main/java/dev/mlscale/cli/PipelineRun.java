package dev.mlscale.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", description = "Run a pipeline on this machine and wait for it.")
final class PipelineRun extends CliCommand {
  @Parameters(paramLabel = "PIPELINE", description = "The pipeline spec (YAML).")
  Path file;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override a field, e.g. --set params.lr=0.01.")
  List<String> overrides = new ArrayList<>();

  @picocli.CommandLine.Mixin PipelineOutput shown = new PipelineOutput();

  @Option(
      names = {"-d", "--detach"},
      description =
          "On the cluster: submit the pipeline and return; 'pipeline status ID -w' follows it.")
  boolean detach;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws InterruptedException {
    try (PipelineRuns pipelines = PipelineRuns.open(ctx, cluster)) {
      return pipelines.start(file, overrides, shown, detach);
    }
  }
}

package dev.mlscale.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a pipeline that runs in this terminal is shown (pipeline run, retry, resume). */
final class PipelineOutput {
  @Option(
      names = {"-q", "--quiet"},
      description = "Do not stream the tasks' output.")
  boolean quiet;

  @Option(
      names = "--picture",
      paramLabel = "FILE.svg",
      description = "Also draw the graph with each task's final state as SVG.")
  Path picture;
}

package dev.mlscale.cli;

import dev.mlscale.pipeline.PipelineView;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;

@Command(
    name = "ls",
    description = "List pipeline runs (this machine's, or the cluster's with --target k8s).")
final class PipelineLs extends CliCommand {
  @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() {
    List<PipelineView> views;
    try (PipelineRuns runs = PipelineRuns.open(ctx, cluster)) {
      views = runs.list();
    }
    if (output.print(ctx.out(), views)) {
      return 0;
    }
    Instant now = ctx.clock().instant();
    Table t = new Table("ID", "PIPELINE", "STATE", "TASKS", "STARTED", "DURATION");
    for (PipelineView v : views) {
      long done = v.tasks().stream().filter(x -> x.phase().equals("Succeeded")).count();
      t.row(
          v.id(),
          v.pipeline(),
          v.phase(),
          done + "/" + v.tasks().size() + " succeeded",
          v.started() == null ? "-" : Format.ago(v.started(), now),
          v.started() == null
              ? "-"
              : Format.duration(
                  java.time.Duration.between(
                      v.started(), v.finished() == null ? now : v.finished())));
    }
    t.print(ctx.out(), "");
    return 0;
  }
}

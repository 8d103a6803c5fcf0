package dev.mlscale.cli;

import dev.mlscale.plan.Planner;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.sweep.SweepSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", description = "Start a sweep from a sweep spec and run it to the end.")
final class SweepRun extends CliCommand {
  @Parameters(paramLabel = "SWEEP", description = "The sweep spec (YAML).")
  Path file;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a sweep field.")
  List<String> overrides = new ArrayList<>();

  @Mixin SweepCommand.Verbose verbose = new SweepCommand.Verbose();

  @Mixin SweepQueue queue = new SweepQueue();

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Override
  public Integer call() throws Exception {
    SweepSpec spec = SweepCommand.load(file, overrides);
    Path jobFile = SweepCommand.jobFile(file, spec);
    if (!jobFile.toFile().isFile()) {
      throw SpecLoader.errorAt(
          file,
          "/job",
          "job '"
              + spec.job()
              + "' does not exist (looked at "
              + jobFile
              + "); the path is relative to the sweep file");
    }
    JobSpec job = new SpecLoader().loadJob(jobFile, queue.jobOverrides()); // its mistakes first
    FieldSupport.print(
        ctx.err(), FieldSupport.checkSweep(file, overrides, jobFile, cluster.target()));
    String id = Planner.newRunId(spec.name());
    try (SweepRuns sweeps = SweepRuns.open(ctx, cluster);
        AutoCloseable owner = sweeps.prepare(id, spec, job, jobFile)) {
      ctx.err()
          .println(
              ctx.style().bold("▶ sweep " + id)
                  + "  "
                  + spec.algorithmText()
                  + ", seed "
                  + spec.seed()
                  + ", "
                  + spec.objective().goal().name().toLowerCase()
                  + " "
                  + spec.objective().metric()
                  + ", "
                  + spec.budget().maxTrials()
                  + " trials, "
                  + spec.budget().maxParallel()
                  + " at a time"
                  + sweeps.where());
      var result =
          sweeps.run(
              new SweepRuns.Start(
                  id,
                  spec,
                  file.toAbsolutePath(),
                  jobFile,
                  new SweepPrinter(ctx, spec, verbose.on),
                  true,
                  queue.jobOverrides()));
      return SweepCommand.report(ctx, id, spec, result);
    }
  }
}

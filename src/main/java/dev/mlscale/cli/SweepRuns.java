package dev.mlscale.cli;

import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * Sweeps, wherever they run: this machine's (the embedded store, trials as local runs) or a
 * cluster's (a ConfigMap per sweep, a Job per trial). Both give the same views and run the same
 * {@link SweepRunner}, so the sweep commands parse, call and print; the target is picked once, from
 * the {@link ClusterOptions} mixin.
 */
interface SweepRuns extends AutoCloseable {
  /** A sweep in a list: a Running sweep whose owner is gone is Interrupted. */
  record SweepView(
      String sweep,
      String name,
      String state,
      Integer trials,
      Instant createdAt,
      Instant endedAt,
      String message) {}

  /** A sweep with its spec and trials. */
  record SweepDetail(String id, String state, String message, SweepSpec spec, List<Trial> trials) {}

  /**
   * A stopped sweep taken over by this process: what to run again, and the claim that makes this
   * process its only owner until closed.
   */
  /**
   * A sweep to go on with; {@code jobOverrides} are those it was started with ({@code --queue}),
   * used unless the resume gives its own.
   */
  record Resumable(
      String id,
      SweepSpec spec,
      Path sweepFile,
      Path jobFile,
      List<String> jobOverrides,
      String banner,
      AutoCloseable owner)
      implements AutoCloseable {
    @Override
    public void close() throws Exception {
      owner.close();
    }
  }

  static SweepRuns open(Context ctx, ClusterOptions cluster) {
    return cluster.onCluster() ? new ClusterSweepRuns(ctx, cluster) : new LocalSweepRuns(ctx);
  }

  List<SweepView> list();

  SweepDetail show(String idOrPrefix);

  /** Where trials run, for the header: "" or ", on Kubernetes". */
  String where();

  /**
   * Checks what this target can check of a trial before anything is recorded, and makes this
   * process the new sweep's owner until the claim is closed.
   */
  AutoCloseable prepare(String id, SweepSpec spec, JobSpec job, Path jobFile);

  /**
   * What {@link #run} runs: {@code create} records the sweep first (else it is resumed); {@code
   * jobOverrides} change the trials' job spec (e.g. {@code --queue}).
   */
  record Start(
      String id,
      SweepSpec spec,
      Path sweepFile,
      Path jobFile,
      SweepRunner.SweepListener listener,
      boolean create,
      List<String> jobOverrides) {
    /** The trials' job spec, with the overrides. */
    JobSpec job() {
      return new SpecLoader().loadJob(jobFile, jobOverrides);
    }
  }

  /** Runs the sweep to its end. */
  SweepRunner.Result run(Start start);

  /** Takes over a sweep whose process stopped. */
  Resumable resume(String idOrPrefix);

  @Override
  void close();
}

package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.plan.Planner;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.sweep.ClusterSweeps;
import dev.mlscale.sweep.ClusterTrials;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import dev.mlscale.sweep.Trial;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A cluster's sweeps, readable and resumable from any machine with the kubeconfig. */
final class ClusterSweepRuns implements SweepRuns {
  private final Context ctx;
  private final ClusterOptions options;
  private AutoClose connection;

  ClusterSweepRuns(Context ctx, ClusterOptions options) {
    this.ctx = ctx;
    this.options = options;
  }

  private AutoClose connection() {
    if (connection == null) {
      connection = new AutoClose(options.connect(ctx));
    }
    return connection;
  }

  @Override
  public List<SweepView> list() {
    return new ClusterSweeps(connection().get())
        .list().stream()
            .map(
                (Map<String, String> s) ->
                    new SweepView(
                        s.get("sweep"),
                        s.get("name"),
                        s.get("state"),
                        null,
                        s.get("created") == null ? null : Instant.parse(s.get("created")),
                        null,
                        s.get("message")))
            .toList();
  }

  @Override
  public SweepDetail show(String id) {
    ClusterSweeps.Stored stored = load(id);
    SweepSpec spec = new SpecLoader().parse(stored.specJson(), id, SweepSpec.class, List.of());
    List<Trial> trials = new ClusterTrials(id, null, null, connection().get(), null, null).load();
    return new SweepDetail(stored.id(), stored.state(), stored.message(), spec, trials);
  }

  private ClusterSweeps.Stored load(String id) {
    try {
      return new ClusterSweeps(connection().get())
          .load(id, Files.createTempDirectory("mlscale-sweep-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String where() {
    return ", on Kubernetes";
  }

  @Override
  public AutoCloseable prepare(String id, SweepSpec spec, JobSpec job, Path jobFile) {
    if (job.distributedOpt().isPresent() && job.retries().limit() > 0) {
      // a trial is one Job tried once: a gang's retry is a new Job, which trials do not make yet
      throw SpecLoader.errorAt(
          jobFile,
          "/retries",
          "a sweep's distributed trials on Kubernetes are not retried: remove retries (set"
              + " retries: 0) from the job, or run the sweep on this machine, where a trial's"
              + " gang is retried whole");
    }
    return () -> {}; // checked by the server when the sweep is created; the cluster owns it
  }

  @Override
  public SweepRunner.Result run(SweepRuns.Start start) {
    String id = start.id();
    JobSpec job = start.job();
    try (var jobs = new AutoClose(options.connect(ctx, List.of(job)))) {
      var backend = new KubernetesBackend(jobs.get(), ctx.runs(), ctx.clock());
      if (start.create()) {
        backend.preflight(Planner.submission(id + "-t0", job, start.jobFile()));
        new ClusterSweeps(jobs.get())
            .create(
                id,
                SweepCommand.json(start.spec()),
                start.jobFile(),
                start.jobOverrides(),
                CodeArchive.of(Planner.plan(id, job, start.jobFile()).workdir()));
      }
      return new SweepRunner(
              new ClusterTrials(id, job, start.jobFile(), jobs.get(), backend, ctx.runs()),
              start.listener())
          .run(start.spec(), job);
    }
  }

  @Override
  public Resumable resume(String id) {
    ClusterSweeps.Stored stored = load(id);
    SweepSpec spec = new SpecLoader().parse(stored.specJson(), id, SweepSpec.class, List.of());
    return new Resumable(
        id,
        spec,
        stored.jobFile(),
        stored.jobFile(),
        stored.jobOverrides(),
        "from the cluster",
        () -> {});
  }

  @Override
  public void close() {
    if (connection != null) {
      connection.close();
    }
  }
}

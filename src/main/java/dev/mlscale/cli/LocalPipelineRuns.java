package dev.mlscale.cli;

import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.LocalPipelineRunner;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.pipeline.PipelineView;
import dev.mlscale.plan.Planner;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.PipelineStore;
import dev.mlscale.store.RunRecord;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * This machine's pipeline runs, from the embedded store; a Running run whose owner died is
 * Interrupted.
 */
final class LocalPipelineRuns implements PipelineRuns {
  private final Context ctx;

  LocalPipelineRuns(Context ctx) {
    this.ctx = ctx;
  }

  /** A local pipeline run as the views show it. */
  static PipelineView view(Context ctx, String idOrPrefix) {
    return view(ctx, ctx.pipelines().get(idOrPrefix));
  }

  static PipelineView view(Context ctx, PipelineStore.PipelineRecord p) {
    var interrupted = PipelineOwners.interrupted(ctx, p);
    List<PipelineView.Task> tasks =
        ctx.pipelines().tasks(p.id()).stream()
            .map(
                t ->
                    new PipelineView.Task(
                        t.task(),
                        t.depends(),
                        interrupted.isPresent() && t.state().equals("Running")
                            ? "Interrupted"
                            : t.state(),
                        t.message() == null ? "" : t.message(),
                        t.startedAt(),
                        t.endedAt(),
                        t.runId(),
                        t.base(),
                        t.attempt()))
            .toList();
    return new PipelineView(
        p.id(),
        p.name(),
        interrupted.isPresent() ? "Interrupted" : p.state(),
        interrupted.orElse(p.message() == null ? "" : p.message()),
        p.createdAt(),
        p.endedAt(),
        tasks,
        tasks);
  }

  @Override
  public List<PipelineView> list() {
    return ctx.pipelines().list(200).stream().map(p -> view(ctx, p)).toList();
  }

  @Override
  public PipelineView get(String idOrPrefix) {
    return view(ctx, idOrPrefix);
  }

  @Override
  public PipelineView watch(String id, Consumer<PipelineView.Task> changed)
      throws InterruptedException {
    Map<String, String> seen = new LinkedHashMap<>();
    return LocalRunWatch.follow(
        ctx,
        get(id).id(),
        v -> {
          for (PipelineView.Task t : v.tasks()) {
            if (!t.phase().equals(seen.put(t.name(), t.phase())) && !t.phase().equals("Pending")) {
              changed.accept(t);
            }
          }
          return List.of();
        });
  }

  @Override
  public void logs(String id, String task, boolean follow, PrintStream out)
      throws InterruptedException {
    PipelineView v = get(id);
    if (task != null && v.tasks().stream().noneMatch(t -> t.of(task))) {
      throw new NotFoundError(
          "task",
          task,
          "pipeline "
              + v.id()
              + " has tasks "
              + String.join(", ", v.tasks().stream().map(PipelineView.Task::name).toList()));
    }
    PipelineLogs logs = new PipelineLogs(ctx, t -> task == null || t.of(task));
    if (follow) {
      logs.follow(v.id());
    } else {
      logs.print(v);
    }
  }

  /** First the flag (no task starts after it), then what runs now; the grace is the cluster's. */
  @Override
  public String cancel(String id, Duration grace) {
    PipelineView before = get(id);
    if (before.done()) {
      return before.id() + " has already ended (" + before.phase() + ")";
    }
    ctx.pipelines().requestCancel(before.id());
    PipelineView v = get(before.id());
    int stopped = 0;
    for (PipelineView.Task t : v.tasks()) {
      if (t.ref() != null && (t.phase().equals("Running") || t.phase().equals("Interrupted"))) {
        RunRecord r = ctx.runs().find(t.ref()).orElse(null);
        if (r != null && !r.state().isFinal()) {
          ctx.runs().requestCancel(r.id());
          if (r.pid() != null) {
            ProcessGroup.signalGroup(r.pid(), "TERM");
          }
          stopped++;
        }
      }
    }
    if (v.phase().equals("Interrupted")) {
      ctx.pipelines().abandon(v.id(), "Cancelled", "cancelled by the user", ctx.clock().instant());
    }
    return "cancelled " + v.id() + " (" + stopped + " running task(s) stopped)";
  }

  @Override
  public void delete(String id, boolean await) {
    throw new UserError("pipeline delete removes runs from a cluster: add --target k8s");
  }

  @Override
  public void close() {}

  @Override
  public int start(Path file, List<String> overrides, PipelineOutput shown, boolean detach)
      throws InterruptedException {
    if (detach) {
      throw new UserError(
          "--detach submits to the cluster (--target k8s); on this machine a pipeline runs in"
              + " the terminal that starts it (run it in the background, e.g. with nohup,"
              + " and follow it with 'mlscale pipeline status ID -w')");
    }
    PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
    Dag dag = Dag.of(file.toString(), spec);
    FieldSupport.print(
        ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.LOCAL, null));
    String id = Planner.newRunId(spec.name());
    try (var backend = ctx.localBackend()) {
      // its mistakes before its id is shown or anything recorded
      new LocalPipelineRunner(backend, ctx.pipelines(), ctx.models(), ctx.clock(), ctx.env())
          .validate(id, spec, file);
    }
    Path workspace = ctx.home().runs().resolve(id).resolve("workspace");
    ctx.err()
        .println(
            ctx.style().bold("▶ pipeline " + id)
                + "  "
                + dag.nodes().size()
                + " tasks"
                + (spec.onExit() == null ? "" : " + exit task " + spec.onExit().name())
                + ", workspace "
                + workspace);
    try (var owner = PipelineOwners.own(ctx, id)) {
      return PipelineConsole.run(
          ctx,
          id,
          spec,
          dag,
          shown,
          (runner, listener, output) ->
              runner.run(id, spec, file, overrides, workspace, listener, output));
    }
  }

  @Override
  public int retry(String id, PipelineOutput shown) throws InterruptedException {
    var record = ctx.pipelines().get(id);
    var interrupted = PipelineOwners.interrupted(ctx, record);
    if (interrupted.isPresent()) {
      throw new UserError(
          "pipeline run "
              + record.id()
              + " did not end: "
              + interrupted.get()
              + ", retry does not");
    }
    if (!record.state().equals("Failed") && !record.state().equals("Cancelled")) {
      throw new UserError(
          "pipeline run "
              + record.id()
              + " is "
              + record.state()
              + "; retry runs a Failed or Cancelled run again"
              + (record.state().equals("Running")
                  ? " ('mlscale pipeline cancel " + record.id() + "' stops this one)"
                  : ""));
    }
    try (var owner = PipelineOwners.own(ctx, record.id())) {
      var stored = PipelineConsole.Stored.of(ctx, record);
      long again =
          ctx.pipelines().tasks(record.id()).stream()
              .filter(t -> !t.state().equals("Succeeded"))
              .count();
      ctx.err()
          .println(
              ctx.style().bold("▶ retrying pipeline " + record.id())
                  + "  "
                  + again
                  + " task(s) again, the succeeded ones kept, workspace "
                  + stored.workspace());
      return PipelineConsole.run(
          ctx,
          record.id(),
          stored.spec(),
          stored.dag(),
          shown,
          (runner, listener, output) ->
              runner.retry(
                  record.id(), stored.spec(), stored.file(), stored.workspace(), listener, output));
    }
  }
}

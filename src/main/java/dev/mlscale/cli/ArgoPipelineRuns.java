package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.ArgoPipelineRunner;
import dev.mlscale.pipeline.ArgoPipelines;
import dev.mlscale.pipeline.PipelineView;
import dev.mlscale.spec.FieldSupport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** Pipeline runs as Argo Workflows on a cluster: readable from any machine. */
final class ArgoPipelineRuns implements PipelineRuns {
  private final Context ctx;
  private final ClusterConnection connection;
  private final ArgoPipelines pipelines;

  ArgoPipelineRuns(Context ctx, ClusterConnection connection) {
    this.ctx = ctx;
    this.connection = connection;
    this.pipelines = new ArgoPipelines(connection);
  }

  @Override
  public List<PipelineView> list() {
    return pipelines.list();
  }

  @Override
  public PipelineView get(String id) {
    return pipelines.get(id);
  }

  @Override
  public PipelineView watch(String id, Consumer<PipelineView.Task> changed)
      throws InterruptedException {
    PipelineView v = pipelines.get(id);
    if (!v.done()) {
      java.util.Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
      Consumer<PipelineView.Task> once =
          t -> {
            if (!t.phase().equals("Pending") && !t.phase().equals(seen.put(t.name(), t.phase()))) {
              changed.accept(t);
            }
          };
      new ArgoPipelineRunner(connection)
          .follow(
              v.id(),
              (node, phase) ->
                  pipelines.get(id).tasks().stream()
                      .filter(t -> t.name().equals(node))
                      .forEach(once));
      v = pipelines.get(id);
      v.tasks().forEach(once); // the changes that came with the Workflow's own end
    }
    return v;
  }

  @Override
  public void logs(String id, String task, boolean follow, PrintStream out)
      throws InterruptedException {
    if (!follow) {
      pipelines.logs(id, task, out);
      return;
    }
    // each task's output as it ends (a pod's log is whole then), under one lock: the informer's
    // thread prints as tasks end, this one at the end
    Set<String> printed = new HashSet<>();
    Consumer<PipelineView.Task> once =
        t -> {
          synchronized (printed) {
            if ((task == null || t.of(task))
                && !List.of("Pending", "Running").contains(t.phase())
                && printed.add(t.name())) {
              pipelines.logs(id, t.name(), out);
            }
          }
        };
    pipelines.get(id).tasks().forEach(once);
    watch(id, once).tasks().forEach(once); // and what ended with the Workflow itself
  }

  @Override
  public String cancel(String id, Duration grace) throws InterruptedException {
    int stopped = pipelines.cancel(id, grace);
    return stopped < 0
        ? id + " has already ended"
        : "cancelled " + id + " (" + stopped + " running pod(s) stopped)";
  }

  @Override
  public void delete(String id, boolean await) throws InterruptedException {
    pipelines.delete(id, await);
  }

  @Override
  public void close() {
    connection.client().close();
  }

  @Override
  public int start(Path file, List<String> overrides, PipelineOutput shown, boolean detach)
      throws InterruptedException {
    var compiled =
        ArgoCompiler.compileFile(file, overrides, null, connection.namespace(), connection.pip());
    String id = compiled.workflow().getMetadata().getName();
    String ns = connection.namespace();
    FieldSupport.print(
        ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.ARGO, ns));
    ctx.err()
        .println(
            ctx.style().bold("▶ pipeline " + id)
                + "  Argo Workflow "
                + connection.namespace()
                + "/"
                + id);
    var runner = new dev.mlscale.pipeline.ArgoPipelineRunner(connection);
    runner.submit(compiled);
    if (detach) {
      ctx.out().println(id);
      ctx.err()
          .println(
              "submitted; 'mlscale pipeline status "
                  + id
                  + " --target k8s -n "
                  + ns
                  + " -w' follows it");
      return 0;
    }
    // from here Ctrl-C stops following, not the pipeline: say how to get back to it
    Thread note =
        new Thread(
            () ->
                ctx.err()
                    .println(
                        "\npipeline "
                            + id
                            + " goes on on the cluster: 'mlscale pipeline status "
                            + id
                            + " --target k8s -n "
                            + ns
                            + " -w' follows it, 'mlscale pipeline cancel ...' stops it"));
    Runtime.getRuntime().addShutdownHook(note);
    dev.mlscale.pipeline.ArgoPipelineRunner.Outcome o;
    try {
      o = runner.follow(id, (node, phase) -> ctx.err().println("● " + node + " " + phase));
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(note);
      } catch (IllegalStateException shuttingDown) {
        // the JVM is exiting (Ctrl-C): the note is printed
      }
    }
    PipelineCommand.describe(ctx, pipelines.get(id), ctx.err());
    boolean cancelled = o.message().startsWith("Stopped with strategy");
    PipelineConsole.ended(
        ctx,
        o.succeeded(),
        id,
        (cancelled ? "cancelled" : o.phase().toLowerCase())
            + (o.message().isEmpty() ? "" : ": " + o.message()));
    return o.succeeded() ? 0 : cancelled ? 130 : 1;
  }

  @Override
  public int retry(String id, PipelineOutput shown) throws InterruptedException {
    var retried = pipelines.retry(id);
    ctx.out()
        .println(
            "retrying "
                + id
                + ": "
                + retried.nodes()
                + " node(s) reset, "
                + retried.pods().size()
                + " pod(s) deleted; 'mlscale pipeline status "
                + id
                + " --target k8s -n "
                + connection.namespace()
                + " -w' follows it");
    return 0;
  }
}

package dev.mlscale.cli;

import dev.mlscale.backend.RunListener;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.DagExecutor;
import dev.mlscale.pipeline.LocalPipelineRunner;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.store.RunState;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A local pipeline run in this terminal (pipeline run, retry and resume): tasks shown as they start
 * and end, their output streamed, Ctrl-C and SIGTERM turned into a cancel (exit 130), a table and
 * the outcome at the end.
 */
final class PipelineConsole {
  /** What the command does with the runner: run, retry or resume. */
  interface Work {
    LocalPipelineRunner.Outcome run(
        LocalPipelineRunner runner, DagExecutor.Listener listener, RunListener output)
        throws InterruptedException;
  }

  private PipelineConsole() {}

  /** A recorded run's spec, read again from its file with its --set values, and its workspace. */
  record Stored(String id, PipelineSpec spec, Path file, Dag dag, Path workspace) {
    static Stored of(Context ctx, dev.mlscale.store.PipelineStore.PipelineRecord p) {
      Path file = Path.of(p.specFile());
      PipelineSpec spec =
          new dev.mlscale.spec.SpecLoader().load(file, PipelineSpec.class, p.overrides()).spec();
      return new Stored(
          p.id(),
          spec,
          file,
          Dag.of(file.toString(), spec),
          ctx.home().runs().resolve(p.id()).resolve("workspace"));
    }
  }

  /** The last line of a pipeline run in the terminal: "✔ pipeline ID succeeded in 3.2s". */
  static void ended(Context ctx, boolean ok, String id, String how) {
    ctx.err()
        .println(
            (ok ? ctx.style().green("✔") : ctx.style().red("✘")) + " pipeline " + id + " " + how);
  }

  /** Runs {@code work} and prints how it ends; returns the exit code (0, 1, or 130 cancelled). */
  static int run(
      Context ctx, String id, PipelineSpec spec, Dag dag, PipelineOutput shown, Work work)
      throws InterruptedException {
    Map<String, String> seen = new java.util.concurrent.ConcurrentHashMap<>();
    // what a retry keeps, or a resume finds ended, is drawn as it is from the start
    ctx.pipelines().tasks(id).stream()
        .filter(t -> !t.state().equals("Pending") && !t.state().equals("Running"))
        .forEach(t -> seen.put(t.task(), t.state()));
    DagExecutor.Listener listener =
        new DagExecutor.Listener() {
          @Override
          public synchronized void started(Dag.Node node) {
            seen.put(node.name(), "Running");
            ctx.err().println("● " + node.name() + " started");
          }

          @Override
          public synchronized void ended(Dag.Node node, DagExecutor.Result r) {
            seen.put(node.name(), r.state().display());
            String mark =
                switch (r.state()) {
                  case SUCCEEDED -> ctx.style().green("✔");
                  case FAILED -> ctx.style().red("✘");
                  case CANCELLED, SKIPPED -> "⊘";
                };
            ctx.err()
                .println(
                    mark
                        + " "
                        + node.name()
                        + " "
                        + r.state().display().toLowerCase()
                        + (r.state() == DagExecutor.State.SUCCEEDED ? "" : ": " + r.message()));
            if (dag.node(node.name()) != null) {
              ctx.err()
                  .println(
                      "  "
                          + PipelineCommand.picture(PipelineCommand.graph(dag, seen), ctx.style()));
            }
          }
        };
    RunListener output =
        new RunListener() {
          @Override
          public void stateChanged(String runId, String name, RunState state, String message) {}

          @Override
          public synchronized void output(String runId, String name, String line) {
            if (!shown.quiet && !line.startsWith("setup | ")) {
              ctx.out().println("[" + runId.substring(id.length() + 1) + "] " + line);
            }
          }
        };
    LocalPipelineRunner.Outcome o;
    try (var backend = ctx.localBackend()) {
      var pipelines = ctx.pipelines();
      var runner =
          new LocalPipelineRunner(backend, pipelines, ctx.models(), ctx.clock(), ctx.env());
      // Ctrl-C and SIGTERM: nothing new starts, the running tasks are stopped and recorded as
      // Cancelled, the exit task runs, then exit code 130
      try (Interrupts interrupts =
          Interrupts.cancelling(
              ctx.err(),
              what -> {
                pipelines.requestCancel(id);
                backend.cancelAll("cancelled by " + what);
              })) {
        o = work.run(runner, listener, output);
      }
    }
    if (shown.picture != null) {
      Map<String, DagExecutor.State> states = new LinkedHashMap<>();
      o.tasks().forEach((k, v) -> states.put(k, v.state()));
      PipelineCommand.writePicture(
          ctx,
          shown.picture,
          dev.mlscale.pipeline.GraphPicture.svg(spec.name() + " (" + id + ")", dag, states));
    }
    Table t = new Table("TASK", "STATE", "DURATION", "RUN", "MESSAGE");
    for (DagExecutor.Result r : o.tasks().values()) {
      t.row(r.node(), r.state().display(), Format.duration(r.duration()), r.runId(), r.message());
    }
    if (o.onExit() != null) {
      t.row(
          o.onExit().node() + " (exit)",
          o.onExit().state().display(),
          Format.duration(o.onExit().duration()),
          o.onExit().runId(),
          o.onExit().message());
    }
    t.print(ctx.err(), "");
    ended(
        ctx, o.succeeded(), id, o.status().toLowerCase() + " in " + Format.duration(o.duration()));
    if (o.onExit() != null && o.onExit().state() != DagExecutor.State.SUCCEEDED) {
      ctx.err()
          .println(
              ctx.style().yellow("warning: ")
                  + "the exit task "
                  + o.onExit().node()
                  + " failed ("
                  + o.onExit().message()
                  + "); the pipeline's own"
                  + " result stands");
    }
    if (o.succeeded()) {
      return 0;
    }
    ctx.err().println("'mlscale pipeline retry " + id + "' runs what did not succeed again");
    return o.status().equals("Cancelled") ? 130 : 1;
  }
}

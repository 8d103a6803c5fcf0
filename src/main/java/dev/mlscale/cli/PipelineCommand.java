package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.ArgoPipelines;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.LocalPipelineRunner;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.pipeline.PipelineView;
import dev.mlscale.plan.Planner;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "pipeline",
    mixinStandardHelpOptions = true,
    description = "Pipelines: DAGs or steps of jobs, with a shared workspace and an exit task.",
    subcommands = {
      PipelineCommand.Run.class,
      PipelineRender.class,
      PipelineStatus.class,
      PipelineLs.class,
      PipelineTaskLogs.class,
      PipelineCancel.class,
      PipelineRetry.class,
      PipelineResume.class,
      PipelineDelete.class
    })
final class PipelineCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  static void writePicture(Path file, String svg) {
    try {
      java.nio.file.Files.writeString(file, svg);
    } catch (java.io.IOException e) {
      throw new dev.mlscale.error.EnvironmentError("cannot write " + file + ": " + e.getMessage());
    }
  }

  /** Shows the graph as layers, each task with its state: [a ✔] → [b ✔ | c ✘] → [d ⊘]. */
  static String picture(List<PipelineView.Task> graph, Style style) {
    Map<String, Integer> level = new LinkedHashMap<>();
    for (PipelineView.Task n : graph) {
      level.put(
          n.name(),
          n.depends().stream().mapToInt(d -> level.getOrDefault(d, 0)).max().orElse(-1) + 1);
    }
    List<List<String>> layers = new ArrayList<>();
    for (PipelineView.Task n : graph) {
      int l = level.get(n.name());
      while (layers.size() <= l) {
        layers.add(new ArrayList<>());
      }
      layers.get(l).add(n.name() + " " + mark(n.phase(), style));
    }
    return String.join(" → ", layers.stream().map(l -> "[" + String.join(" | ", l) + "]").toList());
  }

  static String mark(String phase, Style style) {
    return switch (phase) {
      case "Succeeded" -> style.green("✔");
      case "Failed", "Error" -> style.red("✘");
      case "Skipped", "Omitted", "Cancelled" -> "⊘";
      case "Running" -> style.yellow("●");
      case "Interrupted" -> style.yellow("‖");
      default -> "…";
    };
  }

  /** The graph of a local run so far: phases by task; those not started yet are Pending. */
  static List<PipelineView.Task> graph(Dag dag, Map<String, String> phases) {
    return dag.nodes().stream()
        .map(
            n ->
                new PipelineView.Task(
                    n.name(),
                    n.depends(),
                    phases.getOrDefault(n.name(), "Pending"),
                    null,
                    null,
                    null,
                    null,
                    n.task().name(),
                    1))
        .toList();
  }

  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description = "Run a pipeline on this machine and wait for it.")
  static final class Run implements Callable<Integer> {
    private final Context ctx;

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

    Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
      if (cluster.onCluster()) {
        return onCluster();
      }
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

    private int onCluster() throws InterruptedException {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var compiled =
            ArgoCompiler.compileFile(
                file, overrides, null, connection.get().namespace(), connection.get().pip());
        String id = compiled.workflow().getMetadata().getName();
        String ns = connection.get().namespace();
        FieldSupport.print(
            ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.ARGO, ns));
        ctx.err()
            .println(
                ctx.style().bold("▶ pipeline " + id)
                    + "  Argo Workflow "
                    + connection.get().namespace()
                    + "/"
                    + id);
        var runner = new dev.mlscale.pipeline.ArgoPipelineRunner(connection.get());
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
        describe(ctx, new ArgoPipelines(connection.get()).get(id), ctx.err());
        boolean cancelled = o.message().startsWith("Stopped with strategy");
        PipelineConsole.ended(
            ctx,
            o.succeeded(),
            id,
            (cancelled ? "cancelled" : o.phase().toLowerCase())
                + (o.message().isEmpty() ? "" : ": " + o.message()));
        return o.succeeded() ? 0 : cancelled ? 130 : 1;
      }
    }
  }

  static void describe(Context ctx, PipelineView v, java.io.PrintStream out) {
    Instant now = ctx.clock().instant();
    out.println("Pipeline:  " + v.id() + (v.pipeline().isEmpty() ? "" : " (" + v.pipeline() + ")"));
    out.println(
        "State:     "
            + mark(v.phase(), ctx.style())
            + " "
            + v.phase()
            + (v.message().isEmpty() ? "" : ": " + v.message()));
    if (v.started() != null) {
      out.println(
          "Duration:  "
              + Format.duration(
                  java.time.Duration.between(
                      v.started(), v.finished() == null ? now : v.finished())));
    }
    out.println("Graph:     " + picture(v.graph(), ctx.style()));
    out.println();
    // the TRY column once a retry or a resume ran a task again
    boolean again = v.tasks().stream().anyMatch(x -> x.attempt() > 1);
    Table t =
        again
            ? new Table("TASK", "STATE", "TRY", "DURATION", "RUN/POD", "MESSAGE")
            : new Table("TASK", "STATE", "DURATION", "RUN/POD", "MESSAGE");
    for (PipelineView.Task task : v.tasks()) {
      var d = task.duration(now);
      List<Object> row = new ArrayList<>(List.of(task.name(), task.phase()));
      if (again) {
        row.add(task.attempt());
      }
      row.add(d == null ? "-" : Format.duration(d));
      row.add(task.ref() == null ? "-" : task.ref());
      row.add(task.message());
      t.row(row.toArray());
    }
    t.print(out, "");
  }
}

package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.ArgoPipelines;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.LocalPipelineRunner;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.pipeline.PipelineView;
import dev.mlscale.plan.Planner;
import dev.mlscale.render.Manifests;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.RunRecord;
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
      PipelineCommand.Render.class,
      PipelineCommand.Status.class,
      PipelineCommand.Ls.class,
      PipelineCommand.Logs.class,
      PipelineCommand.Cancel.class,
      PipelineRetry.class,
      PipelineResume.class,
      PipelineCommand.Delete.class
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

  /** A local pipeline run as the views show it; a Running run whose owner died is Interrupted. */
  static PipelineView localView(Context ctx, String idOrPrefix) {
    return localView(ctx, ctx.pipelines().get(idOrPrefix));
  }

  static PipelineView localView(Context ctx, dev.mlscale.store.PipelineStore.PipelineRecord p) {
    var store = ctx.pipelines();
    var interrupted = PipelineOwners.interrupted(ctx, p);
    List<PipelineView.Task> tasks =
        store.tasks(p.id()).stream()
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

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Show a pipeline run: its graph with each task's state, and a table of its tasks.",
        "With --target k8s it reads the Argo Workflow, so it works from any machine;"
            + " --watch follows it until it ends."
      })
  static final class Status implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
    String id;

    @Option(
        names = {"-o", "--output"},
        defaultValue = "table",
        description = "table, json or yaml.")
    OutputFormat output;

    @Option(
        names = {"-w", "--watch"},
        description = "Print each task's changes until the pipeline ends, then the status.")
    boolean watch;

    @Option(
        names = "--picture",
        paramLabel = "FILE.svg",
        description = "Also draw the graph with each task's state as SVG.")
    Path picture;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Status(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
      PipelineView v;
      if (cluster.onCluster()) {
        try (var connection = new AutoClose(cluster.connect(ctx))) {
          var pipelines = new ArgoPipelines(connection.get());
          v = pipelines.get(id);
          if (watch && !v.done()) {
            new dev.mlscale.pipeline.ArgoPipelineRunner(connection.get())
                .follow(v.id(), (node, phase) -> ctx.err().println("● " + node + " " + phase));
            v = pipelines.get(id);
          }
        }
      } else {
        v = watch ? watchLocalRun(ctx, localView(ctx, id)) : localView(ctx, id);
      }
      if (picture != null) {
        writePicture(picture, dev.mlscale.pipeline.GraphPicture.svg(v));
        ctx.err().println("wrote " + picture);
      }
      if (!output.print(ctx.out(), v)) {
        describe(ctx, v, ctx.out());
      }
      return 0;
    }
  }

  /** Follows a local run until it ends, printing each task's changes. */
  private static PipelineView watchLocalRun(Context ctx, PipelineView first)
      throws InterruptedException {
    Map<String, String> seen = new LinkedHashMap<>();
    return LocalRunWatch.follow(
        ctx,
        first.id(),
        v -> {
          for (PipelineView.Task t : v.tasks()) {
            if (!t.phase().equals(seen.put(t.name(), t.phase())) && !t.phase().equals("Pending")) {
              ctx.err()
                  .println(
                      mark(t.phase(), ctx.style())
                          + " "
                          + t.name()
                          + " "
                          + t.phase()
                          + (t.message().isEmpty() || t.phase().equals("Running")
                              ? ""
                              : ": " + t.message()));
            }
          }
          return List.of();
        });
  }

  @Command(
      name = "ls",
      mixinStandardHelpOptions = true,
      description = "List pipeline runs (this machine's, or the cluster's with --target k8s).")
  static final class Ls implements Callable<Integer> {
    private final Context ctx;

    @Option(
        names = {"-o", "--output"},
        defaultValue = "table",
        description = "table, json or yaml.")
    OutputFormat output;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Ls(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      List<PipelineView> views;
      if (cluster.onCluster()) {
        try (var connection = new AutoClose(cluster.connect(ctx))) {
          views = new ArgoPipelines(connection.get()).list();
        }
      } else {
        views = ctx.pipelines().list(200).stream().map(p -> localView(ctx, p)).toList();
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

  @Command(
      name = "logs",
      mixinStandardHelpOptions = true,
      description = "Print the output of a pipeline's tasks, each line prefixed with [task].")
  static final class Logs implements Callable<Integer> {
    private final Context ctx;

    @Parameters(index = "0", paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
    String id;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "TASK",
        description = "Only this task (train shows train-0, train-1, ...).")
    String task;

    @Option(
        names = {"-f", "--follow"},
        description =
            "Keep printing until the pipeline ends: as the tasks write (locally), or each"
                + " task's output as it ends (on the cluster).")
    boolean follow;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Logs(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
      if (cluster.onCluster()) {
        try (var connection = new AutoClose(cluster.connect(ctx))) {
          var pipelines = new ArgoPipelines(connection.get());
          if (!follow) {
            pipelines.logs(id, task, ctx.out());
            return 0;
          }
          // each task's output as it ends (a pod's log is whole then)
          PipelineView first = pipelines.get(id);
          java.util.Set<String> printed = new java.util.HashSet<>();
          // under one lock: the informer's thread prints as tasks end, this one at the end
          java.util.function.Consumer<PipelineView.Task> once =
              t -> {
                synchronized (printed) {
                  if ((task == null || t.of(task))
                      && !List.of("Pending", "Running").contains(t.phase())
                      && printed.add(t.name())) {
                    pipelines.logs(id, t.name(), ctx.out());
                  }
                }
              };
          first.tasks().forEach(once);
          if (!first.done()) {
            new dev.mlscale.pipeline.ArgoPipelineRunner(connection.get())
                .follow(
                    id,
                    (node, phase) ->
                        pipelines.get(id).tasks().stream()
                            .filter(t -> t.name().equals(node))
                            .forEach(once));
            // what ended with the Workflow itself
            pipelines.get(id).tasks().forEach(once);
          }
        }
        return 0;
      }
      PipelineView v = localView(ctx, id);
      if (task != null && v.tasks().stream().noneMatch(t -> t.of(task))) {
        throw new dev.mlscale.error.NotFoundError(
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
      return 0;
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = {
        "Stop a pipeline run: nothing new starts, running tasks are stopped, the exit task"
            + " still runs (and is told the pipeline was cancelled).",
        "On the cluster this is Argo's stop (spec.shutdown: Stop); the running pods are deleted."
      })
  static final class Cancel implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
    String id;

    @Option(
        names = "--grace",
        paramLabel = "DURATION",
        defaultValue = "45s",
        description =
            "On the cluster: how long Argo gets to stop the running pods before mlscale deletes"
                + " them (default ${DEFAULT-VALUE}).")
    String grace;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Cancel(Context ctx) {
      this.ctx = ctx;
    }

    private dev.mlscale.spec.DurationValue parseGrace() {
      try {
        return dev.mlscale.spec.DurationValue.parse(grace);
      } catch (RuntimeException e) {
        throw new UserError("--grace " + grace + ": write a duration like 30s or 2m");
      }
    }

    @Override
    public Integer call() throws InterruptedException {
      if (cluster.onCluster()) {
        try (var connection = new AutoClose(cluster.connect(ctx))) {
          int stopped = new ArgoPipelines(connection.get()).cancel(id, parseGrace().duration());
          ctx.out()
              .println(
                  stopped < 0
                      ? id + " has already ended"
                      : "cancelled " + id + " (" + stopped + " running pod(s) stopped)");
        }
        return 0;
      }
      var store = ctx.pipelines();
      PipelineView before = localView(ctx, id);
      if (before.done()) {
        ctx.out().println(before.id() + " has already ended (" + before.phase() + ")");
        return 0;
      }
      // first the flag (no task starts after it), then what runs now
      store.requestCancel(before.id());
      PipelineView v = localView(ctx, before.id());
      int stopped = 0;
      for (PipelineView.Task t : v.tasks()) {
        if (t.ref() != null && (t.phase().equals("Running") || t.phase().equals("Interrupted"))) {
          RunRecord r = ctx.runs().find(t.ref()).orElse(null);
          if (r != null && !r.state().isFinal()) {
            ctx.runs().requestCancel(r.id());
            if (r.pid() != null) {
              dev.mlscale.backend.local.ProcessGroup.signalGroup(r.pid(), "TERM");
            }
            stopped++;
          }
        }
      }
      if (v.phase().equals("Interrupted")) {
        store.abandon(v.id(), "Cancelled", "cancelled by the user", ctx.clock().instant());
      }
      ctx.out().println("cancelled " + v.id() + " (" + stopped + " running task(s) stopped)");
      return 0;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description =
          "Delete pipeline runs from the cluster: the Workflow, its pods and ConfigMaps"
              + " (--target k8s).")
  static final class Delete implements Callable<Integer> {
    private final Context ctx;

    @Parameters(arity = "1..*", paramLabel = "PIPELINE_RUN", description = "Pipeline run ids.")
    List<String> ids;

    @Option(
        names = "--wait",
        defaultValue = "true",
        negatable = true,
        description = "Wait until everything is gone. Default: ${DEFAULT-VALUE}.")
    boolean await;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Delete(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
      if (!cluster.onCluster()) {
        throw new UserError("pipeline delete removes runs from a cluster: add --target k8s");
      }
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var pipelines = new ArgoPipelines(connection.get());
        for (String id : ids) {
          pipelines.delete(id, await);
          ctx.out().println("deleted " + id);
        }
      }
      return 0;
    }
  }

  @Command(
      name = "render",
      mixinStandardHelpOptions = true,
      description = "Print the Argo Workflow (and its ConfigMaps) a pipeline compiles to.")
  static final class Render implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "PIPELINE", description = "The pipeline spec (YAML).")
    Path file;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a field.")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--run-id", description = "Use this id instead of a new random one.")
    String runId;

    @Option(
        names = {"-o", "--output"},
        defaultValue = "yaml",
        description = "yaml or json.")
    OutputFormat output;

    @Option(
        names = "--server-dry-run",
        description =
            "Ask the API server (with Argo's CRDs) to validate the objects; nothing is created.")
    boolean serverDryRun;

    @Option(
        names = "--picture",
        paramLabel = "FILE.svg",
        description = "Also draw the pipeline's graph as SVG.")
    Path picture;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Render(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      String ns = cluster.namespace == null ? "default" : cluster.namespace;
      var compiled =
          ArgoCompiler.compileFile(
              file, overrides, runId, ns, dev.mlscale.plan.PipSources.fromUser(ctx.env()));
      FieldSupport.print(
          ctx.err(), FieldSupport.checkPipeline(file, overrides, FieldSupport.Target.ARGO, ns));
      if (picture != null) {
        PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
        writePicture(
            picture,
            dev.mlscale.pipeline.GraphPicture.svg(
                spec.name(), Dag.of(file.toString(), spec), Map.of()));
        ctx.err().println("wrote " + picture);
      }
      ctx.out()
          .print(
              output == OutputFormat.JSON
                  ? Manifests.json(compiled.objects()) + "\n"
                  : Manifests.yaml(compiled.objects()));
      if (serverDryRun) {
        var connection = ClusterConnection.open(ctx.env(), cluster.kubeconfig, cluster.context, ns);
        try (var backend = new KubernetesBackend(connection, null, ctx.clock())) {
          backend.serverDryRun(compiled.objects());
        }
        ctx.err()
            .println(
                "the API server of context "
                    + connection.context()
                    + " accepts all "
                    + compiled.objects().size()
                    + " objects (server-side dry run)");
      }
      return 0;
    }
  }
}

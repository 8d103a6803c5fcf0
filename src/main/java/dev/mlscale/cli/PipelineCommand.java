package dev.mlscale.cli;

import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.ArgoCompiler;
import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.DagExecutor;
import dev.mlscale.pipeline.LocalPipelineRunner;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.plan.Planner;
import dev.mlscale.render.Manifests;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import java.nio.file.Path;
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
      PipelineCommand.Status.class
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

  /** Shows the graph as layers, each node with its state: [a ✔] → [b ✔ | c ✘] → [d ⊘]. */
  static String picture(Dag dag, Map<String, DagExecutor.Result> results, Style style) {
    Map<String, Integer> level = new LinkedHashMap<>();
    for (Dag.Node n : dag.nodes()) {
      level.put(n.name(), n.depends().stream().mapToInt(level::get).max().orElse(-1) + 1);
    }
    List<List<String>> layers = new ArrayList<>();
    level.forEach(
        (name, l) -> {
          while (layers.size() <= l) {
            layers.add(new ArrayList<>());
          }
          DagExecutor.Result r = results.get(name);
          String mark =
              r == null
                  ? "…"
                  : switch (r.state()) {
                    case SUCCEEDED -> style.green("✔");
                    case FAILED -> style.red("✘");
                    case SKIPPED -> "⊘";
                  };
          layers.get(l).add(name + " " + mark);
        });
    return String.join(" → ", layers.stream().map(l -> "[" + String.join(" | ", l) + "]").toList());
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

    @Option(
        names = {"-q", "--quiet"},
        description = "Do not stream the tasks' output.")
    boolean quiet;

    @Option(
        names = "--picture",
        paramLabel = "FILE.svg",
        description = "Also draw the graph with each task's final state as SVG.")
    Path picture;

    @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

    Run(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() throws InterruptedException {
      if (cluster.onCluster()) {
        return onCluster();
      }
      PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
      Dag dag = Dag.of(file.toString(), spec.tasks());
      String id = Planner.newRunId(spec.name());
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
      Map<String, DagExecutor.Result> seen = new java.util.concurrent.ConcurrentHashMap<>();
      DagExecutor.Listener listener =
          new DagExecutor.Listener() {
            @Override
            public synchronized void started(Dag.Node node) {
              ctx.err().println("● " + node.name() + " started");
            }

            @Override
            public synchronized void ended(Dag.Node node, DagExecutor.Result r) {
              seen.put(node.name(), r);
              String mark =
                  switch (r.state()) {
                    case SUCCEEDED -> ctx.style().green("✔");
                    case FAILED -> ctx.style().red("✘");
                    case SKIPPED -> "⊘";
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
                ctx.err().println("  " + picture(dag, seen, ctx.style()));
              }
            }
          };
      RunListener output =
          new RunListener() {
            @Override
            public void stateChanged(String runId, String name, RunState state, String message) {}

            @Override
            public synchronized void output(String runId, String name, String line) {
              if (!quiet && !line.startsWith("setup | ")) {
                ctx.out().println("[" + runId.substring(id.length() + 1) + "] " + line);
              }
            }
          };
      LocalPipelineRunner.Outcome o;
      try (var backend = ctx.localBackend()) {
        o =
            new LocalPipelineRunner(backend, ctx.clock(), ctx.env())
                .run(id, spec, file, workspace, listener, output);
      }
      if (picture != null) {
        Map<String, DagExecutor.State> states = new LinkedHashMap<>();
        o.tasks().forEach((k, v) -> states.put(k, v.state()));
        writePicture(
            picture,
            dev.mlscale.pipeline.GraphPicture.svg(spec.name() + " (" + id + ")", dag, states));
        ctx.err().println("wrote " + picture);
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
      ctx.err()
          .println(
              (o.succeeded() ? ctx.style().green("✔") : ctx.style().red("✘"))
                  + " pipeline "
                  + id
                  + (o.succeeded() ? " succeeded" : " failed")
                  + " in "
                  + Format.duration(o.duration()));
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
      return o.succeeded() ? 0 : 1;
    }

    private int onCluster() throws InterruptedException {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        var compiled =
            ArgoCompiler.compileFile(file, overrides, null, connection.get().namespace());
        String id = compiled.workflow().getMetadata().getName();
        ctx.err()
            .println(
                ctx.style().bold("▶ pipeline " + id)
                    + "  Argo Workflow "
                    + connection.get().namespace()
                    + "/"
                    + id);
        var o =
            new dev.mlscale.pipeline.ArgoPipelineRunner(connection.get())
                .run(compiled, (node, phase) -> ctx.err().println("● " + node + " " + phase));
        Table t = new Table("TASK", "PHASE");
        o.nodes().forEach(t::row);
        t.print(ctx.err(), "");
        ctx.err()
            .println(
                (o.succeeded() ? ctx.style().green("✔") : ctx.style().red("✘"))
                    + " pipeline "
                    + id
                    + " "
                    + o.phase().toLowerCase()
                    + (o.message().isEmpty() ? "" : ": " + o.message()));
        return o.succeeded() ? 0 : 1;
      }
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show the tasks of a pipeline run.")
  static final class Status implements Callable<Integer> {
    private final Context ctx;

    @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id.")
    String id;

    Status(Context ctx) {
      this.ctx = ctx;
    }

    @Override
    public Integer call() {
      List<RunRecord> tasks =
          ctx.runs().list(10_000).stream().filter(r -> r.id().startsWith(id + "-")).toList();
      if (tasks.isEmpty()) {
        throw new UserError("no pipeline run '" + id + "'; its id was printed when it started");
      }
      Table t = new Table("TASK", "STATE", "REASON", "DURATION", "RUN");
      List<RunRecord> inOrder = new ArrayList<>(tasks);
      java.util.Collections.reverse(inOrder);
      for (RunRecord r : inOrder) {
        t.row(
            r.id().substring(id.length() + 1),
            RunViews.state(r),
            r.reason(),
            r.duration(ctx.clock().instant()).map(Format::duration).orElse("-"),
            r.id());
      }
      t.print(ctx.out(), "");
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
      var compiled = ArgoCompiler.compileFile(file, overrides, runId, ns);
      if (picture != null) {
        PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, overrides).spec();
        writePicture(
            picture,
            dev.mlscale.pipeline.GraphPicture.svg(
                spec.name(), Dag.of(file.toString(), spec.tasks()), Map.of()));
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

package dev.mlscale.cli;

import dev.mlscale.pipeline.Dag;
import dev.mlscale.pipeline.PipelineView;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

@Command(
    name = "pipeline",
    description = "Pipelines: DAGs or steps of jobs, with a shared workspace and an exit task.",
    subcommands = {
      PipelineRun.class,
      PipelineRender.class,
      PipelineStatus.class,
      PipelineLs.class,
      PipelineTaskLogs.class,
      PipelineCancel.class,
      PipelineRetry.class,
      PipelineResume.class,
      PipelineDelete.class
    })
final class PipelineCommand extends CommandGroup {
  /** Writes the graph's picture to {@code file} and says so. */
  static void writePicture(Context ctx, Path file, String svg) {
    try {
      java.nio.file.Files.writeString(file, svg);
    } catch (java.io.IOException e) {
      throw new dev.mlscale.error.EnvironmentError("cannot write " + file + ": " + e.getMessage());
    }
    ctx.err().println("wrote " + file);
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

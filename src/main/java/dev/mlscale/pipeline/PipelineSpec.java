package dev.mlscale.pipeline;

import dev.mlscale.spec.SpecFieldException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline as the user wrote it: a {@code dag} of tasks with {@code depends}, or {@code steps}, a
 * list of groups that run one after the other (the members of a group in parallel, as Argo's steps
 * do); parameters with defaults; and an {@code on_exit} task that always runs. {@code image} is the
 * container image of the inline command tasks that name none, and {@code kubernetes} where its pods
 * run (both used on Kubernetes only).
 */
public record PipelineSpec(
    String name,
    Map<String, Object> params,
    List<TaskSpec> dag,
    List<List<TaskSpec>> steps,
    TaskSpec onExit,
    Integer parallelism,
    String image,
    PipelinePlacement kubernetes) {
  public PipelineSpec {
    if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?")) {
      throw new SpecFieldException(
          "name",
          "a pipeline needs a name of lower-case letters,"
              + " digits and '-', e.g. name: ml-pipeline");
    }
    if ((dag == null) == (steps == null)) {
      throw new SpecFieldException(
          "dag",
          "a pipeline has either dag (tasks with depends) or"
              + " steps (groups run in order), not "
              + (dag == null ? "neither" : "both"));
    }
    if (dag != null && dag.isEmpty()) {
      throw new SpecFieldException(
          "dag",
          "dag is empty: a pipeline with no tasks does nothing; list at least one task, e.g."
              + " dag: [{name: train, command: [python, train.py]}]");
    }
    if (onExit != null && !onExit.depends().isEmpty()) {
      throw new SpecFieldException(
          "on_exit/depends",
          "the exit task '"
              + onExit.name()
              + "' runs after all other tasks, however they ended: remove depends");
    }
    params =
        params == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    dag = dag == null ? null : List.copyOf(dag);
    steps = steps == null ? null : steps.stream().map(List::copyOf).toList();
    if (steps != null && steps.stream().anyMatch(List::isEmpty)) {
      throw new SpecFieldException("steps", "a step group is empty; list at least one task");
    }
    parallelism = parallelism == null ? 16 : parallelism;
    if (parallelism < 1) {
      throw new SpecFieldException(
          "parallelism", "parallelism is how many tasks may run at once: 1 or more");
    }
  }

  /**
   * Where each task of {@link #tasks()} is written, in the same order, as JSON pointers: {@code
   * /dag/0}, or {@code /steps/1/0} for the first task of the second group.
   */
  public List<String> taskPointers() {
    List<String> out = new ArrayList<>();
    if (dag != null) {
      for (int i = 0; i < dag.size(); i++) {
        out.add("/dag/" + i);
      }
      return out;
    }
    for (int g = 0; g < steps.size(); g++) {
      for (int i = 0; i < steps.get(g).size(); i++) {
        out.add("/steps/" + g + "/" + i);
      }
    }
    return out;
  }

  /** Where {@code task} (one of {@link #tasks()} or the exit task) is written, by its name. */
  public String pointerOf(TaskSpec task) {
    if (onExit != null && onExit.name().equals(task.name())) {
      return "/on_exit";
    }
    List<TaskSpec> all = tasks();
    for (int i = 0; i < all.size(); i++) {
      if (all.get(i).name().equals(task.name())) {
        return taskPointers().get(i);
      }
    }
    return "";
  }

  /** The tasks as a DAG: steps become tasks that depend on every task of the group before. */
  public List<TaskSpec> tasks() {
    if (dag != null) {
      return dag;
    }
    List<TaskSpec> out = new ArrayList<>();
    List<String> previous = List.of();
    for (List<TaskSpec> group : steps) {
      List<String> names = new ArrayList<>();
      for (TaskSpec t : group) {
        List<String> deps = new ArrayList<>(previous);
        deps.addAll(t.depends());
        out.add(t.withDepends(deps));
        names.add(t.name());
      }
      previous = names;
    }
    return out;
  }
}

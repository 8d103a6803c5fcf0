package dev.mlscale.pipeline;

import dev.mlscale.error.UserError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The validated graph of a pipeline: fan-outs expanded into one node per row ({@code train-0},
 * {@code train-1}, ...; whoever depends on {@code train} depends on all of them), dependencies
 * resolved, no cycles. Nodes are in a topological order.
 */
public final class Dag {
  /** One node: the task, its row (for fan-outs) and the nodes it waits for. */
  public record Node(String name, TaskSpec task, Map<String, Object> row, List<String> depends) {}

  private final Map<String, Node> nodes;

  private Dag(Map<String, Node> nodes) {
    this.nodes = nodes;
  }

  public List<Node> nodes() {
    return List.copyOf(nodes.values());
  }

  public Node node(String name) {
    return nodes.get(name);
  }

  /** The graph of a pipeline read from {@code file}; mistakes point at their place in it. */
  public static Dag of(String file, PipelineSpec spec) {
    return of(file, spec.tasks(), spec.taskPointers());
  }

  /** The graph of tasks written as a {@code dag:} list. */
  public static Dag of(String file, List<TaskSpec> tasks) {
    return of(
        file,
        tasks,
        java.util.stream.IntStream.range(0, tasks.size()).mapToObj(i -> "/dag/" + i).toList());
  }

  /** {@code pointers}: where each task is written in {@code file}, e.g. {@code /dag/2}. */
  private static Dag of(String file, List<TaskSpec> tasks, List<String> pointers) {
    Map<String, TaskSpec> byName = new LinkedHashMap<>();
    Map<String, String> where = new LinkedHashMap<>();
    for (int i = 0; i < tasks.size(); i++) {
      TaskSpec t = tasks.get(i);
      if (byName.put(t.name(), t) != null) {
        throw mistake(
            file,
            pointers.get(i) + "/name",
            "two tasks are named '" + t.name() + "'; task names must be unique: rename one");
      }
      where.put(t.name(), pointers.get(i));
    }
    Map<String, List<String>> expanded = new LinkedHashMap<>();
    for (TaskSpec t : tasks) {
      List<String> names = new ArrayList<>();
      if (t.forEach().isEmpty()) {
        names.add(t.name());
      } else {
        for (int i = 0; i < t.forEach().size(); i++) {
          names.add(t.name() + "-" + i);
        }
      }
      expanded.put(t.name(), names);
    }
    for (TaskSpec t : tasks) {
      for (int k = 0; k < t.depends().size(); k++) {
        String d = t.depends().get(k);
        if (d.equals(t.name())) {
          throw mistake(
              file,
              dependsPointer(where.get(t.name()), k),
              "task '" + t.name() + "' depends on itself; remove '" + d + "' from its depends");
        }
        if (!byName.containsKey(d)) {
          throw mistake(
              file,
              dependsPointer(where.get(t.name()), k),
              "task '"
                  + t.name()
                  + "' depends on '"
                  + d
                  + "', which is"
                  + " not a task of this pipeline (tasks: "
                  + String.join(", ", byName.keySet())
                  + ")");
        }
      }
    }
    for (TaskSpec t : tasks) {
      if (t.kind() instanceof TaskKind.RegisterModel r
          && r.model().bestOf() != null
          && !t.depends().contains(t.registerModel().bestOf())) {
        throw mistake(
            file,
            where.get(t.name()) + "/register_model/best_of",
            "task '"
                + t.name()
                + "' takes the best model of '"
                + t.registerModel().bestOf()
                + "', so it must depend on it: add depends: ["
                + t.registerModel().bestOf()
                + "]");
      }
    }
    List<String> order = topological(file, byName, where);
    Map<String, Node> nodes = new LinkedHashMap<>();
    for (String name : order) {
      TaskSpec t = byName.get(name);
      List<String> deps = new ArrayList<>();
      t.depends().forEach(d -> deps.addAll(expanded.get(d)));
      List<String> names = expanded.get(name);
      for (int i = 0; i < names.size(); i++) {
        Map<String, Object> row = t.forEach().isEmpty() ? Map.of() : t.forEach().get(i);
        nodes.put(names.get(i), new Node(names.get(i), t, row, List.copyOf(deps)));
      }
    }
    return new Dag(nodes);
  }

  /** Kahn's algorithm; a cycle is reported with its path, e.g. a -> b -> c -> a. */
  private static List<String> topological(
      String file, Map<String, TaskSpec> tasks, Map<String, String> where) {
    List<String> order = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    while (order.size() < tasks.size()) {
      boolean progress = false;
      for (TaskSpec t : tasks.values()) {
        if (!done.contains(t.name()) && done.containsAll(t.depends())) {
          done.add(t.name());
          order.add(t.name());
          progress = true;
        }
      }
      if (!progress) {
        List<String> loop = cycle(tasks, done);
        // the first task of the loop, at its dependency on the next one
        TaskSpec first = tasks.get(loop.get(loop.size() - 1));
        int k = first.depends().indexOf(loop.get(loop.size() - 2));
        throw mistake(
            file,
            dependsPointer(where.get(first.name()), k),
            "the tasks depend on each other in a cycle: "
                + String.join(" -> ", loop)
                + "; a pipeline must be acyclic: remove one of these depends");
      }
    }
    return order;
  }

  /**
   * Where the {@code k}th dependency of the task at {@code task} is written; steps add the group
   * before to what is written, so there it is the task's depends as a whole.
   */
  private static String dependsPointer(String task, int k) {
    return task.startsWith("/dag/") ? task + "/depends/" + k : task + "/depends";
  }

  private static UserError mistake(String file, String pointer, String message) {
    return dev.mlscale.spec.SpecLoader.errorAt(java.nio.file.Path.of(file), pointer, message);
  }

  private static List<String> cycle(Map<String, TaskSpec> tasks, Set<String> done) {
    String start = tasks.keySet().stream().filter(n -> !done.contains(n)).findFirst().orElseThrow();
    List<String> path = new ArrayList<>();
    String current = start;
    while (!path.contains(current)) {
      path.add(current);
      current =
          tasks.get(current).depends().stream()
              .filter(d -> !done.contains(d))
              .findFirst()
              .orElseThrow();
    }
    List<String> loop = new ArrayList<>(path.subList(path.indexOf(current), path.size()));
    loop.add(current);
    java.util.Collections.reverse(loop);
    return loop;
  }
}

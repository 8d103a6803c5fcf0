package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.SpecLoader;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The DAG builder and executor, on execution order, with tasks that only record what ran. */
class DagExecutorTest {
  private static Dag dag(String yaml) {
    PipelineSpec spec = new SpecLoader().parse(yaml, "p.yaml", PipelineSpec.class, List.of());
    return Dag.of("p.yaml", spec.tasks());
  }

  /** Records start and end order; fails the nodes named in {@code failing}. */
  static final class Recorder implements DagExecutor.TaskRunner, DagExecutor.Listener {
    final List<String> events = new CopyOnWriteArrayList<>();
    final Set<String> running = ConcurrentHashMap.newKeySet();
    volatile int maxConcurrent;
    final Set<String> failing;

    Recorder(String... failing) {
      this.failing = Set.of(failing);
    }

    @Override
    public DagExecutor.Result run(Dag.Node node) {
      running.add(node.name());
      maxConcurrent = Math.max(maxConcurrent, running.size());
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      running.remove(node.name());
      return new DagExecutor.Result(
          node.name(),
          failing.contains(node.name()) ? DagExecutor.State.FAILED : DagExecutor.State.SUCCEEDED,
          "",
          null,
          Map.of(),
          Instant.now(),
          Instant.now());
    }

    @Override
    public void started(Dag.Node node) {
      events.add("start " + node.name());
    }

    @Override
    public void ended(Dag.Node node, DagExecutor.Result result) {
      events.add(result.state().name().toLowerCase() + " " + node.name());
    }

    int index(String event) {
      return events.indexOf(event);
    }
  }

  static final String DIAMOND =
      """
      name: diamond
      dag:
        - {name: a, command: [x]}
        - {name: b, command: [x], depends: [a]}
        - {name: c, command: [x], depends: [a]}
        - {name: d, command: [x], depends: [b, c]}
      """;

  @Test
  void diamondRunsAThenBAndCTogetherThenD() throws Exception {
    Recorder r = new Recorder();
    Map<String, DagExecutor.Result> results =
        new DagExecutor(Clock.systemUTC()).execute(dag(DIAMOND), 4, r, r);
    assertThat(results).hasSize(4);
    assertThat(r.index("start b")).isGreaterThan(r.index("succeeded a"));
    assertThat(r.index("start c")).isGreaterThan(r.index("succeeded a"));
    assertThat(r.index("start d"))
        .isGreaterThan(r.index("succeeded b"))
        .isGreaterThan(r.index("succeeded c"));
    assertThat(r.maxConcurrent).as("b and c ran at the same time").isEqualTo(2);
  }

  @Test
  void aFailureSkipsEverythingThatDependsOnIt() throws Exception {
    Recorder r = new Recorder("b");
    Map<String, DagExecutor.Result> results =
        new DagExecutor(Clock.systemUTC()).execute(dag(DIAMOND), 4, r, r);
    assertThat(results.get("b").state()).isEqualTo(DagExecutor.State.FAILED);
    assertThat(results.get("c").state()).isEqualTo(DagExecutor.State.SUCCEEDED);
    assertThat(results.get("d").state()).isEqualTo(DagExecutor.State.SKIPPED);
    assertThat(results.get("d").message()).isEqualTo("not run: b failed");
    assertThat(r.events).doesNotContain("start d");
  }

  @Test
  void fanOutRunsOneTaskPerRowAndFanInWaitsForAll() throws Exception {
    Dag dag =
        dag(
            """
        name: fan
        dag:
          - {name: prep, command: [x]}
          - {name: train, command: [x], depends: [prep], for_each: [{lr: 0.1}, {lr: 0.01}, {lr: 0.001}]}
          - {name: pick, command: [x], depends: [train]}
        """);
    assertThat(dag.nodes().stream().map(Dag.Node::name))
        .containsExactly("prep", "train-0", "train-1", "train-2", "pick");
    assertThat(dag.node("train-1").row()).containsEntry("lr", 0.01);
    assertThat(dag.node("pick").depends()).containsExactly("train-0", "train-1", "train-2");
    Recorder r = new Recorder();
    new DagExecutor(Clock.systemUTC()).execute(dag, 2, r, r);
    assertThat(r.maxConcurrent).as("the parallelism cap").isEqualTo(2);
    assertThat(r.index("start pick"))
        .isGreaterThan(r.index("succeeded train-0"))
        .isGreaterThan(r.index("succeeded train-1"))
        .isGreaterThan(r.index("succeeded train-2"));
  }

  @Test
  void stepsRunGroupAfterGroup() {
    Dag dag =
        dag(
            """
        name: s
        steps:
          - [{name: one, command: [x]}]
          - [{name: two-a, command: [x]}, {name: two-b, command: [x]}]
          - [{name: three, command: [x]}]
        """);
    assertThat(dag.node("two-a").depends()).containsExactly("one");
    assertThat(dag.node("three").depends()).containsExactly("two-a", "two-b");
  }

  @Test
  void badGraphsAreExplainedWithTheTaskNames() {
    assertThatThrownBy(
            () ->
                dag(
                    """
        name: c
        dag:
          - {name: a, command: [x], depends: [c]}
          - {name: b, command: [x], depends: [a]}
          - {name: c, command: [x], depends: [b]}
        """))
        .isInstanceOf(UserError.class)
        .hasMessage(
            "p.yaml: the tasks depend on each other in a cycle: a -> b -> c -> a; a"
                + " pipeline must be acyclic: remove one of these depends");
    assertThatThrownBy(
            () ->
                dag(
                    """
        name: u
        dag:
          - {name: a, command: [x], depends: [nope]}
        """))
        .hasMessageContaining("task 'a' depends on 'nope', which is not a task");
    assertThatThrownBy(
            () ->
                dag(
                    """
        name: d
        dag:
          - {name: a, command: [x]}
          - {name: a, command: [y]}
        """))
        .hasMessageContaining("two tasks are named 'a'");
    assertThatThrownBy(
            () ->
                dag(
                    """
        name: e
        dag:
          - {name: a, command: [x], for_each: []}
        """))
        .hasMessageContaining("p.yaml:3:39")
        .hasMessageContaining("fans out over an empty" + " list");
  }
}

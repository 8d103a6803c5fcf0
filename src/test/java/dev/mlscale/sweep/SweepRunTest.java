package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.store.Database;
import dev.mlscale.store.SweepStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps end to end on the local backend: real Python trials, a throwaway MLSCALE_HOME. */
class SweepRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;
  private CliHarness cli;

  @BeforeEach
  void setUp() {
    cli = new CliHarness(home);
  }

  @Test
  void braninSweepFindsAGoodMinimumAndWritesPlots() throws Exception {
    Path sweep = CliHarness.repo().resolve("examples/sweep/branin-sweep.yaml");
    CliHarness.Result r =
        cli.run(
            "sweep",
            "run",
            sweep.toString(),
            "--set",
            "budget.max_trials=14",
            "--set",
            "budget.max_parallel=1",
            "--set",
            "algorithm=auto");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err())
        .contains("14/14")
        .contains("best: trial")
        .contains("auto → gp (2 parameters, 14 trials), seed 0, minimize branin");
    String id =
        r.err().lines().filter(l -> l.startsWith("sweep ")).findFirst().orElseThrow().split(" ")[1];
    Path plots = work.resolve("plots");
    CliHarness.Result show = cli.run("sweep", "show", id, "--plots", plots.toString());
    assertThat(show.exit()).as(show.all()).isZero();
    assertThat(show.out()).contains("Search:  auto → gp (2 parameters, 14 trials), seed 0");
    List<String> rows = show.out().lines().filter(l -> l.matches("^\\d+ .*")).toList();
    assertThat(rows).hasSize(14);
    List<Double> values = rows.stream().map(l -> Double.parseDouble(l.split("\\s+")[2])).toList();
    assertThat(values).isSorted();
    assertThat(values.get(0)).as("random Branin values average about 50").isLessThan(10.0);
    assertThat(Files.size(plots.resolve("objective.png"))).isGreaterThan(1000);
    assertThat(plots.resolve("param-x.png")).isRegularFile();
    assertThat(Files.readString(plots.resolve("index.html")))
        .contains("<table>")
        .contains("data:image/png;base64,");
  }

  @Test
  void tpeThreeAtATimeSuggestsDistinctPointsThroughTheRealRunner() throws Exception {
    Path sweep = CliHarness.repo().resolve("examples/sweep/branin-sweep.yaml");
    CliHarness.Result r =
        cli.run(
            "sweep",
            "run",
            sweep.toString(),
            "--set",
            "budget.max_trials=16",
            "--set",
            "budget.max_parallel=3");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("16/16");
    List<Trial> all = trials();
    assertThat(all).hasSize(16);
    assertThat(all.stream().map(Trial::params).toList()).doesNotHaveDuplicates();
    assertThat(all).allMatch(Trial::completed);
  }

  private Path slowSweep(int trials, String objective) throws Exception {
    Files.writeString(
        work.resolve("slow.py"),
        """
        import os, time
        from mlscale import output_dir, params, report
        p = params()
        open(os.path.join(output_dir(), "model.txt"), "w").write(str(p["x"]))
        for step in range(1, 4):
            time.sleep(0.15)
            report(step=step, score=p["x"] * step)
        """);
    Files.writeString(
        work.resolve("job.yaml"),
        """
        name: slow
        command: [python3, slow.py]
        params: {x: 0}
        resources: {cpu: 100m}
        outputs: {model: slow}
        """);
    return Files.writeString(
        work.resolve("sweep.yaml"),
        """
        name: slow
        job: job.yaml
        objective: {metric: %s, goal: maximize}
        algorithm: random
        seed: 5
        space: {x: {uniform: [0, 1]}}
        budget: {max_trials: %d, max_parallel: 2}
        """
            .formatted(objective, trials));
  }

  private Process startSweep(Path sweep) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.mlscale.cli.Main",
            "sweep",
            "run",
            sweep.toString());
    pb.environment().putAll(cli.env);
    pb.redirectErrorStream(true).redirectOutput(work.resolve("sweep.log").toFile());
    return pb.start();
  }

  private List<Trial> trials() {
    try (Database db = Database.open(home.resolve("mlscale.db"))) {
      SweepStore store = new SweepStore(db);
      List<SweepStore.SweepRecord> sweeps = store.list();
      return sweeps.isEmpty() ? List.of() : store.trials(sweeps.get(0).id());
    }
  }

  private String sweepId() {
    try (Database db = Database.open(home.resolve("mlscale.db"))) {
      return new SweepStore(db).list().get(0).id();
    }
  }

  private void killAndResume(Predicate<List<Trial>> when, int total) throws Exception {
    Path sweep = slowSweep(total, "score");
    Process p = startSweep(sweep);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> when.test(trials()));
    Map<Integer, String> completedBefore = new HashMap<>();
    p.destroyForcibly().waitFor(); // kill -9
    for (Trial t : trials()) {
      if (t.state() == Trial.TrialState.COMPLETED) {
        completedBefore.put(t.number(), t.runId());
      }
    }
    CliHarness.Result r = cli.run("sweep", "resume", sweepId());
    assertThat(r.exit()).as(r.all() + Files.readString(work.resolve("sweep.log"))).isZero();
    List<Trial> after = trials();
    assertThat(after).hasSize(total);
    Set<Integer> numbers = new HashSet<>();
    after.forEach(t -> numbers.add(t.number()));
    assertThat(numbers).as("each trial number once").hasSize(total);
    assertThat(after).allMatch(t -> t.state() == Trial.TrialState.COMPLETED);
    for (Trial t : after) {
      if (completedBefore.containsKey(t.number())) {
        assertThat(t.runId())
            .as("completed trials are not run again")
            .isEqualTo(completedBefore.get(t.number()));
      }
    }
    // the search state is intact: random search gives each number the same params as before
    Sampler sampler = new RandomSampler(Map.of("x", new Dimension.Uniform(0, 1)), 5);
    for (Trial t : after) {
      assertThat(t.params().get("x"))
          .isEqualTo(sampler.suggest(t.number(), List.of()).orElseThrow().get("x"));
    }
    JsonNode models = JSON.readTree(cli.run("models", "ls", "slow", "-o", "json").out());
    assertThat(models).as("only the best trial's model is registered").hasSize(1);
  }

  @Test
  void killedWhileTheFirstTrialsRunResumesWithoutLossOrDuplicates() throws Exception {
    killAndResume(
        ts -> ts.stream().filter(t -> t.state() == Trial.TrialState.RUNNING).count() >= 2, 6);
  }

  @Test
  void killedAfterSomeTrialsCompletedResumesWithoutLossOrDuplicates() throws Exception {
    killAndResume(
        ts -> ts.stream().filter(t -> t.state() == Trial.TrialState.COMPLETED).count() >= 3, 6);
  }

  @Test
  void anObjectiveNoTrialReportsStopsTheSweepWithAClearMessage() throws Exception {
    Path sweep = slowSweep(6, "accuracy");
    CliHarness.Result r = cli.run("sweep", "run", sweep.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "the objective metric 'accuracy' was never reported by 2"
                + " completed trials; they reported score");
  }

  @Test
  void failingTrialsAreCountedAndStopTheSweepAtMaxFailed() throws Exception {
    Files.writeString(
        work.resolve("job.yaml"),
        "name: bad\ncommand: [python3, -c, \"import sys; sys.exit(4)\"]\nparams: {x: 0}\n");
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
        name: bad
        job: job.yaml
        objective: {metric: score}
        space: {x: {uniform: [0, 1]}}
        budget: {max_trials: 10, max_parallel: 1, max_failed: 3}
        """);
    CliHarness.Result r = cli.run("sweep", "run", sweep.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("no trial completed: 3 failed");
    assertThat(r.out()).contains("Error: exited with code 4");
    assertThat(trials()).hasSize(3);
  }

  @Test
  void medianStoppingReallyStopsLaggingTrials() throws Exception {
    Files.writeString(
        work.resolve("curve.py"),
        """
        import time
        from mlscale import params, report
        p = params()
        for step in range(1, 9):
            time.sleep(0.05)
            report(step=step, score=p["x"] * step)
        """);
    Files.writeString(
        work.resolve("job.yaml"), "name: curve\ncommand: [python3, curve.py]\nparams: {x: 0}\n");
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
        name: curve
        job: job.yaml
        objective: {metric: score}
        algorithm: grid
        space: {x: {grid: [0.9, 0.8, 0.7, 0.1, 0.05]}}
        budget: {max_trials: 5, max_parallel: 1}
        early_stopping: {rule: median, min_steps: 2}
        """);
    CliHarness.Result r = cli.run("sweep", "run", sweep.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    List<Trial> ts = trials();
    assertThat(
            ts.stream()
                .filter(t -> t.state() == Trial.TrialState.PRUNED)
                .map(t -> (Double) t.params().get("x")))
        .containsExactlyInAnyOrder(0.1, 0.05);
    assertThat(ts.get(0).state()).isEqualTo(Trial.TrialState.COMPLETED);
    List<String> pruned = new ArrayList<>();
    ts.stream()
        .filter(t -> t.state() == Trial.TrialState.PRUNED)
        .forEach(t -> pruned.add(t.reason()));
    assertThat(pruned).allMatch(reason -> reason.contains("worse than the median"));
    assertThat(r.err()).contains("✂ trial 3 pruned");
  }
}

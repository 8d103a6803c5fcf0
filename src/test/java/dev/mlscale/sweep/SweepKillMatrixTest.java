package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of the sweep's own process at many points (right after a trial starts, 0 to 50 ms
 * after a trial's process exits, while a resume takes over, twice in a row during resume), each
 * followed by {@code sweep resume}: a ledger the jobs write themselves, outside mlscale, shows that
 * no trial's job ran twice, and every trial ends recorded with its objective.
 */
class SweepKillMatrixTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TRIALS = 8;
  @TempDir Path home;
  @TempDir Path work;

  /** When to kill: after the process has seen what it waits for, and this many ms more. */
  private record Kill(String what, Predicate<Ledger> when, long afterMs) {}

  /** What the jobs wrote: "start N" and "end N" lines, from the start of the test. */
  private record Ledger(List<String> lines, int startsBefore, int endsBefore) {
    long starts() {
      return lines.stream().filter(l -> l.startsWith("start ")).count();
    }

    long ends() {
      return lines.stream().filter(l -> l.startsWith("end ")).count();
    }
  }

  private static Process mlscale(CliHarness cli, Path terminal, String... args) throws Exception {
    return cli.start(terminal, args);
  }

  @Test
  void noTrialRunsTwiceWhateverTheMomentOfTheKill() throws Exception {
    CliHarness cli = new CliHarness(home);
    Path ledger = work.resolve("ledger.txt");
    Files.writeString(
        work.resolve("train.py"),
        """
        import os, time
        from mlscale import params, report
        x = params()["x"]
        with open(%s, "a") as f:
            f.write("start %%d\\n" %% x)
        time.sleep(0.4 + 0.1 * (x %% 3))
        report(step=1, score=x)
        with open(%s, "a") as f:
            f.write("end %%d\\n" %% x)
        """
            .formatted(
                JSON.writeValueAsString(ledger.toString()),
                JSON.writeValueAsString(ledger.toString())));
    Files.writeString(
        work.resolve("job.yaml"),
        "name: matrix\ncommand: [python3, train.py]\nparams: {x: 0}\nresources: {cpu: 100m}\n");
    Files.writeString(
        work.resolve("sweep.yaml"),
        """
        name: matrix
        job: job.yaml
        objective: {metric: score, goal: maximize}
        algorithm: grid
        space: {x: {grid: [0, 1, 2, 3, 4, 5, 6, 7]}}
        budget: {max_trials: 8, max_parallel: 2}
        """);
    List<Kill> kills =
        List.of(
            new Kill("right after the first trial started", l -> l.starts() >= 1, 0),
            new Kill("as a trial's process exits", l -> l.ends() > l.endsBefore(), 0),
            new Kill("5 ms after a trial's process exited", l -> l.ends() > l.endsBefore(), 5),
            new Kill("while the resume takes over", l -> true, 400),
            new Kill("again while the next resume takes over", l -> true, 700),
            new Kill("20 ms after a trial's process exited", l -> l.ends() > l.endsBefore(), 20),
            new Kill("right after a trial started", l -> l.starts() > l.startsBefore(), 0),
            new Kill("1 ms after a trial's process exited", l -> l.ends() > l.endsBefore(), 1),
            new Kill("50 ms after a trial's process exited", l -> l.ends() > l.endsBefore(), 50));
    String id = null;
    List<String> story = new ArrayList<>();
    for (Kill kill : kills) {
      Ledger before = read(ledger, 0, 0);
      Ledger at = new Ledger(before.lines(), (int) before.starts(), (int) before.ends());
      Path terminal = work.resolve("terminal-" + story.size() + ".txt");
      Process p =
          id == null
              ? mlscale(cli, terminal, "sweep", "run", work.resolve("sweep.yaml").toString())
              : mlscale(cli, terminal, "sweep", "resume", id);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (p.isAlive()
          && !kill.when().test(read(ledger, at.startsBefore(), at.endsBefore()))
          && System.nanoTime() < deadline) {
        // a 2 ms spin, not Awaitility: each kill point must land within a few ms of its event
        Thread.sleep(2);
      }
      Thread.sleep(kill.afterMs());
      boolean killed = p.isAlive();
      p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no last write
      story.add(kill.what() + (killed ? "" : " (it had ended)"));
      if (id == null) {
        JsonNode sweeps = JSON.readTree(cli.run("sweep", "ls", "-o", "json").out());
        assertThat(sweeps).as(Files.readString(terminal)).hasSize(1);
        id = sweeps.get(0).get("sweep").asText();
      }
    }
    Path last = work.resolve("terminal-last.txt");
    Process finish = mlscale(cli, last, "sweep", "resume", id);
    assertThat(finish.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(finish.exitValue()).as(Files.readString(last)).isZero();

    System.out.println("kills: " + String.join("; ", story));
    Map<String, Integer> counts = new TreeMap<>();
    Files.readAllLines(ledger).forEach(l -> counts.merge(l, 1, Integer::sum));
    for (int x = 0; x < TRIALS; x++) {
      assertThat(counts.get("start " + x)).as("trial x=%d started (kills: %s)", x, story).isOne();
      assertThat(counts.get("end " + x)).as("trial x=%d ran to its end", x).isOne();
    }
    JsonNode show = JSON.readTree(cli.run("sweep", "show", id, "-o", "json").out());
    assertThat(show.get("state").asText()).isEqualTo("Succeeded");
    JsonNode trials = show.get("trials");
    assertThat(trials).hasSize(TRIALS);
    for (JsonNode t : trials) {
      assertThat(t.get("state").asText()).as(t.toString()).isEqualTo("COMPLETED");
      assertThat(t.get("objective").asDouble())
          .as(t.toString())
          .isEqualTo(t.at("/params/x").asDouble());
    }
  }

  private static Ledger read(Path ledger, int startsBefore, int endsBefore) throws Exception {
    List<String> lines = Files.exists(ledger) ? Files.readAllLines(ledger) : List.of();
    return new Ledger(lines, startsBefore, endsBefore);
  }
}

package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Distributed runs on this machine, end to end through the CLI with real processes: the LightGBM
 * example's two workers train one model together over sockets, a worker killed mid-training fails
 * the gang and the retry restarts it, and a gang that cannot fit waits whole.
 */
class DistributedLocalTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern FINAL =
      Pattern.compile("\\[(\\d)] final loss (\\S+) model (\\S+) train_seconds");
  @TempDir Path home;
  @TempDir Path work;
  private CliHarness cli;

  @BeforeEach
  void setUp() {
    cli = new CliHarness(home);
  }

  private JsonNode status(String run) throws Exception {
    CliHarness.Result r = cli.run("status", run, "-o", "json");
    assertThat(r.exit()).as(r.all()).isZero();
    return JSON.readTree(r.out());
  }

  private String onlyRunId() throws Exception {
    JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
    assertThat(runs).hasSize(1);
    return runs.get(0).get("run").asText();
  }

  /** "[K] final loss L model D" of every worker: rank, loss, model digest. */
  private static List<String[]> finals(String log) {
    List<String[]> out = new ArrayList<>();
    Matcher m = FINAL.matcher(log);
    while (m.find()) {
      out.add(new String[] {m.group(1), m.group(2), m.group(3)});
    }
    return out;
  }

  @Test
  void twoWorkersTrainOneModelTogetherAndRankZerosIsSaved() throws Exception {
    Path spec = CliHarness.repo().resolve("examples/distributed/job.yaml");
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    // both workers found each other (LightGBM's own words) and ended with the same model
    assertThat(r.out())
        .contains("[0] [LightGBM] [Info] Local rank: 0, total number of machines: 2")
        .contains("[1] [LightGBM] [Info] Local rank: 1, total number of machines: 2")
        .contains("[0] worker 0 of 2: 16000 training rows")
        .contains("[1] worker 1 of 2: 16000 training rows");
    List<String[]> finals = finals(r.out());
    assertThat(finals).hasSize(2);
    assertThat(finals.get(0)[1]).isEqualTo(finals.get(1)[1]); // the same validation loss
    assertThat(finals.get(0)[2]).isEqualTo(finals.get(1)[2]); // the same trees
    String id = onlyRunId();
    JsonNode s = status(id);
    assertThat(s.get("state").asText()).isEqualTo("Succeeded");
    assertThat(s.get("metrics").get("loss").asDouble())
        .isCloseTo(Double.parseDouble(finals.get(0)[1]), org.assertj.core.data.Offset.offset(1e-6));
    Path model = Path.of(cli.run("models", "path", "gbm").out().strip());
    assertThat(Files.readString(model.resolve("model.txt"))).contains("[tree_learner: data]");
    // logs --worker K: that worker's lines, without the prefix
    CliHarness.Result w1 = cli.run("logs", id, "--worker", "1");
    assertThat(w1.out()).contains("worker 1 of 2").doesNotContain("worker 0 of 2");
    assertThat(w1.out().lines()).noneMatch(l -> l.matches("^\\[\\d+] .*"));
    assertThat(cli.run("logs", id, "--worker", "2").err()).contains("--worker must be 0..1");
  }

  @Test
  void killingOneWorkerMidTrainingFailsTheGangAndTheRetryRestartsIt() throws Exception {
    Path spec = CliHarness.repo().resolve("examples/distributed/job.yaml");
    CompletableFuture<CliHarness.Result> running =
        CompletableFuture.supplyAsync(
            () -> cli.run("run", spec.toString(), "--set", "params.round_pause=0.1"));
    Path runs = home.resolve("runs");
    await()
        .atMost(Duration.ofMinutes(3))
        .until(() -> attemptLog(runs, 1).map(l -> l.contains("[1] round 10 ")).orElse(false));
    Path dir = attemptLog(runs, 1).map(l -> onlyRunDir(runs)).orElseThrow();
    long worker1 = Long.parseLong(Files.readString(dir.resolve("attempt-1.w1.pid")).strip());
    Process kill = new ProcessBuilder("kill", "-KILL", "--", "-" + worker1).start();
    assertThat(kill.waitFor()).isZero();
    CliHarness.Result r = running.get();
    assertThat(r.exit()).as(r.all()).isZero();
    JsonNode s = status(onlyRunId());
    assertThat(s.get("state").asText()).isEqualTo("Succeeded");
    JsonNode attempts = s.get("attempts");
    assertThat(attempts).hasSize(2);
    assertThat(attempts.get(0).get("state").asText()).isEqualTo("FAILED");
    assertThat(attempts.get(0).get("message").asText())
        .startsWith("worker 1 was killed by signal 9")
        .contains("the other 1 worker(s) were stopped");
    // the gang stopped: worker 0 never finished attempt 1; attempt 2 ran both from the start
    assertThat(finals(Files.readString(dir.resolve("attempt-1.log")))).isEmpty();
    String second = Files.readString(dir.resolve("attempt-2.log"));
    assertThat(second).contains("[0] worker 0 of 2").contains("[1] worker 1 of 2");
    assertThat(finals(second)).hasSize(2);
    assertThat(Files.readString(dir.resolve("attempt-1.failed")).strip()).isEqualTo("1 137");
  }

  @Test
  void aGangWaitsWholeForTheMachineAndGetsTheWorkerEnvironment() throws Exception {
    // two rows, each a gang of 2 workers with one CPU each, on a 3-CPU machine: one gang runs,
    // the other waits although one CPU is free, and says why
    Path ledger = work.resolve("ledger");
    Path spec =
        CliHarness.write(
            work,
            "gang.yaml",
            """
            name: gang
            command:
              - python3
              - -c
              - |
                import os, sys, time
                e = os.environ
                print("rank=%s world=%s index=%s port=%s master=%s:%s hosts=%s" % (e["RANK"],
                      e["WORLD_SIZE"], e["MLSCALE_WORKER_INDEX"], e["MLSCALE_WORKER_PORT"],
                      e["MASTER_ADDR"], e["MASTER_PORT"], e["MLSCALE_WORKER_HOSTS"]), flush=True)
                with open(sys.argv[1], "a") as f: f.write("start %s\\n" % e["MLSCALE_RUN_ID"])
                time.sleep(1)
                with open(sys.argv[1], "a") as f: f.write("end %s\\n" % e["MLSCALE_RUN_ID"])
            args: ["LEDGER"]
            rows: [{seed: 1}, {seed: 2}]
            distributed: {workers: 2}
            resources: {cpu: 1}
            """
                .replace("LEDGER", ledger.toString()));
    CliHarness.Result r = cli.with("MLSCALE_LOCAL_CPUS", "3").run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.all())
        .contains("waiting for 2 workers, each with cpu 1, to be free together on this machine")
        .contains("a gang starts all its workers or none");
    // the ledger: both workers of one gang start, both end, then the other gang's
    List<String> events = Files.readAllLines(ledger);
    assertThat(events).hasSize(8);
    String first = events.get(0).split(" ")[1];
    assertThat(events.subList(0, 4)).allMatch(e -> e.endsWith(first));
    assertThat(events.subList(0, 2)).allMatch(e -> e.startsWith("start"));
    assertThat(events.subList(4, 8)).noneMatch(e -> e.endsWith(first));
    // the environment contract: ranks 0 and 1, worker 0's port is the master port
    Matcher m =
        Pattern.compile(
                "\\[1] rank=1 world=2 index=1 port=(\\d+) master=127.0.0.1:(\\d+)"
                    + " hosts=127.0.0.1:(\\d+),127.0.0.1:(\\d+)")
            .matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(m.group(1)).isEqualTo(m.group(4)).isNotEqualTo(m.group(3));
    assertThat(m.group(2)).isEqualTo(m.group(3));
    assertThat(r.out()).contains("[0] rank=0 world=2 index=0 port=" + m.group(2) + " ");
  }

  @Test
  void aGangThatCanNeverFitIsRefusedAtItsResources() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "big.yaml",
            """
            name: big
            command: [python3, -c, "print(1)"]
            distributed: {workers: 4}
            resources:
              cpu: 1
            """);
    CliHarness.Result r = cli.with("MLSCALE_LOCAL_CPUS", "2").run("run", spec.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("big.yaml:5:8")
        .contains("its 4 workers together need cpu 4 > 2.0")
        .contains("or distributed.workers")
        .doesNotContain("Exception");
    CliHarness.Result zero =
        cli.run(
            "run",
            CliHarness.write(
                    work,
                    "zero.yaml",
                    """
                    name: zero
                    command: [python3, -c, "print(1)"]
                    distributed: {workers: 0}
                    """)
                .toString());
    assertThat(zero.exit()).isEqualTo(2);
    assertThat(zero.err()).contains("zero.yaml:3:").contains("distributed.workers must be 1 to");
  }

  private static java.util.Optional<String> attemptLog(Path runs, int n) throws Exception {
    if (!Files.isDirectory(runs)) {
      return java.util.Optional.empty();
    }
    Path log = onlyRunDir(runs).resolve("attempt-" + n + ".log");
    return Files.exists(log)
        ? java.util.Optional.of(Files.readString(log))
        : java.util.Optional.empty();
  }

  private static Path onlyRunDir(Path runs) {
    try (Stream<Path> dirs = Files.list(runs)) {
      return dirs.findFirst().orElseThrow();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}

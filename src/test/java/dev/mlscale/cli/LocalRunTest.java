package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.store.Database;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the CLI: real processes, real Python, a throwaway MLSCALE_HOME. */
class LocalRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
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

  @Test
  void digitsExampleTrainsARealModelAndRegistersIt() throws Exception {
    Path spec = CliHarness.repo().resolve("examples/digits/job.yaml");
    CliHarness.Result r = cli.run("run", spec.toString(), "--set", "params.epochs=8");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("training on 1347 digits").contains("saved model to");
    assertThat(r.err()).contains("succeeded in").contains("model:   digits:1");

    String id = onlyRunId();
    JsonNode s = status(id);
    assertThat(s.get("state").asText()).isEqualTo("Succeeded");
    assertThat(s.get("metrics").get("accuracy").asDouble()).isGreaterThan(0.85);
    assertThat(s.get("metricHistory")).hasSizeGreaterThanOrEqualTo(16); // 8 steps x 2 metrics
    assertThat(s.get("params").get("epochs").asInt()).isEqualTo(8);

    CliHarness.Result path = cli.run("models", "path", "digits");
    Path model = Path.of(path.out().strip());
    assertThat(model.resolve("model.pkl")).isRegularFile();
    CliHarness.Result ls = cli.run("models", "ls");
    assertThat(ls.out()).contains("digits:1").contains(id).contains("accuracy=");
    CliHarness.Result show = cli.run("models", "show", "digits:1", "-o", "json");
    assertThat(JSON.readTree(show.out()).get("run").asText()).isEqualTo(id);

    // a second run finds its environment prepared: no pip install this time
    CliHarness.Result again = cli.run("run", spec.toString(), "--set", "params.epochs=2", "-q");
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.err()).doesNotContain("pip install").contains("model:   digits:2");
  }

  @Test
  void oomExampleIsKilledAloneAndReportedAsOOMKilled() throws Exception {
    Path sleeper =
        CliHarness.write(
            work,
            "sleeper/job.yaml",
            """
            name: sleeper
            command: [python3, -c, "import time; time.sleep(4); print('still here')"]
            resources: {cpu: 100m, memory: 100Mi}
            """);
    Path oom = CliHarness.repo().resolve("examples/oom/job.yaml");
    CliHarness.Result r = cli.run("run", oom.toString(), sleeper.toString());
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.out()).contains("still here");

    JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
    JsonNode oomRun = null;
    JsonNode sleeperRun = null;
    for (JsonNode run : runs) {
      if (run.get("name").asText().equals("oom")) {
        oomRun = run;
      } else {
        sleeperRun = run;
      }
    }
    assertThat(sleeperRun.get("state").asText()).isEqualTo("Succeeded");
    assertThat(oomRun.get("state").asText()).isEqualTo("Failed");
    assertThat(oomRun.get("reason").asText()).isEqualTo("OOMKilled");
    assertThat(oomRun.get("exitCode").asInt()).isEqualTo(137);
    assertThat(oomRun.get("message").asText()).contains("memory limit of 200Mi");
    JsonNode attempt = status(oomRun.get("run").asText()).get("attempts").get(0);
    assertThat(attempt.get("peakMemory").asLong()).isGreaterThan(200L << 20);
    assertThat(attempt.get("memoryLimit").asLong()).isEqualTo(200L << 20);
    // the job really ran for a while before it hit the limit
    assertThat(status(oomRun.get("run").asText()).get("metrics").get("allocated_mb").asDouble())
        .isGreaterThanOrEqualTo(50);
  }

  @Test
  void onOomRunsAgainWithMoreMemory() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: grows
            command: [python3, -c, "import time; x = bytearray(b'x') * (300 * 1024 * 1024); time.sleep(0.5); print('fits')"]
            resources: {memory: 150Mi}
            on_oom: {increase: 2x, max: 1Gi}
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("on_oom: trying again with 300Mi");
    JsonNode s = status(onlyRunId());
    List<String> reasons = s.get("attempts").findValuesAsText("reason");
    assertThat(reasons).containsExactly("OOMKilled", "OOMKilled", "Completed");
    assertThat(s.get("attempts").findValuesAsText("memoryLimit"))
        .containsExactly(
            Long.toString(150L << 20), Long.toString(300L << 20), Long.toString(600L << 20));
  }

  @Test
  void failingJobIsRetriedWithBackoffAndEveryAttemptIsShown() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: flaky
            command: [python3, -c, "import sys; print('bad input file'); sys.exit(3)"]
            retries: {limit: 2, backoff: 100ms}
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("retry 1 of 2 in 100ms").contains("retry 2 of 2 in 200ms");
    String id = onlyRunId();
    JsonNode s = status(id);
    assertThat(s.get("reason").asText()).isEqualTo("Error");
    assertThat(s.get("message").asText()).isEqualTo("exited with code 3: bad input file");
    assertThat(s.get("attempts").findValuesAsText("exitCode")).containsExactly("3", "3", "3");
    CliHarness.Result table = cli.run("status", id);
    assertThat(table.out()).contains("Failed (Error)").contains("Attempts:");
    assertThat(cli.run("logs", id, "--attempt", "1").out()).isEqualTo("bad input file\n");
  }

  @Test
  void failFastExitCodesAreNotRetried() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: usage
            command: [python3, -c, "import sys; sys.exit(2)"]
            retries: {limit: 5, backoff: 100ms, fail_fast_exit_codes: [2]}
            """);
    assertThat(cli.run("run", spec.toString()).exit()).isEqualTo(1);
    assertThat(status(onlyRunId()).get("attempts")).hasSize(1);
  }

  @Test
  void timeoutStopsTheJobAsDeadlineExceeded() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: slow
            command: [sleep, "60"]
            timeout: 1s
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).isEqualTo(1);
    JsonNode s = status(onlyRunId());
    assertThat(s.get("reason").asText()).isEqualTo("DeadlineExceeded");
    assertThat(s.get("message").asText()).contains("timeout of 1s");
  }

  @Test
  void cancelStopsTheWholeProcessGroup() throws Exception {
    Path pidFile = work.resolve("child.pid");
    Path spec = jobThatForks(pidFile, "print('child started', flush=True); time.sleep(300)");
    CompletableFuture<CliHarness.Result> running =
        CompletableFuture.supplyAsync(() -> cli.run("run", spec.toString()));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Files.exists(pidFile) && !Files.readString(pidFile).isBlank());
    long child = Long.parseLong(Files.readString(pidFile).strip());
    String id;
    try (Database db = Database.open(home.resolve("mlscale.db"))) {
      RunRecord r = new RunStore(db).list(1).get(0);
      assertThat(r.state()).isEqualTo(RunState.RUNNING);
      id = r.id();
    }
    CliHarness.Result cancel = cli.run("cancel", id);
    assertThat(cancel.out()).contains("cancelled " + id);
    CliHarness.Result result = running.get();
    assertThat(result.exit()).isEqualTo(130);
    assertThat(status(id).get("state").asText()).isEqualTo("Cancelled");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void whatAJobLeftRunningIsKilledWhenItEnds() throws Exception {
    Path pidFile = work.resolve("child.pid");
    Path spec = jobThatForks(pidFile, "pass");
    CliHarness.Result result = cli.run("run", spec.toString());
    assertThat(result.exit()).isEqualTo(0);
    long child = Long.parseLong(Files.readString(pidFile).strip());
    // like a container's end: the job's process group goes with its main process
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void oneSupervisorOutsideMlscaleRecordsEveryAttemptsEnd() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: rows
            command: [python3, -c, "import sys; sys.exit(int(sys.argv[1]))"]
            args: ["${params.code}"]
            params: {code: 0}
            """);
    CliHarness.Result r = cli.run("run", spec.toString(), "--param-grid", "code=0,0,3");
    assertThat(r.exit()).as(r.all()).isNotZero();
    List<Path> dirs;
    try (var s = Files.list(home.resolve("runs"))) {
      dirs = s.sorted().toList();
    }
    assertThat(dirs).hasSize(3);
    java.util.Set<String> supervisors = new java.util.HashSet<>();
    List<String> exits = new java.util.ArrayList<>();
    for (Path dir : dirs) {
      String[] pids = Files.readString(dir.resolve("attempt-1.pid")).strip().split(" ");
      supervisors.add(pids[0]);
      assertThat(pids[1]).as("the job has a process of its own").isNotEqualTo(pids[0]);
      exits.add(Files.readString(dir.resolve("attempt-1.exit")).strip());
    }
    // the rows' attempts were started by one process, not mlscale (this JVM), and their ends
    // written beside their logs
    assertThat(supervisors).hasSize(1).doesNotContain(Long.toString(ProcessHandle.current().pid()));
    assertThat(exits).containsExactlyInAnyOrder("0", "0", "3");
  }

  @Test
  void textOutsideAsciiReachesTheJobAsWritten() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: utf8
            command: [python3, -c, "import os, sys; print(sys.argv[1], os.environ['GREETING'])"]
            args: ["${params.word}"]
            env: {GREETING: "grüß dich"}
            params: {word: "héllo wörld"}
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("héllo wörld grüß dich");
  }

  @Test
  void theJobGetsMlscalesOwnEnvironmentWithItsVariablesOverIt() throws Exception {
    // the supervisor is sent only the job's variables; the rest is the environment mlscale was
    // started with, as a job under a shell gets it. HOME is in this JVM's, not in the spec
    String home = System.getenv("HOME");
    org.junit.jupiter.api.Assumptions.assumeTrue(home != null && !home.isBlank());
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: envs
            command: [python3, -c, "import os; print('home=' + os.environ['HOME'], 'greeting=' + os.environ['GREETING'], 'run=' + os.environ['MLSCALE_RUN_ID'][:5])"]
            env: {GREETING: hi}
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("home=" + home + " greeting=hi run=envs-");
  }

  @Test
  void theShellSupervisorStillRunsAJobAndKillsWhatItLeft() throws Exception {
    // MLSCALE_SUPERVISOR=shell, or no Python 3 on PATH: a `sh` per attempt, as before the daemon
    cli.with("MLSCALE_SUPERVISOR", "shell");
    Path pidFile = work.resolve("child.pid");
    Path spec = jobThatForks(pidFile, "print('done')");
    CliHarness.Result result = cli.run("run", spec.toString());
    assertThat(result.exit()).as(result.all()).isZero();
    assertThat(result.out()).contains("done");
    long child = Long.parseLong(Files.readString(pidFile).strip());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> ProcessHandle.of(child).map(p -> !p.isAlive()).orElse(true));
    Path dir;
    try (var s = Files.list(home.resolve("runs"))) {
      dir = s.findFirst().orElseThrow();
    }
    String[] pids = Files.readString(dir.resolve("attempt-1.pid")).strip().split(" ");
    assertThat(Files.readString(dir.resolve("attempt-1.exit")).strip()).isEqualTo("0");
    // the shell ended with its job: its pid is no process's now, or another's
    assertThat(
            ProcessHandle.of(Long.parseLong(pids[0]))
                .flatMap(h -> h.info().arguments())
                .map(a -> List.of(a).contains("mlscale-supervisor"))
                .orElse(false))
        .isFalse();
  }

  /**
   * A job that starts {@code sleep 300}, writes its pid to {@code pidFile}, then runs {@code then}.
   */
  private Path jobThatForks(Path pidFile, String then) throws Exception {
    return CliHarness.write(
        work,
        "job.yaml",
        """
        name: forks
        command:
          - python3
          - -c
          - |
            import subprocess, sys, time
            child = subprocess.Popen(["sleep", "300"])
            open(sys.argv[1], "w").write(str(child.pid))
            %s
        args: ["%s"]
        """
            .formatted(then, pidFile));
  }

  @Test
  void jobsWaitForFreeCpusInsteadOfOversubscribing() throws Exception {
    String job =
        """
        name: %s
        command: [python3, -c, "import time; print('start', time.time()); time.sleep(1); print('end', time.time())"]
        resources: {cpu: 1}
        """;
    Path a = CliHarness.write(work, "a.yaml", job.formatted("a"));
    Path b = CliHarness.write(work, "b.yaml", job.formatted("b"));
    cli.with("MLSCALE_LOCAL_CPUS", "1");
    CliHarness.Result r = cli.run("run", a.toString(), b.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("Waiting: waiting for cpu 1 to be free");
    double[][] spans = new double[2][2];
    int i = 0;
    for (String line : r.out().split("\n")) {
      String[] w = line.split(" ");
      if (w.length == 3 && w[1].equals("start")) {
        spans[i][0] = Double.parseDouble(w[2]);
      } else if (w.length == 3 && w[1].equals("end")) {
        spans[i++][1] = Double.parseDouble(w[2]);
      }
    }
    assertThat(i).isEqualTo(2);
    assertThat(spans[1][0])
        .as("second job starts after the first ended")
        .isGreaterThanOrEqualTo(spans[0][1]);
  }

  @Test
  void metricLinesOnStdoutAreStored() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: printer
            command: [sh, -c, "echo 'mlscale:metric step=1 loss=0.5'; echo 'mlscale:metric step=2 loss=0.25 acc=0.9'"]
            """);
    assertThat(cli.run("run", spec.toString()).exit()).isZero();
    JsonNode s = status(onlyRunId());
    assertThat(s.get("metrics").get("loss").asDouble()).isEqualTo(0.25);
    assertThat(s.get("metrics").get("acc").asDouble()).isEqualTo(0.9);
    assertThat(s.get("metricHistory")).hasSize(3);
  }

  @Test
  void aCommandThatDoesNotExistIsAUserError() {
    Path spec = CliHarness.write(work, "job.yaml", "name: typo\ncommand: [pyhton3, train.py]\n");
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .isEqualTo(
            "error: "
                + spec
                + ":2:11: command 'pyhton3' of job 'typo' was not found on PATH; check the"
                + " spec's command\n");
    assertThat(cli.run("ls", "-o", "json").out().strip()).isEqualTo("[ ]");
  }

  @Test
  void specMistakesExitWith2AndAPositionAndNoStackTrace() {
    Path spec =
        CliHarness.write(
            work, "job.yaml", "name: typo\ncommand: [python3]\nresources:\n  memroy: 1Gi\n");
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .startsWith(
            "error: "
                + spec
                + ":4:3: unknown field 'memroy' in 'resources'; did you mean 'memory'?")
        .doesNotContain("at dev.mlscale");
    CliHarness.Result missing = cli.run("run", work.resolve("nope.yaml").toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("does not exist");
    CliHarness.Result badSet = cli.run("run", spec.toString(), "--set", "oops");
    assertThat(badSet.exit()).isEqualTo(2);
    CliHarness.Result unknownRun = cli.run("status", "nosuchrun");
    assertThat(unknownRun.exit()).isEqualTo(2);
    assertThat(unknownRun.err()).contains("run 'nosuchrun' not found");
  }

  @Test
  void paramsReachTheJobAsAFileAndInArgs() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: params
            command: [python3, -c, "import json, os, sys; p = json.load(open(os.environ['MLSCALE_PARAMS_FILE'])); print(p['lr'], p['layers'], sys.argv[1:])"]
            args: ["${params.lr}", "--act=${params.act}"]
            params: {lr: 0.0001, act: relu, layers: [64, 32]}
            """);
    CliHarness.Result r = cli.run("run", spec.toString(), "--set", "params.act=tanh");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("0.0001 [64, 32] ['0.0001', '--act=tanh']");
  }

  @Test
  void workshopMultiJobRunsEveryRowAndOnlyTheLeakyRowDies() throws Exception {
    Path spec = CliHarness.repo().resolve("examples/multi/job.yaml");
    CliHarness.Result r = cli.run("run", spec.toString(), "-q", "--set", "params.epochs=3");
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err()).contains("[####################] 4/4 done, 3 succeeded, 1 failed");
    JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
    assertThat(runs).hasSize(4);
    for (JsonNode run : runs) {
      boolean leaky = run.get("params").get("waste_mb").asInt() > 0;
      assertThat(run.get("state").asText()).isEqualTo(leaky ? "Failed" : "Succeeded");
      assertThat(run.get("reason").asText()).isEqualTo(leaky ? "OOMKilled" : "Completed");
    }
    assertThat(JSON.readTree(cli.run("models", "ls", "digits-multi", "-o", "json").out()))
        .hasSize(3);
  }

  @Test
  void paramGridRunsEveryCombination() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: grid
            command: [python3, -c, "import sys; print('row', *sys.argv[1:])"]
            args: ["${params.lr}", "${params.act}"]
            params: {lr: 1, act: x}
            """);
    CliHarness.Result r =
        cli.run(
            "run", spec.toString(), "--param-grid", "lr=0.1,0.01", "--param-grid", "act=relu,tanh");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("row 0.1 relu")
        .contains("row 0.1 tanh")
        .contains("row 0.01 relu")
        .contains("row 0.01 tanh");
    assertThat(JSON.readTree(cli.run("ls", "-o", "json").out())).hasSize(4);
    CliHarness.Result bad = cli.run("run", spec.toString(), "--param-grid", "lr");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--param-grid 'lr' must look like name=v1,v2");
  }

  @Test
  void secretsComeFromTheEnvironmentLocallyAndAreNeverStored() throws Exception {
    Path spec =
        CliHarness.write(
            work,
            "job.yaml",
            """
            name: secretive
            command: [python3, -c, "import os; print('key has', len(os.environ['S3_KEY']), 'chars')"]
            secrets: {S3_KEY: s3-creds/access-key}
            """);
    CliHarness.Result missing = cli.run("run", spec.toString());
    assertThat(missing.exit()).isEqualTo(2);
    assertThat(missing.err()).contains("needs the secret S3_KEY").contains("Secret s3-creds");
    cli.with("S3_KEY", "very-secret-value");
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("key has 17 chars");
    try (var files = Files.walk(home)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        assertThat(new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1))
            .as(f.toString())
            .doesNotContain("very-secret-value");
      }
    }
  }

  @Test
  void anAirGappedSetupInstallsFromAWheelhouseAndNoIndex() throws Exception {
    Path dir = work.resolve("airgap");
    Files.createDirectories(dir.resolve("wheels"));
    // the wheel, fetched once beforehand (as an admin would fill an air-gapped wheelhouse)
    Process download =
        new ProcessBuilder(
                "python3",
                "-m",
                "pip",
                "download",
                "--quiet",
                "--disable-pip-version-check",
                "--only-binary=:all:",
                "-d",
                dir.resolve("wheels").toString(),
                "threadpoolctl")
            .redirectErrorStream(true)
            .start();
    String downloadLog = new String(download.getInputStream().readAllBytes());
    assertThat(download.waitFor()).as(downloadLog).isZero();
    // a requirements file of its own: environments are cached across homes by content, and this
    // test must build one
    CliHarness.write(dir, "requirements.txt", "threadpoolctl\n# " + System.nanoTime() + "\n");
    CliHarness.write(
        dir, "train.py", "import threadpoolctl\nprint('offline', threadpoolctl.__version__)\n");
    Path spec =
        CliHarness.write(
            dir,
            "job.yaml",
            """
            name: airgap
            setup: {requirements: requirements.txt, wheelhouse: wheels}
            command: [python, train.py]
            """);
    CliHarness.Result r = cli.run("run", spec.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out()).contains("offline ");
    assertThat(r.all()).contains("--no-index");
  }
}

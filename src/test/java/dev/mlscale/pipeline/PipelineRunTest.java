package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipelines end to end on the local backend, with a real HTTP receiver for Slack notices. */
class PipelineRunTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;
  private CliHarness cli;
  private SlackReceiver receiver;
  private String webhook;

  @BeforeEach
  void setUp() throws Exception {
    cli = new CliHarness(home);
    receiver = new SlackReceiver(work);
    webhook = receiver.url();
  }

  @AfterEach
  void tearDown() {
    receiver.close();
  }

  private static String readString(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private List<JsonNode> slackMessages() {
    return receiver.messages();
  }

  @Test
  void helloStepsRunsInOrderAndTheExitHandlerKnowsTheResult() {
    CliHarness.Result r =
        cli.run(
            "pipeline",
            "run",
            CliHarness.repo().resolve("examples/hello-steps/pipeline.yaml").toString(),
            "--set",
            "params.message=from the test");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("[hello] step 1 says: from the test")
        .contains("[hello-a] step 2a, in parallel")
        .contains("[exit-handler] pipeline Succeeded");
    assertThat(r.out().indexOf("step 1 says")).isLessThan(r.out().indexOf("step 2a"));
    assertThat(r.err()).contains("[hello ✔] → [hello-a ✔ | hello-b ✔]");
  }

  @Test
  void diamondPassesFilesThroughTheWorkspace() {
    Path svg = work.resolve("diamond.svg");
    CliHarness.Result r =
        cli.run(
            "pipeline",
            "run",
            CliHarness.repo().resolve("examples/diamond/pipeline.yaml").toString(),
            "--picture",
            svg.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("[b] B read: hi from A")
        .contains("[c] C read: hi from A")
        .contains("[d] D joins B C");
    assertThat(r.err()).contains("[a ✔] → [b ✔ | c ✔] → [d ✔]");
    String picture = readString(svg);
    assertThat(picture).startsWith("<svg").contains("d · succeeded");
    assertThat(picture.split("<g class=\"task\">", -1)).hasSize(5);
    assertThat(picture.split("<line ", -1)).as("a->b, a->c, b->d, c->d").hasSize(5);
  }

  @Test
  void aFailedTaskStopsItsDependantsAndSlackIsToldTheFailure() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: broken
        dag:
          - {name: a, command: [python3, -c, "print('a')"]}
          - {name: b, depends: [a], command: [python3, -c, "import sys; sys.exit(3)"]}
          - {name: c, depends: [a], command: [python3, -c, "print('c')"]}
          - {name: d, depends: [b, c], command: [python3, -c, "print('d')"]}
        on_exit:
          name: notify
          slack: {webhook_env: SLACK_URL, text: "{{pipeline}} {{status}} after {{duration}}"}
        """);
    cli.with("SLACK_URL", webhook);
    CliHarness.Result r = cli.run("pipeline", "run", p.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("⊘ d skipped: not run: b failed")
        .contains("✔ c succeeded")
        .contains("pipeline broken-")
        .contains(" failed in ");
    List<JsonNode> messages = slackMessages();
    assertThat(messages).hasSize(1);
    assertThat(messages.get(0).get("text").asText())
        .matches("broken \\(broken-\\w+\\) failed" + " after .+");
  }

  @Test
  void aFailingNoticeDoesNotFailASuccessfulPipelineButIsReported() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: fine
        dag:
          - {name: a, command: [python3, -c, "print('a')"]}
        on_exit:
          name: notify
          slack: {webhook_env: SLACK_URL}
        """);
    cli.with("SLACK_URL", webhook.replace("/hook", "/fail"));
    CliHarness.Result r = cli.run("pipeline", "run", p.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err())
        .contains(
            "warning: the exit task notify failed (the webhook answered HTTP"
                + " 500: internal_error); the pipeline's own result stands");
    cli.with("SLACK_URL", "http://127.0.0.1:9/unreachable");
    CliHarness.Result unreachable = cli.run("pipeline", "run", p.toString());
    assertThat(unreachable.exit()).isZero();
    assertThat(unreachable.err()).contains("cannot reach the webhook of SLACK_URL");
  }

  private static String pipelineId(CliHarness.Result r) {
    var m = java.util.regex.Pattern.compile("▶ pipeline (\\S+)").matcher(r.err());
    assertThat(m.find()).as(r.err()).isTrue();
    return m.group(1);
  }

  @Test
  void anotherTerminalListsShowsAndPrintsTheLogsOfAPipelineRun() throws Exception {
    CliHarness.Result r =
        cli.run(
            "pipeline",
            "run",
            CliHarness.repo().resolve("examples/hello-steps/pipeline.yaml").toString(),
            "-q");
    assertThat(r.exit()).as(r.all()).isZero();
    String id = pipelineId(r);
    CliHarness other = new CliHarness(home);
    assertThat(other.run("pipeline", "ls").out())
        .contains(id)
        .contains("hello-steps")
        .contains("Succeeded")
        .contains("4/4 succeeded");
    CliHarness.Result status = other.run("pipeline", "status", id);
    assertThat(status.out())
        .contains("State:     ✔ Succeeded: 3 tasks: 3 succeeded")
        .contains("[hello ✔] → [hello-a ✔ | hello-b ✔] → [exit-handler ✔]")
        .containsPattern("hello-b +Succeeded +\\S+ +" + id + "-hello-b");
    JsonNode json = JSON.readTree(other.run("pipeline", "status", id, "-o", "json").out());
    assertThat(json.get("phase").asText()).isEqualTo("Succeeded");
    assertThat(json.get("tasks")).hasSize(4);
    assertThat(other.run("pipeline", "logs", id).out())
        .contains("[hello] step 1 says: hello world")
        .contains("[hello-a] step 2a, in parallel")
        .contains("[exit-handler] pipeline Succeeded");
    assertThat(other.run("pipeline", "logs", id, "hello").out())
        .as("task hello, not hello-a or hello-b")
        .isEqualTo("[hello] step 1 says: hello world\n");
    assertThat(other.run("pipeline", "logs", id, "hello-b").out())
        .isEqualTo("[hello-b] step 2b, in parallel\n");
    CliHarness.Result unknown = other.run("pipeline", "logs", id, "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("task 'nope' not found").contains("hello-a, hello-b");
    assertThat(other.run("pipeline", "status", "nothing-here").err())
        .contains("pipeline run 'nothing-here' not found");
  }

  @Test
  void cancelFromAnotherTerminalStopsTheRunningTaskSkipsTheRestAndRunsTheExitTask()
      throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: slow
        parallelism: 1
        dag:
          - {name: a, command: [python3, -c, "import time; print('a starts', flush=True); time.sleep(120)"]}
          - {name: b, depends: [a], command: [python3, -c, "print('b')"]}
          - {name: c, command: [python3, -c, "print('c, waiting for a free slot')"]}
        on_exit:
          name: tell
          command: [python3, -c, "import os; print('exit sees', os.environ['MLSCALE_PIPELINE_STATUS'])"]
        """);
    // the pipeline runs in a process of its own, as in a terminal: the other commands below run
    // in this JVM, and a channel closed on its owner.lock here would drop a lock held here too
    Path terminal = work.resolve("terminal.txt");
    Process running = cli.start(terminal, "pipeline", "run", p.toString());
    CliHarness other = new CliHarness(home);
    String id = taskAPrinting(other);
    String run = id;
    var watching =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> new CliHarness(home).run("pipeline", "status", run, "--watch"));
    var following =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> new CliHarness(home).run("pipeline", "logs", run, "-f"));
    long t0 = System.nanoTime();
    CliHarness.Result cancel = other.run("pipeline", "cancel", id);
    assertThat(cancel.out()).contains("cancelled " + id + " (1 running task(s) stopped)");
    assertThat(running.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0))
        .isLessThan(java.time.Duration.ofSeconds(60));
    String shown = Files.readString(terminal);
    assertThat(running.exitValue()).as(shown).isEqualTo(130);
    assertThat(shown)
        .contains("⊘ b skipped: not run: the pipeline was cancelled")
        .contains("⊘ c skipped: not run: the pipeline was cancelled")
        .contains("pipeline " + id + " cancelled in")
        .contains("[tell] exit sees Cancelled");
    assertThat(other.run("pipeline", "status", id).out())
        .contains("State:     ⊘ Cancelled")
        .contains("[a ⊘ | c ⊘] → [b ⊘] → [tell ✔]")
        .containsPattern("a +Cancelled .* Cancelled: cancelled by the user");
    assertThat(other.run("pipeline", "cancel", id).out()).contains("has already ended");
    // a third terminal followed it live until it ended
    CliHarness.Result watched = watching.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(watched.exit()).as(watched.all()).isZero();
    // it shows each task from the state it finds: a Running, unless it started after the cancel
    assertThat(watched.err()).containsAnyOf("● a Running", "⊘ a Cancelled");
    assertThat(watched.err())
        .contains("⊘ b Skipped: not run: the pipeline was cancelled")
        .contains("✔ tell Succeeded");
    assertThat(watched.out()).contains("State:     ⊘ Cancelled");
    // and a fourth printed the output as it came, to the end
    CliHarness.Result followed = following.get(60, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(followed.exit()).as(followed.all()).isZero();
    assertThat(followed.out())
        .contains("[a] a starts")
        .contains("[b] not run: the pipeline was cancelled")
        .contains("[tell] exit sees Cancelled");
  }

  @Test
  void theNoticeSaysWhatRanAndTheBestMetric() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: scored
        dag:
          - name: fit
            command: [python3, -c, "import sys; from mlscale import report; report(score=float(sys.argv[1]))", "${params.s}"]
            for_each: [{s: 0.5}, {s: 0.9}, {s: 0.7}]
          - {name: broken, command: [python3, -c, "import sys; sys.exit(4)"]}
        on_exit:
          name: notify
          slack: {webhook_env: SLACK_URL, best_metric: score}
        """);
    cli.with("SLACK_URL", webhook);
    CliHarness.Result r = cli.run("pipeline", "run", p.toString());
    assertThat(r.exit()).isEqualTo(1);
    assertThat(slackMessages()).hasSize(1);
    assertThat(slackMessages().get(0).get("text").asText())
        .matches(
            "Pipeline scored \\(scored-\\w+\\) failed in .+: 4 tasks: 3 succeeded, 1 failed"
                + " \\(broken\\); best score=0\\.9000? \\(fit-1\\)");
  }

  @Test
  void mistakesInTheExitTaskOrParallelismShowBeforeAnythingRuns() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: early
        dag:
          - {name: a, command: [python3, -c, "open('ran', 'w').write('a')"]}
        on_exit: {name: tell, job: missing-job.yaml}
        """);
    CliHarness.Result r = cli.run("pipeline", "run", p.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("task 'tell' names job 'missing-job.yaml', which does not exist");
    assertThat(work.resolve("ran")).doesNotExist();
    Path zero =
        Files.writeString(
            work.resolve("zero.yaml"),
            "name: zero\nparallelism: 0\ndag:\n  - {name: a, command: [python3, -V]}\n");
    CliHarness.Result z = cli.run("pipeline", "run", zero.toString());
    assertThat(z.exit()).isEqualTo(2);
    assertThat(z.err()).contains("zero.yaml:2:").contains("parallelism is how many tasks");
  }

  @Test
  void ctrlCStopsTheTasksAndRecordsTheRunAsCancelled() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("pipeline.yaml"),
            """
        name: interrupted
        dag:
          - {name: a, command: [python3, -c, "import time; print('a starts', flush=True); time.sleep(300)"]}
          - {name: b, depends: [a], command: [python3, -c, "print('b')"]}
        """);
    // mlscale as its own process, as a terminal runs it
    ProcessBuilder pb =
        new ProcessBuilder(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "dev.mlscale.cli.Main",
                "pipeline",
                "run",
                p.toString())
            .redirectErrorStream(true)
            .redirectOutput(work.resolve("terminal.txt").toFile());
    pb.environment().putAll(cli.env);
    Process mlscale = pb.start();
    CliHarness other = new CliHarness(home);
    String id = taskAPrinting(other);
    String runOfA = id + "-a";
    long pidOfA =
        JSON.readTree(other.run("status", runOfA, "-o", "json").out()).get("pid").asLong();
    assertThat(ProcessHandle.of(pidOfA).map(ProcessHandle::isAlive)).contains(true);

    new ProcessBuilder("kill", "-INT", Long.toString(mlscale.pid())).start().waitFor();
    assertThat(mlscale.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    org.awaitility.Awaitility.await("task a's process stopped with mlscale")
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> !ProcessHandle.of(pidOfA).map(ProcessHandle::isAlive).orElse(false));
    JsonNode view = JSON.readTree(other.run("pipeline", "status", id, "-o", "json").out());
    assertThat(view.get("phase").asText()).isEqualTo("Cancelled");
    assertThat(view.get("tasks").get(1).get("phase").asText()).isEqualTo("Skipped");
  }

  /** Waits until the one pipeline's task a runs and has printed; returns the pipeline's id. */
  private static String taskAPrinting(CliHarness other) {
    return org.awaitility.Awaitility.await("task a of the pipeline running and printing")
        .atMost(java.time.Duration.ofSeconds(60))
        .pollInterval(java.time.Duration.ofMillis(200))
        .until(
            () -> {
              JsonNode runs = JSON.readTree(other.run("pipeline", "ls", "-o", "json").out());
              if (runs.size() != 1
                  || !runs.get(0).get("tasks").get(0).get("phase").asText().equals("Running")) {
                return null;
              }
              String run = runs.get(0).get("id").asText();
              return other.run("logs", run + "-a").out().isEmpty() ? null : run;
            },
            java.util.Objects::nonNull);
  }
}

package dev.mlscale.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import dev.mlscale.testenv.realnode.PackageIndex;
import dev.mlscale.testenv.realnode.RealNode;
import dev.mlscale.testenv.realnode.RealNodeTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite: one list of scenarios, each run on every target with the same spec, and
 * the same user-visible outcome asserted: the state, the reason, the job's exit code, the attempts
 * and the metrics as {@code status -o json} (or {@code pipeline status -o json}) shows them, and
 * mlscale's own exit code. The targets: this machine ({@code mlscale run SPEC}), a Kubernetes Job
 * on the real node ({@code --target k8s} with {@link RealNode#PLACE}), and Argo on the real node
 * (the job as a one-task pipeline). Where the field-support table refuses a field on a target, that
 * target's outcome is the refusal. The three targets of a scenario run at the same time; the table
 * of what each showed is written to {@code target/conformance.md} (the README shows it).
 */
@RealNodeTest
class ConformanceTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PLACE_PIPELINE =
      "kubernetes: {node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator:"
          + " Exists}]}";
  private static final Duration LONG = Duration.ofMinutes(4);

  enum Target {
    LOCAL("local"),
    K8S("Kubernetes"),
    ARGO("Argo");

    final String title;

    Target(String title) {
      this.title = title;
    }
  }

  /**
   * What a user sees of one job (or one pipeline task): {@code label} is empty for a single job,
   * the row's params for rows, the task's name in a pipeline. Null fields are not shown there.
   */
  record Row(
      String label,
      String state,
      String reason,
      Integer exit,
      Integer attempts,
      Map<String, Double> metrics) {
    static Row of(String state, String reason, Integer exit, Integer attempts) {
      return new Row("", state, reason, exit, attempts, Map.of());
    }

    static Row task(String name, String phase) {
      return new Row(name, phase, null, null, null, Map.of());
    }

    String cell() {
      List<String> parts = new ArrayList<>();
      parts.add(state);
      if (reason != null) {
        parts.add(reason);
      }
      if (exit != null) {
        parts.add("exit " + exit);
      }
      if (attempts != null) {
        parts.add(attempts + (attempts == 1 ? " attempt" : " attempts"));
      }
      if (!metrics.isEmpty()) {
        parts.add(
            new TreeMap<>(metrics)
                .entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .reduce((a, b) -> a + " " + b)
                    .orElseThrow());
      }
      String text = String.join(" / ", parts);
      return label.isEmpty() ? text : label + ": " + text;
    }
  }

  /** mlscale's exit code, the jobs' rows, and a note (the refusal's message, the model). */
  record Outcome(int cli, List<Row> rows, String note) {
    static Outcome refused(CliHarness.Result r) {
      return new Outcome(r.exit(), List.of(), r.err().strip());
    }

    String cell() {
      if (rows.isEmpty()) {
        return "refused (exit " + cli + ")";
      }
      String text =
          String.join("; ", rows.stream().map(Row::cell).toList()) + " (mlscale exit " + cli + ")";
      return note.isEmpty() ? text : text + "; " + note;
    }
  }

  /** One scenario: how it runs on each target and what everyone must see. */
  record Scenario(
      String name,
      Set<Target> targets,
      Function<Target, Outcome> run,
      Function<Target, Outcome> expected) {}

  private static final Map<String, Map<Target, String>> TABLE = new ConcurrentHashMap<>();
  private static final List<String> ORDER = new ArrayList<>();

  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Map<String, Map<Target, CompletableFuture<Outcome>>> started =
      new ConcurrentHashMap<>();
  private TestNamespace ns;
  private Path root;
  private List<Scenario> scenarios;

  @TestFactory
  Stream<DynamicNode> theSameOutcomeOnEveryTarget(TestNamespace ns, @TempDir Path root) {
    RealNode.ensureUp();
    ArgoTestEnv.controller();
    RealNode.executorRole(ns.client());
    RealNode.createClaim(ns.client(), "model-storage");
    this.ns = ns;
    this.root = root;
    this.scenarios = scenarios();
    return scenarios.stream()
        .map(
            s -> {
              synchronized (ORDER) {
                ORDER.add(s.name());
              }
              return DynamicContainer.dynamicContainer(
                  s.name(),
                  s.targets().stream()
                      .map(
                          t ->
                              DynamicTest.dynamicTest(
                                  t.title,
                                  () -> {
                                    Outcome got = outcome(s, t);
                                    TABLE
                                        .computeIfAbsent(s.name(), k -> new ConcurrentHashMap<>())
                                        .put(t, got.cell());
                                    Outcome want = s.expected().apply(t);
                                    assertThat(got.cli()).as(got.toString()).isEqualTo(want.cli());
                                    assertThat(got.rows())
                                        .as(got.toString())
                                        .isEqualTo(want.rows());
                                    assertThat(got.note()).contains(want.note());
                                  })));
            });
  }

  /**
   * Starts all targets of a scenario together on first use, and the next scenario's too (two at a
   * time keep the suite short and the machine usable); each test waits for its own.
   */
  private Outcome outcome(Scenario s, Target t) throws Exception {
    int next = scenarios.indexOf(s) + 1;
    if (next < scenarios.size()) {
      start(scenarios.get(next));
    }
    return start(s).get(t).get(6, TimeUnit.MINUTES);
  }

  private Map<Target, CompletableFuture<Outcome>> start(Scenario s) {
    return started.computeIfAbsent(
        s.name(),
        k -> {
          Map<Target, CompletableFuture<Outcome>> m = new EnumMap<>(Target.class);
          for (Target each : s.targets()) {
            m.put(each, CompletableFuture.supplyAsync(() -> s.run().apply(each), pool));
          }
          return m;
        });
  }

  @AfterAll
  static void writeTable() throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("| Scenario | Local | Kubernetes | Argo |\n|---|---|---|---|\n");
    for (String name : ORDER) {
      Map<Target, String> row = TABLE.getOrDefault(name, Map.of());
      md.append("| ").append(name);
      for (Target t : Target.values()) {
        md.append(" | ").append(row.getOrDefault(t, "n/a").replace("|", "\\|"));
      }
      md.append(" |\n");
    }
    Path out = Path.of("target", "conformance.md");
    Files.createDirectories(out.getParent());
    Files.writeString(out, md.toString());
  }

  // ---------------------------------------------------------------- the scenarios

  private List<Scenario> scenarios() {
    Set<Target> all = java.util.EnumSet.allOf(Target.class);
    List<Scenario> list = new ArrayList<>();
    list.add(
        job(
            "success with metrics and a model",
            """
            name: ok
            image: python:3.11-slim
            command: [python3, train.py]
            resources: {cpu: 200m, memory: 128Mi}
            outputs: {model: conf-ok}
            """,
            Map.of(
                "train.py",
                """
                import os
                from mlscale import report, output_dir
                report(step=1, accuracy=0.5, loss=0.5)
                report(step=2, accuracy=0.75, loss=0.25)
                open(os.path.join(output_dir(), "model.txt"), "w").write("weights")
                """),
            t ->
                t == Target.ARGO
                    // GAP: pipeline status shows neither a task's metrics nor its model
                    ? new Outcome(
                        0, List.of(Row.of("Succeeded", "Completed", 0, 1)), "pipeline Succeeded")
                    : new Outcome(
                        0,
                        List.of(
                            new Row(
                                "",
                                "Succeeded",
                                "Completed",
                                0,
                                1,
                                Map.of("accuracy", 0.75, "loss", 0.25))),
                        "model \"conf-ok:1\"")));
    list.add(
        job(
            "OOM",
            """
            name: oom
            image: python:3.11-slim
            command: [python3, hog.py]
            resources: {cpu: 200m, memory: 64Mi}
            """,
            Map.of(
                "hog.py",
                """
                import time
                b = bytearray(b"x") * (200 * 1024 * 1024)
                time.sleep(10)
                """),
            t -> new Outcome(1, List.of(Row.of("Failed", "OOMKilled", 137, 1)), "")));
    list.add(
        job(
            "on_oom: more memory on a later attempt",
            """
            name: grow
            image: python:3.11-slim
            command: [python3, grow.py]
            resources: {cpu: 200m, memory: 64Mi}
            on_oom: {increase: 2x, max: 256Mi}
            """,
            Map.of(
                "grow.py",
                """
                import time
                b = bytearray(b"x") * (80 * 1024 * 1024)
                time.sleep(1)
                print("held 80 MB")
                """),
            t -> new Outcome(0, List.of(Row.of("Succeeded", "Completed", 0, 2)), "")));
    list.add(
        job(
            "retries with backoff (exit 3, retries 2)",
            """
            name: flaky
            image: python:3.11-slim
            command: [python3, -c, "import sys; sys.exit(3)"]
            resources: {cpu: 200m, memory: 64Mi}
            retries: {limit: 2, backoff: 1s}
            """,
            Map.of(),
            // BUG: on Kubernetes the Job's three pods are recorded as one attempt
            t ->
                new Outcome(
                    1, List.of(Row.of("Failed", "Error", 3, t == Target.K8S ? 1 : 3)), "")));
    list.add(
        job(
            "fail_fast_exit_codes",
            """
            name: usage
            image: python:3.11-slim
            command: [python3, -c, "import sys; sys.exit(2)"]
            resources: {cpu: 200m, memory: 64Mi}
            retries: {limit: 3, fail_fast_exit_codes: [2]}
            """,
            Map.of(),
            t ->
                t == Target.ARGO
                    ? new Outcome(
                        2, List.of(), "Argo retries every failed try whatever its exit code")
                    : new Outcome(1, List.of(Row.of("Failed", "Error", 2, 1)), "")));
    list.add(
        job(
            "timeout",
            """
            name: slow
            image: python:3.11-slim
            command: [python3, -c, "import time; time.sleep(120)"]
            resources: {cpu: 200m, memory: 64Mi}
            timeout: 5s
            """,
            Map.of(),
            stopped(
                1,
                "Failed",
                "DeadlineExceeded",
                "Pod was active on the node longer than the specified deadline")));
    list.add(
        new Scenario(
            "cancel",
            all,
            this::cancel,
            stopped(130, "Cancelled", "Cancelled", "workflow shutdown with strategy:  Stop")));
    list.add(
        new Scenario(
            "rows, one failing",
            all,
            this::rows,
            t ->
                t == Target.ARGO
                    ? new Outcome(2, List.of(), "a pipeline task runs one job")
                    : new Outcome(
                        1,
                        List.of(
                            new Row("code=0", "Succeeded", "Completed", 0, 1, Map.of()),
                            new Row("code=4", "Failed", "Error", 4, 1, Map.of())),
                        "")));
    list.add(
        new Scenario(
            "diamond, one branch failing",
            java.util.EnumSet.of(Target.LOCAL, Target.ARGO),
            t -> {
              PipelineRun run = diamond(t);
              List<Row> rows = new ArrayList<>();
              rows.add(Row.task("pipeline", run.view().get("phase").asText()));
              for (JsonNode task : run.view().get("graph")) {
                rows.add(Row.task(task.get("name").asText(), task.get("phase").asText()));
              }
              return new Outcome(run.result().exit(), rows, "");
            },
            t ->
                new Outcome(
                    1,
                    List.of(
                        Row.task("pipeline", "Failed"),
                        Row.task("a", "Succeeded"),
                        Row.task("b", "Failed"),
                        Row.task("c", "Succeeded"),
                        Row.task("d", "Skipped"),
                        Row.task("tell", "Succeeded")),
                    "")));
    list.add(
        new Scenario(
            "the exit task's status",
            java.util.EnumSet.of(Target.LOCAL, Target.ARGO),
            t -> {
              PipelineRun run = diamond(t);
              List<Row> rows = new ArrayList<>();
              for (JsonNode task : run.view().get("tasks")) {
                if (task.get("name").asText().equals("tell")) {
                  rows.add(Row.task("tell", task.get("phase").asText()));
                }
              }
              List<String> lines = run.exitLog().lines().toList();
              String saw =
                  lines.stream().filter(l -> l.startsWith("[tell] saw")).findFirst().orElse("");
              return new Outcome(
                  run.result().exit(),
                  rows,
                  lines.size() == 1 ? saw : saw + " (+" + (lines.size() - 1) + " other lines)");
            },
            t -> new Outcome(1, List.of(Row.task("tell", "Succeeded")), "[tell] saw Failed")));
    list.add(
        new Scenario(
            "setup reused",
            all,
            this::setup,
            t ->
                new Outcome(
                    0,
                    List.of(
                        new Row("1st", "Succeeded", "Completed", 0, 1, Map.of()),
                        new Row("2nd", "Succeeded", "Completed", 0, 1, Map.of())),
                    "1st run installed threadpoolctl, 2nd run installed nothing")));
    return list;
  }

  /**
   * What a job stopped from outside (a timeout, a cancel) shows. Inherent: only a local process
   * leaves its exit code (143, SIGTERM), and Argo says it in its own words: a Failed task.
   */
  private static Function<Target, Outcome> stopped(
      int cli, String state, String reason, String argoMessage) {
    return t ->
        switch (t) {
          case LOCAL -> new Outcome(cli, List.of(Row.of(state, reason, 143, 1)), "");
          case K8S -> new Outcome(cli, List.of(Row.of(state, reason, null, 1)), "");
          case ARGO ->
              new Outcome(cli, List.of(Row.of(state, argoMessage, null, 1)), "pipeline " + state);
        };
  }

  // ---------------------------------------------------------------- pipelines

  /** A pipeline run as a user sees it: the terminal's result, its status, its exit task's log. */
  record PipelineRun(CliHarness.Result result, JsonNode view, String exitLog) {}

  private final Map<String, CompletableFuture<PipelineRun>> pipelines = new ConcurrentHashMap<>();

  /** The diamond A → (B, C) → D with B failing and an exit task; run once per target. */
  private PipelineRun diamond(Target t) {
    return pipelines
        .computeIfAbsent(
            "diamond-" + t, k -> CompletableFuture.supplyAsync(() -> runDiamond(t), pool))
        .join();
  }

  private PipelineRun runDiamond(Target t) {
    Path dir = dir("diamond", t);
    Path file =
        write(
            dir,
            "pipeline.yaml",
            """
            name: conf-diamond
            image: python:3.11-slim
            %s
            dag:
              - {name: a, command: [python3, -c, "print('a')"]}
              - {name: b, depends: [a], command: [python3, -c, "import sys; sys.exit(1)"]}
              - {name: c, depends: [a], command: [python3, -c, "print('c')"]}
              - {name: d, depends: [b, c], command: [python3, -c, "print('d')"]}
            on_exit:
              name: tell
              command: [python3, -c, "import os; print('saw', os.environ['MLSCALE_PIPELINE_STATUS'])"]
            """
                .formatted(PLACE_PIPELINE));
    CliHarness cli = cli(dir);
    CliHarness.Result r = cli.run(on(t, "pipeline", "run", file.toString()));
    String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
    JsonNode view = json(cli.run(on(t, "pipeline", "status", id, "-o", "json")));
    String log = cli.run(on(t, "pipeline", "logs", id, "tell")).out();
    return new PipelineRun(r, view, log);
  }

  private String[] on(Target t, String... args) {
    return t == Target.LOCAL ? args : onCluster(args);
  }

  // ---------------------------------------------------------------- setup

  /** The same job twice with a setup: the second run installs nothing. */
  private Outcome setup(Target t) {
    Path dir = dir("setup", t);
    // an environment of its own: environments are cached by content (locally across homes, on
    // the cluster on the claim that Kubernetes and Argo share), and each target must build one
    Path spec =
        write(
            dir,
            """
            name: setup
            image: python:3.11-slim
            setup: {requirements: requirements.txt}
            command: [python3, -c, "import threadpoolctl; print('threadpoolctl', threadpoolctl.__version__)"]
            resources: {cpu: 200m, memory: 128Mi}
            """,
            Map.of(
                "requirements.txt",
                "threadpoolctl\n# conformance, " + t + " " + System.nanoTime() + "\n",
                "index.txt",
                "threadpoolctl\n"));
    try (PackageIndex index = PackageIndex.serve(RealNode.HOST, dir.resolve("index.txt"))) {
      CliHarness cli =
          cli(dir)
              .with("PIP_INDEX_URL", index.url())
              .with("PIP_TRUSTED_HOST", RealNode.HOST)
              // pip's own cache on this machine would serve the wheel without the index
              .with("PIP_NO_CACHE_DIR", "1");
      CliHarness.Result firstRun = cli.run(command(t, spec));
      int firstDownloads = index.downloads().size();
      CliHarness.Result secondRun = cli.run(command(t, spec));
      int secondDownloads = index.downloads().size() - firstDownloads;
      // what was installed: on the cluster what the pods fetched from the index; on this machine
      // pip's own words (its setup runs with this JVM's pip configuration, a wheelhouse maybe)
      String firstInstalled =
          installed(t, firstRun, firstDownloads) ? "installed threadpoolctl" : "installed nothing";
      String secondInstalled =
          installed(t, secondRun, secondDownloads)
              ? "installed threadpoolctl"
              : "installed nothing";
      Outcome first = read(t, cli, firstRun);
      Outcome second = read(t, cli, secondRun);
      List<Row> rows = new ArrayList<>();
      for (var each : List.of(first, second)) {
        for (Row row : each.rows()) {
          rows.add(
              new Row(
                  each == first ? "1st" : "2nd",
                  row.state(),
                  row.reason(),
                  row.exit(),
                  row.attempts(),
                  row.metrics()));
        }
      }
      return new Outcome(
          second.cli() != 0 ? second.cli() : first.cli(),
          rows,
          "1st run " + firstInstalled + ", 2nd run " + secondInstalled);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static boolean installed(Target t, CliHarness.Result r, int downloads) {
    return t == Target.LOCAL
        ? r.all().contains("Successfully installed threadpoolctl")
        : downloads > 0;
  }

  // ---------------------------------------------------------------- running one job

  private Scenario job(
      String name, String spec, Map<String, String> files, Function<Target, Outcome> expected) {
    return new Scenario(
        name,
        java.util.EnumSet.allOf(Target.class),
        t -> runJob(t, write(dir(name, t), spec, files)),
        expected);
  }

  private Path dir(String scenario, Target t) {
    try {
      return Files.createDirectories(
          root.resolve(scenario.replaceAll("[^a-zA-Z0-9]+", "-")).resolve(t.name()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path write(Path dir, String spec, Map<String, String> files) {
    files.forEach((name, content) -> write(dir, name, content));
    return write(dir, "job.yaml", spec);
  }

  private static Path write(Path dir, String name, String content) {
    try {
      return Files.writeString(dir.resolve(name), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private CliHarness cli(Path dir) {
    return new CliHarness(dir.resolve("home"))
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .with("MLSCALE_CACHE", dir.resolve("cache").toString());
  }

  private String[] onCluster(String... first) {
    List<String> a = new ArrayList<>(List.of(first));
    a.addAll(List.of("--target", "k8s", "-n", ns.name()));
    return a.toArray(String[]::new);
  }

  private String[] command(Target t, Path spec) {
    return switch (t) {
      case LOCAL -> new String[] {"run", spec.toString()};
      case K8S -> {
        List<String> a = new ArrayList<>(List.of(onCluster("run", spec.toString())));
        a.addAll(RealNode.PLACE);
        yield a.toArray(String[]::new);
      }
      case ARGO -> onCluster("pipeline", "run", pipeline(spec).toString());
    };
  }

  /** The job as a one-task pipeline, placed on the real node. */
  private static Path pipeline(Path spec) {
    return write(
        spec.getParent(),
        "pipeline.yaml",
        """
          name: conf-%s
          %s
          dag:
            - {name: job, job: %s}
          """
            .formatted(pipelineName(spec).substring("conf-".length()), PLACE_PIPELINE, spec));
  }

  private Outcome runJob(Target t, Path spec) {
    CliHarness cli = cli(spec.getParent());
    CliHarness.Result r = cli.run(command(t, spec));
    return read(t, cli, r);
  }

  private Outcome read(Target t, CliHarness cli, CliHarness.Result r) {
    if (r.exit() == 2) {
      return Outcome.refused(r);
    }
    if (t == Target.ARGO) {
      String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
      JsonNode view = json(cli.run(onCluster("pipeline", "status", id, "-o", "json")));
      return new Outcome(
          r.exit(), List.of(argoJob(view, "job")), "pipeline " + view.get("phase").asText());
    }
    JsonNode s = json(cli.run("status", runId(r), "-o", "json"));
    return new Outcome(r.exit(), List.of(row("", s)), model(s));
  }

  private static String model(JsonNode s) {
    return s.get("model") == null || s.get("model").isNull() ? "" : "model " + s.get("model");
  }

  private static Row row(String label, JsonNode s) {
    Map<String, Double> metrics = new LinkedHashMap<>();
    s.get("metrics")
        .fields()
        .forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asDouble()));
    JsonNode exit = s.get("exitCode");
    return new Row(
        label,
        s.get("state").asText(),
        s.get("reason").isNull() ? null : s.get("reason").asText(),
        exit == null || exit.isNull() ? null : exit.asInt(),
        s.get("attempts").isArray() ? s.get("attempts").size() : s.get("attempts").asInt(),
        metrics);
  }

  private static final Pattern ARGO_EXIT = Pattern.compile("(\\w+) \\(exit code (\\d+)\\)");

  /**
   * A task of an Argo pipeline as a user reads {@code pipeline status -o json}: its tries, the last
   * one's phase, and the reason and exit code from the last one's message.
   */
  private static Row argoJob(JsonNode view, String task) {
    List<JsonNode> tries = new ArrayList<>();
    view.get("tasks")
        .forEach(
            n -> {
              String name = n.get("name").asText();
              if (name.equals(task) || name.startsWith(task + " (try ")) {
                tries.add(n);
              }
            });
    JsonNode last = tries.get(tries.size() - 1);
    String phase = last.get("phase").asText();
    String message = last.get("message").asText();
    Matcher m = ARGO_EXIT.matcher(message);
    String reason = message;
    Integer exit = null;
    if (m.find()) {
      reason = m.group(1);
      exit = Integer.valueOf(m.group(2));
    }
    if (phase.equals("Succeeded")) {
      reason = "Completed";
      exit = 0;
    }
    return new Row("", phase, reason, exit, tries.size(), Map.of());
  }

  private static String runId(CliHarness.Result r) {
    return r.err()
        .lines()
        .filter(l -> l.startsWith("▶ "))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no run started: " + r.all()))
        .split("\\s+")[1];
  }

  private static JsonNode json(CliHarness.Result r) {
    assertThat(r.exit()).as(r.all()).isZero();
    try {
      return JSON.readTree(r.out());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- cancel

  private Outcome cancel(Target t) {
    Path spec =
        write(
            dir("cancel", t),
            """
            name: tick
            image: python:3.11-slim
            command: [python3, -u, -c, "import time\\nfor i in range(600): print('tick', i); time.sleep(0.2)"]
            resources: {cpu: 200m, memory: 64Mi}
            """,
            Map.of());
    CliHarness cli = cli(spec.getParent());
    CompletableFuture<CliHarness.Result> running =
        CompletableFuture.supplyAsync(() -> cli.run(command(t, spec)), pool);
    CliHarness.Result cancelled;
    if (t == Target.ARGO) {
      String[] id = new String[1];
      Awaitility.await()
          .atMost(LONG)
          .until(
              () -> {
                for (JsonNode p : json(cli.run(onCluster("pipeline", "ls", "-o", "json")))) {
                  if (p.get("pipeline").asText().equals(pipelineName(spec))) {
                    id[0] = p.get("id").asText();
                    JsonNode view =
                        json(cli.run(onCluster("pipeline", "status", id[0], "-o", "json")));
                    for (JsonNode task : view.get("tasks")) {
                      if (task.get("phase").asText().equals("Running")) {
                        return true;
                      }
                    }
                  }
                }
                return false;
              });
      cancelled = cli.run(onCluster("pipeline", "cancel", id[0], "--grace", "2s"));
    } else {
      String[] run = new String[1];
      Awaitility.await()
          .atMost(LONG)
          .until(
              () -> {
                for (JsonNode r : json(cli.run("ls", "-o", "json"))) {
                  run[0] = r.get("run").asText();
                  return r.get("state").asText().equals("Running");
                }
                return false;
              });
      cancelled =
          t == Target.LOCAL ? cli.run("cancel", run[0]) : cli.run(onCluster("cancel", run[0]));
    }
    assertThat(cancelled.exit()).as(cancelled.all()).isZero();
    return read(t, cli, running.join());
  }

  private static String pipelineName(Path spec) {
    return "conf-" + Integer.toString(spec.toString().hashCode() & 0xffff, 36);
  }

  // ---------------------------------------------------------------- rows

  private Outcome rows(Target t) {
    Path spec =
        write(
            dir("rows", t),
            """
            name: rows
            image: python:3.11-slim
            command: [python3, -c, "import sys; sys.exit(int(sys.argv[1]))"]
            args: ["${params.code}"]
            params: {code: 0}
            resources: {cpu: 200m, memory: 64Mi}
            rows:
              - {code: 0}
              - {code: 4}
            """,
            Map.of());
    CliHarness cli = cli(spec.getParent());
    CliHarness.Result r = cli.run(command(t, spec));
    if (r.exit() == 2 || t == Target.ARGO) {
      return read(t, cli, r);
    }
    List<Row> rows = new ArrayList<>();
    for (JsonNode run : json(cli.run("ls", "-o", "json"))) {
      JsonNode s = json(cli.run("status", run.get("run").asText(), "-o", "json"));
      rows.add(row("code=" + s.get("params").get("code").asText(), s));
    }
    rows.sort(java.util.Comparator.comparing(Row::label));
    return new Outcome(r.exit(), rows, "");
  }
}

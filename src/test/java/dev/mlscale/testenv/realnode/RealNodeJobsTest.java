package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs as real containers on the real node: the README's digits job unchanged (its setup installs
 * scikit-learn from a package index on this machine), the environment cache, pip's own message when
 * setup fails, and a real cgroup OOM kill.
 */
@RealNodeTest
class RealNodeJobsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIGITS = CliHarness.repo().resolve("examples/digits/job.yaml");
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
  }

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  private static String[] args(TestNamespace ns, String... first) {
    List<String> a = new ArrayList<>(List.of(first));
    a.addAll(List.of("--target", "k8s", "-n", ns.name()));
    a.addAll(RealNode.PLACE);
    return a.toArray(String[]::new);
  }

  private JsonNode status(CliHarness cli, String run) throws IOException {
    return JSON.readTree(cli.run("status", run, "-o", "json").out());
  }

  private static Pod onlyPod(TestNamespace ns, String run) {
    return ns.client().pods().withLabel("mlscale.dev/run", run).list().getItems().get(0);
  }

  private static String setupLog(TestNamespace ns, Pod pod) {
    return ns.client()
        .pods()
        .withName(pod.getMetadata().getName())
        .inContainer("setup-env")
        .getLog();
  }

  private static String runId(CliHarness.Result r) {
    return r.err()
        .lines()
        .filter(l -> l.startsWith("▶ "))
        .findFirst()
        .orElseThrow()
        .split("\\s+")[1];
  }

  @Test
  void theReadmesDigitsJobTrainsUnchangedAndItsEnvironmentIsBuiltOnce(TestNamespace ns)
      throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, DIGITS.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli().with("PIP_INDEX_URL", index.url());
      CliHarness.Result first = cli.run(args(ns, "run", DIGITS.toString()));
      assertThat(first.exit()).as(first.err()).isZero();
      assertThat(first.err())
          .contains("Running on node real-0")
          .containsPattern("metrics: accuracy=0\\.9\\d*");
      // the real program's own output, streamed from the container while it ran
      assertThat(first.out()).contains("training on 1347 digits");
      String run = runId(first);
      JsonNode s = status(cli, run);
      assertThat(s.get("state").asText()).isEqualTo("Succeeded");
      Pod pod = onlyPod(ns, run);
      assertThat(pod.getSpec().getNodeName()).isEqualTo(RealNode.NAME);
      assertThat(setupLog(ns, pod))
          .contains("building environment")
          .contains("Successfully installed");
      assertThat(index.downloads()).anyMatch(f -> f.startsWith("scikit_learn-"));
      // the model, written by the real training to the model-storage volume
      Path models =
          RealNode.hostPath(ns.client(), "model-storage").resolve("models/digits").resolve(run);
      try (Stream<Path> files = Files.list(models)) {
        assertThat(files.map(p -> p.getFileName().toString())).contains("model.pkl");
      }
      JsonNode listed = JSON.readTree(cli.run("models", "ls", "-o", "json").out());
      assertThat(listed).hasSize(1);
      assertThat(listed.get(0).toString())
          .contains("pvc://" + ns.name() + "/model-storage/models/digits/" + run);
      // the same environment key: the second pod installs nothing
      int downloaded = index.downloads().size();
      CliHarness.Result second = cli.run(args(ns, "run", DIGITS.toString()));
      assertThat(second.exit()).as(second.err()).isZero();
      assertThat(setupLog(ns, onlyPod(ns, runId(second))))
          .contains("is ready in the cache; nothing to install")
          .doesNotContain("pip install");
      assertThat(index.downloads()).hasSize(downloaded);
    }
  }

  @Test
  void twoRunsStartedTogetherBuildTheEnvironmentOnce(TestNamespace ns) throws Exception {
    RealNode.createClaim(ns.client(), "model-storage");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, DIGITS.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli().with("PIP_INDEX_URL", index.url());
      var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
      var a = pool.submit(() -> cli.run(args(ns, "run", DIGITS.toString())));
      var b = pool.submit(() -> cli.run(args(ns, "run", DIGITS.toString())));
      List<CliHarness.Result> results = List.of(a.get(), b.get());
      pool.shutdown();
      List<String> logs = new ArrayList<>();
      for (CliHarness.Result r : results) {
        assertThat(r.exit()).as(r.err()).isZero();
        logs.add(setupLog(ns, onlyPod(ns, runId(r))));
      }
      assertThat(logs)
          .filteredOn(l -> l.contains("mlscale setup: building environment"))
          .hasSize(1);
      assertThat(logs)
          .filteredOn(l -> l.contains("built by another pod") || l.contains("ready in the cache"))
          .hasSize(1);
      long sklearn = index.downloads().stream().filter(f -> f.startsWith("scikit_learn-")).count();
      assertThat(sklearn).isEqualTo(1);
    }
  }

  @Test
  void aRequirementPipCannotFindFailsAtOnceWithPipsMessage(TestNamespace ns) throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    Files.writeString(work.resolve("requirements.txt"), "scikit-learn==9\n");
    Files.writeString(work.resolve("train.py"), "print('never runs')\n");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: broken
            image: python:3.11-slim
            setup: {requirements: requirements.txt}
            command: [python, train.py]
            retries: 2
            """);
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, DIGITS.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli().with("PIP_INDEX_URL", index.url());
      CliHarness.Result r = cli.run(args(ns, "run", spec.toString()));
      assertThat(r.exit()).isEqualTo(1);
      assertThat(r.err())
          .contains("setup failed: No matching distribution found for scikit-learn==9");
      JsonNode s = status(cli, runId(r));
      assertThat(s.get("reason").asText()).isEqualTo("SetupFailed");
      assertThat(s.get("message").asText())
          .isEqualTo("setup failed: No matching distribution found for scikit-learn==9");
      // not retried: the same requirement would fail the same way
      assertThat(ns.client().pods().withLabel("mlscale.dev/run", runId(r)).list().getItems())
          .hasSize(1);
    }
  }

  @Test
  void aRealCgroupOomKillIsExplainedAndOnOomRetriesWithMoreMemory(TestNamespace ns)
      throws IOException {
    Path oom = CliHarness.repo().resolve("examples/oom/job.yaml");
    CliHarness cli = cli();
    CliHarness.Result r = cli.run(args(ns, "run", oom.toString()));
    assertThat(r.exit()).isEqualTo(1);
    JsonNode s = status(cli, runId(r));
    assertThat(s.get("reason").asText()).isEqualTo("OOMKilled");
    assertThat(s.get("exitCode").asInt()).isEqualTo(137);
    assertThat(s.get("message").asText()).contains("memory limit of 200Mi").contains("real-0");

    Files.writeString(
        work.resolve("grow.py"),
        """
        chunks = [bytearray(b"x") * (10 * 1024 * 1024) for _ in range(30)]
        print("held %d MB" % (10 * len(chunks)))
        """);
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: grow
            image: python:3.11-slim
            command: [python3, grow.py]
            resources: {cpu: 500m, memory: 200Mi}
            on_oom: {increase: 2x, max: 800Mi}
            """);
    CliHarness.Result grown = cli.run(args(ns, "run", spec.toString()));
    assertThat(grown.exit()).as(grown.err()).isZero();
    assertThat(grown.err()).contains("OOMKilled at 200Mi; on_oom: a new Job with 400Mi");
    assertThat(grown.out()).contains("held 300 MB");
  }

  @Test
  void workshopMultiAsOneIndexedJobOnlyTheLeakyRowIsOomKilled(TestNamespace ns) throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    Path multi = CliHarness.repo().resolve("examples/multi/job.yaml");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, DIGITS.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli().with("PIP_INDEX_URL", index.url());
      CliHarness.Result r = cli.run(args(ns, "run", multi.toString(), "--set", "params.epochs=3"));
      assertThat(r.exit()).as(r.err()).isEqualTo(1);
      assertThat(r.err()).contains("4/4 done, 3 succeeded, 1 failed");
      JsonNode runs = JSON.readTree(cli.run("ls", "-o", "json").out());
      assertThat(runs).hasSize(4);
      for (JsonNode run : runs) {
        boolean leaky = run.get("params").get("waste_mb").asInt() > 0;
        assertThat(run.get("state").asText())
            .as(run.toString())
            .isEqualTo(leaky ? "Failed" : "Succeeded");
        assertThat(run.get("reason").asText()).isEqualTo(leaky ? "OOMKilled" : "Completed");
        if (leaky) {
          assertThat(run.get("message").asText()).contains("memory limit of 700Mi");
        } else {
          assertThat(run.get("metrics").get("accuracy").asDouble()).isGreaterThan(0.5);
        }
      }
      assertThat(ns.client().batch().v1().jobs().list().getItems())
          .singleElement()
          .satisfies(j -> assertThat(j.getSpec().getCompletionMode()).isEqualTo("Indexed"));
    }
  }

  @Test
  void logsFollowCancelTimeoutAndFailFastActOnRealContainers(TestNamespace ns) throws Exception {
    Files.writeString(
        work.resolve("tick.py"),
        """
        import sys, time
        for i in range(600):
            print("tick %d" % i, flush=True)
            time.sleep(0.2)
        sys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
        """);
    Files.writeString(work.resolve("usage.py"), "import sys; print('bad usage'); sys.exit(2)\n");
    Path ticker =
        Files.writeString(
            work.resolve("tick.yaml"),
            """
            name: tick
            image: python:3.11-slim
            command: [python3, tick.py]
            resources: {cpu: 200m, memory: 64Mi}
            """);
    CliHarness cli = cli();
    // run it, follow its real output from another terminal, then cancel it from a third
    var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    var running = pool.submit(() -> cli.run(args(ns, "run", ticker.toString())));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(120))
        .until(
            () ->
                ns.client().pods().list().getItems().stream()
                    .anyMatch(p -> "Running".equals(p.getStatus().getPhase())));
    String run =
        ns.client()
            .pods()
            .list()
            .getItems()
            .get(0)
            .getMetadata()
            .getLabels()
            .get("mlscale.dev/run");
    var follow = pool.submit(() -> cli.run("logs", run, "-f", "--target", "k8s", "-n", ns.name()));
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(
            () ->
                ns.client()
                    .pods()
                    .withName(onlyPod(ns, run).getMetadata().getName())
                    .getLog()
                    .contains("tick 10"));
    CliHarness.Result cancel = cli.run("cancel", run, "--target", "k8s", "-n", ns.name());
    assertThat(cancel.exit()).as(cancel.err()).isZero();
    CliHarness.Result ended = running.get(120, java.util.concurrent.TimeUnit.SECONDS);
    CliHarness.Result followed = follow.get(120, java.util.concurrent.TimeUnit.SECONDS);
    pool.shutdown();
    assertThat(ended.exit()).as(ended.err()).isEqualTo(130);
    assertThat(status(cli, run).get("state").asText()).isEqualTo("Cancelled");
    assertThat(followed.out()).contains("tick 0").contains("tick 10");
    // the container is gone: no pod of the run is left running
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(60))
        .until(
            () ->
                ns.client().pods().withLabel("mlscale.dev/run", run).list().getItems().stream()
                    .noneMatch(p -> "Running".equals(p.getStatus().getPhase())));

    // a timeout ends a running container as DeadlineExceeded
    CliHarness.Result timedOut = cli.run(args(ns, "run", ticker.toString(), "--set", "timeout=5s"));
    assertThat(timedOut.exit()).isEqualTo(1);
    assertThat(status(cli, runId(timedOut)).get("reason").asText()).isEqualTo("DeadlineExceeded");

    // an exit code in fail_fast_exit_codes fails at once, one pod only
    Path usage =
        Files.writeString(
            work.resolve("usage.yaml"),
            """
            name: usage
            image: python:3.11-slim
            command: [python3, usage.py]
            resources: {cpu: 200m, memory: 64Mi}
            retries: {limit: 3, fail_fast_exit_codes: [2]}
            """);
    CliHarness.Result failed = cli.run(args(ns, "run", usage.toString()));
    assertThat(failed.exit()).isEqualTo(1);
    JsonNode s = status(cli, runId(failed));
    assertThat(s.get("reason").asText()).isEqualTo("Error");
    assertThat(s.get("message").asText()).contains("one of fail_fast_exit_codes: not retried");
    assertThat(s.get("exitCode").asInt()).isEqualTo(2);
    assertThat(ns.client().pods().withLabel("mlscale.dev/run", runId(failed)).list().getItems())
        .hasSize(1);
  }

  @Test
  void anImageWithoutPythonIsNamedInTheError(TestNamespace ns) throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    Files.writeString(work.resolve("requirements.txt"), "scikit-learn\n");
    Files.writeString(work.resolve("train.py"), "print('never runs')\n");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: nopython
            image: registry.k8s.io/pause:3.10
            setup: {requirements: requirements.txt}
            command: [python, train.py]
            """);
    CliHarness cli = cli();
    CliHarness.Result r = cli.run(args(ns, "run", spec.toString()));
    assertThat(r.exit()).isEqualTo(1);
    JsonNode s = status(cli, runId(r));
    assertThat(s.get("reason").asText()).isEqualTo("ImageWithoutPython");
    assertThat(s.get("message").asText())
        .contains("the image registry.k8s.io/pause:3.10 cannot run Python")
        .contains("python:3.11-slim");
  }

  @Test
  void theRenderedDigitsJobWithItsSetupPassesTheServersDryRun(TestNamespace ns) {
    CliHarness.Result r =
        cli().run("render", DIGITS.toString(), "-n", ns.name(), "--server-dry-run");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("name: \"setup-env\"").contains("mlscale-envs");
  }

  @Test
  void anAirGappedSetupInstallsFromAWheelhouseOnTheClaim(TestNamespace ns) throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    Path requirements = Files.writeString(work.resolve("requirements.txt"), "threadpoolctl\n");
    // an admin copied the wheels onto the environment claim: mlscale-envs/wheels
    Path wheels = RealNode.hostPath(ns.client(), "model-storage").resolve("mlscale-envs/wheels");
    Files.createDirectories(wheels);
    try (Stream<Path> files = Files.list(PackageIndex.wheelsFor(requirements))) {
      for (Path f : files.filter(f -> f.toString().endsWith(".whl")).toList()) {
        Files.copy(f, wheels.resolve(f.getFileName()));
      }
    }
    Files.writeString(
        work.resolve("train.py"),
        "import threadpoolctl\nprint('offline', threadpoolctl.__version__)\n");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: airgap
            image: python:3.11-slim
            setup: {requirements: requirements.txt, wheelhouse: wheels}
            command: [python, train.py]
            resources: {cpu: 200m, memory: 256Mi}
            """);
    CliHarness cli = cli(); // no index at all: the pods reach nothing but this machine anyway
    CliHarness.Result r = cli.run(args(ns, "run", spec.toString()));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("offline ");
    assertThat(setupLog(ns, onlyPod(ns, runId(r))))
        .contains("--find-links /mlscale/envs/wheels")
        .contains("--no-index")
        .contains("Successfully installed threadpoolctl");
  }
}

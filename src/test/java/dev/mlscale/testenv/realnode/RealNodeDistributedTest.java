package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed example (examples/distributed: LightGBM's data-parallel learner, 2 workers) as
 * ONE Indexed Job on the real node: the two pods find each other through the headless Service's DNS
 * names ({@code JOB-K.JOB}, answered by the test cluster's CoreDNS) and train one model together; a
 * worker killed mid-training fails the Job, and the retry Job trains the whole gang again.
 */
@RealNodeTest
class RealNodeDistributedTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SPEC = CliHarness.repo().resolve("examples/distributed/job.yaml");
  private static final Pattern FINAL = Pattern.compile("final loss (\\S+) model (\\S+)");
  private static final String INDEX_LABEL = "batch.kubernetes.io/job-completion-index";
  @TempDir Path home;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
  }

  private CliHarness cli(PackageIndex index) {
    return new CliHarness(home)
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .with("PIP_INDEX_URL", index.url());
  }

  /** The example on the real node, small enough for its 2 CPUs next to other tests' pods. */
  private static String[] args(TestNamespace ns, String... extra) {
    List<String> a = new ArrayList<>(List.of("run", SPEC.toString()));
    a.addAll(List.of("--target", "k8s", "-n", ns.name()));
    a.addAll(RealNode.PLACE);
    a.addAll(List.of("--set", "resources.cpu=0.25", "--set", "resources.memory=512Mi"));
    a.addAll(List.of(extra));
    return a.toArray(String[]::new);
  }

  private static String runId(CliHarness.Result r) {
    return r.err()
        .lines()
        .filter(l -> l.startsWith("▶ "))
        .findFirst()
        .orElseThrow()
        .split("\\s+")[1];
  }

  private static Pod worker(TestNamespace ns, String job, int rank) {
    return ns.client()
        .pods()
        .withLabel("batch.kubernetes.io/job-name", job)
        .withLabel(INDEX_LABEL, Integer.toString(rank))
        .list()
        .getItems()
        .get(0);
  }

  private static String log(TestNamespace ns, Pod pod) {
    return ns.client().pods().withName(pod.getMetadata().getName()).inContainer("main").getLog();
  }

  private static String env(Pod pod, String name) {
    return pod.getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("main"))
        .flatMap(c -> c.getEnv().stream())
        .filter(e -> e.getName().equals(name))
        .map(EnvVar::getValue)
        .findFirst()
        .orElseThrow();
  }

  /** Each worker's final loss and model digest, and what it printed about its peers. */
  private static void assertTrainedTogether(TestNamespace ns, String job) {
    List<String[]> finals = new ArrayList<>();
    for (int rank = 0; rank < 2; rank++) {
      Pod pod = worker(ns, job, rank);
      assertThat(pod.getSpec().getNodeName()).isEqualTo(RealNode.NAME);
      // the peers are named by the headless Service, not by address
      assertThat(env(pod, "MLSCALE_WORKER_HOSTS"))
          .matches(
              Pattern.quote(job + "-0." + job)
                  + ":\\d+,"
                  + Pattern.quote(job + "-1." + job)
                  + ":\\d+");
      String log = log(ns, pod);
      // ... which DNS turned into the pods' addresses on the bridge, and LightGBM connected
      assertThat(log)
          .containsPattern("worker " + rank + " of 2: \\d+ training rows; peers 10\\.244\\.")
          .contains("Local rank: " + rank + ", total number of machines: 2");
      Matcher m = FINAL.matcher(log);
      assertThat(m.find()).as(log).isTrue();
      finals.add(new String[] {m.group(1), m.group(2)});
    }
    assertThat(finals.get(1)).containsExactly(finals.get(0)); // the same loss, the same trees
  }

  @Test
  void twoPodsFindEachOtherByTheServicesDnsNamesAndTrainOneModel(TestNamespace ns)
      throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, SPEC.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli(index);
      CliHarness.Result r = cli.run(args(ns));
      assertThat(r.exit()).as(r.all()).isZero();
      String run = runId(r);
      assertTrainedTogether(ns, run);
      JsonNode s = JSON.readTree(cli.run("status", run, "-o", "json").out());
      assertThat(s.get("state").asText()).isEqualTo("Succeeded");
      assertThat(s.get("metrics").get("loss").asDouble()).isPositive();
      Path model =
          RealNode.hostPath(ns.client(), "model-storage")
              .resolve("models/gbm")
              .resolve(run)
              .resolve("model.txt");
      assertThat(Files.readString(model)).contains("[tree_learner: data]");
    }
  }

  @Test
  void twoRowsAreTwoGangsOneAfterTheOtherAndLogsShowOneWorker(TestNamespace ns) throws IOException {
    RealNode.createClaim(ns.client(), "model-storage");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, SPEC.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli(index);
      CliHarness.Result r =
          cli.run(
              args(
                  ns,
                  "--set",
                  "params.rows=8000",
                  "--set",
                  "rows=[{rounds: 10}, {rounds: 20}]",
                  "--set",
                  "parallelism=1"));
      assertThat(r.exit()).as(r.all()).isZero();
      String run = runId(r).replaceFirst("-r0$", "");
      // each row's gang is a Job of its own, whose two pods found each other and trained
      assertTrainedTogether(ns, run + "-r0");
      assertTrainedTogether(ns, run + "-r1");
      assertThat(log(ns, worker(ns, run + "-r1", 0))).contains("round 20 ");
      CliHarness.Result logs =
          cli.run("logs", run + "-r1", "--worker", "1", "--target", "k8s", "-n", ns.name());
      assertThat(logs.exit()).as(logs.all()).isZero();
      assertThat(logs.out()).contains("Local rank: 1, total number of machines: 2");
      CliHarness.Result both = cli.run("logs", run + "-r1", "--target", "k8s", "-n", ns.name());
      assertThat(both.exit()).isEqualTo(2);
      assertThat(both.err()).contains("is distributed (2 workers); name one");
    }
  }

  @Test
  void aWorkerKilledMidTrainingFailsTheJobAndTheRetryJobTrains(TestNamespace ns) throws Exception {
    RealNode.createClaim(ns.client(), "model-storage");
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, SPEC.resolveSibling("requirements.txt"))) {
      CliHarness cli = cli(index);
      CompletableFuture<CliHarness.Result> running =
          CompletableFuture.supplyAsync(() -> cli.run(args(ns, "--set", "params.round_pause=0.5")));
      // worker 1 of the first Job is training: its container's processes are killed on this host
      String[] job = new String[1];
      await("worker 1 of the first Job to reach round 10")
          .atMost(Duration.ofMinutes(5))
          .pollInterval(Duration.ofSeconds(1))
          .ignoreExceptions()
          .until(
              () -> {
                Pod p = ns.client().pods().withLabel(INDEX_LABEL, "1").list().getItems().get(0);
                job[0] = p.getMetadata().getLabels().get("batch.kubernetes.io/job-name");
                return log(ns, p).contains("round 10 ");
              });
      assertThat(killWorker(job[0], 1)).isPositive();
      CliHarness.Result r = running.get();
      assertThat(r.exit()).as(r.all()).isZero();
      String run = runId(r);
      assertThat(job[0]).isEqualTo(run);
      JsonNode s = JSON.readTree(cli.run("status", run, "-o", "json").out());
      assertThat(s.get("state").asText()).isEqualTo("Succeeded");
      // the first Job failed as a whole (its pod failure policy), and mlscale said why
      assertThat(ns.client().batch().v1().jobs().list().getItems())
          .extracting(j -> j.getMetadata().getName())
          .containsExactlyInAnyOrder(run, run + "-a2");
      assertThat(ns.client().batch().v1().jobs().withName(run).get().getStatus().getConditions())
          .anyMatch(c -> c.getType().equals("Failed") && c.getStatus().equals("True"));
      assertThat(r.err()).contains("worker 1");
      // the retry is a new Job with its own Service and names, and the whole gang trained there
      assertTrainedTogether(ns, run + "-a2");
    }
  }

  /**
   * Kills (SIGKILL) the processes of worker {@code rank} of {@code job}: the real node's containers
   * are processes on this machine, told apart by the worker environment mlscale gives them.
   */
  static int killWorker(String job, int rank) throws IOException, InterruptedException {
    String hosts = "MLSCALE_WORKER_HOSTS=" + job + "-0." + job + ":";
    String index = "MLSCALE_WORKER_INDEX=" + rank;
    int killed = 0;
    try (var procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        List<String> environ;
        try {
          environ =
              List.of(
                  new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8)
                      .split("\0"));
        } catch (IOException gone) {
          continue;
        }
        if (environ.contains(index) && environ.stream().anyMatch(e -> e.startsWith(hosts))) {
          Process kill = new ProcessBuilder("kill", "-KILL", p.getFileName().toString()).start();
          if (kill.waitFor() == 0) {
            killed++;
          }
        }
      }
    }
    return killed;
  }
}

package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.KueueTestEnv;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kubernetes.queue} against the real Kueue controller (testenv/kueue) on the test cluster: a
 * ClusterQueue of 10 CPUs per test, a LocalQueue {@code q} in the test's namespace, simulated pods
 * on the KWOK nodes.
 */
@ClusterTest
class KueueQueueTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;
  private final List<HasMetadata> clusterScoped = new ArrayList<>();
  private KubernetesClient admin;

  /** How long one queued run may take here before the test fails saying what it waited for. */
  private static final Duration RUN_LIMIT = Duration.ofMinutes(2);

  /** {@code mlscale ARGS} in the background: the test waits for it with {@link #done}. */
  private CompletableFuture<CliHarness.Result> start(String... args) {
    return CompletableFuture.supplyAsync(() -> mlscale(args));
  }

  /** The result of a command started with {@link #start}; fails after {@code limit}. */
  private static CliHarness.Result done(
      CompletableFuture<CliHarness.Result> run, Duration limit, String what) throws Exception {
    try {
      return run.get(limit.toSeconds(), TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError("waited " + limit + " for " + what + " to end; it has not", e);
    }
  }

  private CliHarness.Result mlscale(String... args) {
    return new CliHarness(home)
        .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
        .run(args);
  }

  /** A ResourceFlavor, a ClusterQueue of {@code cpus} for this namespace only, LocalQueue q. */
  private String queues(TestNamespace ns, int cpus) {
    KueueTestEnv.controller();
    admin = TestCluster.get().client();
    String cq = "cq-" + ns.name();
    create(
        """
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: ResourceFlavor
        metadata: {name: rf-%s}
        """
            .formatted(ns.name()),
        true);
    create(
        """
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: ClusterQueue
        metadata: {name: %s}
        spec:
          namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}
          queueingStrategy: StrictFIFO
          resourceGroups:
          - coveredResources: [cpu, memory]
            flavors:
            - name: rf-%s
              resources:
              - {name: cpu, nominalQuota: %d}
              - {name: memory, nominalQuota: 1Ti}
        """
            .formatted(cq, ns.name(), ns.name(), cpus),
        true);
    create(
        """
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: LocalQueue
        metadata: {name: q, namespace: %s}
        spec: {clusterQueue: %s}
        """
            .formatted(ns.name(), cq),
        false);
    return cq;
  }

  private void create(String yaml, boolean clusterWide) {
    GenericKubernetesResource r = Serialization.unmarshal(yaml, GenericKubernetesResource.class);
    HasMetadata made = admin.resource(r).create();
    if (clusterWide) {
      clusterScoped.add(0, made);
    }
  }

  @AfterEach
  void deleteClusterScoped() {
    if (admin != null) {
      clusterScoped.forEach(o -> admin.resource(o).delete());
    }
  }

  private Path spec(String yaml) throws IOException {
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    return Files.writeString(work.resolve("job-" + yaml.hashCode() + ".yaml"), yaml);
  }

  @Test
  void hundredRowsUnderATenCpuQuotaNeverExceedItAndAllFinish(TestNamespace ns) throws Exception {
    queues(ns, 10);
    Set<String> running = ConcurrentHashMap.newKeySet();
    AtomicInteger most = new AtomicInteger();
    var pods =
        ns.client()
            .pods()
            .inform(
                new ResourceEventHandler<Pod>() {
                  @Override
                  public void onAdd(Pod p) {
                    seen(p);
                  }

                  @Override
                  public void onUpdate(Pod o, Pod p) {
                    seen(p);
                  }

                  @Override
                  public void onDelete(Pod p, boolean unknown) {
                    running.remove(p.getMetadata().getName());
                  }

                  private void seen(Pod p) {
                    if ("Running".equals(p.getStatus().getPhase())) {
                      running.add(p.getMetadata().getName());
                      most.accumulateAndGet(running.size(), Math::max);
                    } else {
                      running.remove(p.getMetadata().getName());
                    }
                  }
                });
    try {
      StringBuilder rows = new StringBuilder();
      for (int i = 0; i < 100; i++) {
        rows.append("  - {i: ").append(i).append("}\n");
      }
      Path spec =
          spec(
              """
              name: hundred
              image: python:3.11-slim
              command: [python, train.py]
              args: ["${params.i}"]
              params: {i: 0}
              parallelism: 100
              resources: {cpu: 1, memory: 128Mi}
              kubernetes:
                pod_annotations: {sim.mlscale.dev/duration: 1s}
              rows:
              """
                  + rows);
      CliHarness.Result r =
          done(
              start("run", spec.toString(), "--target", "k8s", "-n", ns.name(), "--queue", "q"),
              Duration.ofMinutes(3),
              "100 rows of 1 CPU through a 10-CPU ClusterQueue");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err()).contains("admitted by ClusterQueue cq-" + ns.name());
      JsonNode runs = JSON.readTree(mlscale("ls", "--limit", "200", "-o", "json").out());
      assertThat(runs).hasSize(100);
      runs.forEach(run -> assertThat(run.get("state").asText()).isEqualTo("Succeeded"));
      // Kueue admitted the Indexed Job with the parallelism its quota allows (10 of 100 asked)
      var job = ns.client().batch().v1().jobs().list().getItems().get(0);
      assertThat(job.getSpec().getParallelism()).isEqualTo(10);
      assertThat(most.get()).isBetween(1, 10);
    } finally {
      pods.close();
    }
  }

  @Test
  void aHigherPriorityRunIsAdmittedFirstAndQueuedRunsSayWhere(TestNamespace ns) throws Exception {
    // a quota of 2 CPUs, each run asking for all of it: small enough to fit on any simulated node
    // (4 or 8 CPUs) that other tests share
    String cq = queues(ns, 2);
    for (var p : List.of(List.of("high", "1000"), List.of("low", "10"))) {
      var made =
          admin
              .resource(
                  new io.fabric8.kubernetes.api.model.scheduling.v1.PriorityClassBuilder()
                      .withNewMetadata()
                      .withName(p.get(0) + "-" + ns.name())
                      .endMetadata()
                      .withValue(Integer.parseInt(p.get(1)))
                      .build())
              .create();
      clusterScoped.add(made);
    }
    String job =
        """
        name: %s
        image: python:3.11-slim
        command: [python, train.py]
        resources: {cpu: 2, memory: 128Mi}
        kubernetes:
          queue: q
          %s
          pod_annotations: {sim.mlscale.dev/duration: %s}
        """;
    // the blocker takes the whole quota until it is cancelled
    Path blocker = spec(job.formatted("blocker", "", "1h"));
    var blockerRun = start("run", blocker.toString(), "--target", "k8s", "-n", ns.name());
    await("the blocker run to be Running (admitted, its pod on a node)")
        .atMost(Duration.ofMinutes(2))
        .until(() -> ls(ns).stream().anyMatch(j -> j.get("state").asText().equals("Running")));
    Path low = spec(job.formatted("low", "priority_class: low-" + ns.name(), "2s"));
    var lowRun = start("run", low.toString(), "--target", "k8s", "-n", ns.name());
    await("the low-priority run to be Queued")
        .atMost(Duration.ofMinutes(1))
        .until(() -> queued(ns, "low").isPresent());
    Path high = spec(job.formatted("high", "priority_class: high-" + ns.name(), "2s"));
    var highRun = start("run", high.toString(), "--target", "k8s", "-n", ns.name());
    await("the high-priority run to be Queued")
        .atMost(Duration.ofMinutes(1))
        .until(() -> queued(ns, "high").isPresent());
    // created later, but first in line: its priority is higher. The usage is Kueue's
    // ClusterQueue status, which Kueue writes a moment after it admits: wait for it to settle
    await("the queued runs' standing to show the blocker's 2 CPUs")
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () -> {
              assertThat(queued(ns, "high"))
                  .contains(
                      "queued in q (position 1; ClusterQueue " + cq + " has used 2 of 2 CPUs)");
              assertThat(queued(ns, "low"))
                  .contains(
                      "queued in q (position 2; ClusterQueue " + cq + " has used 2 of 2 CPUs)");
            });
    String blockerId = runId(ns, "blocker");
    assertThat(mlscale("cancel", blockerId, "--target", "k8s", "-n", ns.name()).exit()).isZero();
    assertThat(done(blockerRun, RUN_LIMIT, "the cancelled blocker run").exit()).isEqualTo(130);
    CliHarness.Result h = done(highRun, RUN_LIMIT, "the high-priority run");
    assertThat(h.exit()).as(h.err()).isZero();
    assertThat(h.err())
        .contains("queued in q (position 1; ClusterQueue " + cq)
        .contains("admitted by ClusterQueue " + cq);
    CliHarness.Result l = done(lowRun, RUN_LIMIT, "the low-priority run");
    assertThat(l.exit()).as(l.err()).isZero();
    // the low-priority run waited for the high one: admitted only after it had finished
    assertThat(admittedAt(ns, "high")).isBefore(admittedAt(ns, "low"));
    assertThat(finishedAt(ns, "high")).isBeforeOrEqualTo(admittedAt(ns, "low"));
  }

  @Test
  void aQueuedGangIsAdmittedWholeNeverOneWorkerAtATime(TestNamespace ns) throws Exception {
    // a quota of 4 CPUs: the blocker holds 2, the gang needs 2 workers of 2 CPUs; half of it
    // would fit, yet no worker may start until all can
    String cq = queues(ns, 4);
    Path blocker =
        spec(
            """
            name: blocker
            image: python:3.11-slim
            command: [python, train.py]
            resources: {cpu: 2, memory: 128Mi}
            kubernetes:
              queue: q
              pod_annotations: {sim.mlscale.dev/duration: 1h}
            """);
    var blockerRun = start("run", blocker.toString(), "--target", "k8s", "-n", ns.name());
    await("the blocker run to be Running (admitted, its pod on a node)")
        .atMost(Duration.ofMinutes(2))
        .until(() -> ls(ns).stream().anyMatch(j -> j.get("state").asText().equals("Running")));
    Path gang =
        spec(
            """
            name: gang
            image: python:3.11-slim
            command: [python, train.py]
            resources: {cpu: 2, memory: 128Mi}
            distributed: {workers: 2}
            kubernetes:
              queue: q
              node_pool: train-cpu
              pod_annotations: {sim.mlscale.dev/duration: 1s}
            """);
    var gangRun = start("run", gang.toString(), "--target", "k8s", "-n", ns.name());
    await("the gang to be Queued")
        .atMost(Duration.ofMinutes(1))
        .until(() -> queued(ns, "gang").isPresent());
    // the usage is Kueue's ClusterQueue status, written a moment after it admits the blocker
    await("the gang's standing to show the blocker's 2 CPUs")
        .atMost(Duration.ofMinutes(1))
        .untilAsserted(
            () ->
                assertThat(queued(ns, "gang"))
                    .contains(
                        "queued in q (position 1; ClusterQueue " + cq + " has used 2 of 4 CPUs)"));
    // one Workload for the whole gang: one pod set of 2 workers, asking 4 CPUs together
    GenericKubernetesResource w = workload(ns, "gang");
    @SuppressWarnings("unchecked")
    var podSets =
        (List<java.util.Map<String, Object>>)
            ((java.util.Map<String, Object>) w.getAdditionalProperties().get("spec"))
                .get("podSets");
    assertThat(podSets).singleElement().satisfies(ps -> assertThat(ps.get("count")).isEqualTo(2));
    String gangId = runId(ns, "gang");
    assertThat(ns.client().pods().withLabel("mlscale.dev/run", gangId).list().getItems())
        .as("no worker of a queued gang has a pod")
        .isEmpty();

    String blockerId = runId(ns, "blocker");
    assertThat(mlscale("cancel", blockerId, "--target", "k8s", "-n", ns.name()).exit()).isZero();
    assertThat(done(blockerRun, RUN_LIMIT, "the cancelled blocker run").exit()).isEqualTo(130);
    CliHarness.Result g = done(gangRun, RUN_LIMIT, "the queued gang");
    assertThat(g.exit()).as(g.err()).isZero();
    assertThat(g.err()).contains("admitted by ClusterQueue " + cq);
    List<Pod> workers = ns.client().pods().withLabel("mlscale.dev/run", gangId).list().getItems();
    assertThat(workers).hasSize(2);
    // both workers' pods were made at once, after the admission: Kueue unsuspended the Job whole
    java.time.Instant admitted = admittedAt(ns, "gang");
    assertThat(workers)
        .allSatisfy(
            p ->
                assertThat(java.time.Instant.parse(p.getMetadata().getCreationTimestamp()))
                    .isAfterOrEqualTo(admitted.minusSeconds(1)));
  }

  @Test
  void aSweepResumedWithoutQueueKeepsTheQueueItWasStartedWith(TestNamespace ns) throws Exception {
    queues(ns, 10);
    spec(
        """
        name: trial
        image: python:3.11-slim
        command: [python, train.py]
        args: ["${params.lr}"]
        params: {lr: 0.1}
        resources: {cpu: 1, memory: 128Mi}
        kubernetes:
          pod_annotations:
            sim.mlscale.dev/duration: 3s
            sim.mlscale.dev/message: '{"score": 0.5}'
        """);
    Path job =
        Files.list(work)
            .filter(f -> f.getFileName().toString().startsWith("job-"))
            .findFirst()
            .orElseThrow();
    Path sweep =
        Files.writeString(
            work.resolve("sweep.yaml"),
            """
            name: qs
            job: %s
            objective: {metric: score}
            algorithm: random
            seed: 3
            space: {lr: {uniform: [0.0, 1.0]}}
            budget: {max_trials: 4, max_parallel: 2}
            """
                .formatted(job.getFileName()));
    Process first =
        new CliHarness(home)
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
            .start(
                work.resolve("first.log"),
                "sweep",
                "run",
                sweep.toString(),
                "--target",
                "k8s",
                "-n",
                ns.name(),
                "--queue",
                "q");
    await("the sweep's first trial Job")
        .atMost(Duration.ofMinutes(1))
        .until(() -> !trialJobs(ns).isEmpty());
    first.destroyForcibly().waitFor(); // kill -9
    String id = trialJobs(ns).get(0).getMetadata().getLabels().get("mlscale.dev/sweep");
    // resumed from another machine, without --queue
    CliHarness.Result r =
        new CliHarness(work.resolve("other-home"))
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
            .run("sweep", "resume", id, "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all() + Files.readString(work.resolve("first.log"))).isZero();
    assertThat(trialJobs(ns))
        .hasSize(4)
        .allSatisfy(
            j ->
                assertThat(j.getMetadata().getLabels())
                    .containsEntry("kueue.x-k8s.io/queue-name", "q"));
  }

  private static List<io.fabric8.kubernetes.api.model.batch.v1.Job> trialJobs(TestNamespace ns) {
    return ns.client().batch().v1().jobs().withLabel("mlscale.dev/sweep").list().getItems();
  }

  /** The id of the run named {@code name} in the namespace, as {@code ls} shows it. */
  private String runId(TestNamespace ns, String name) throws IOException {
    return ls(ns).stream()
        .filter(j -> j.get("name").asText().equals(name))
        .findFirst()
        .orElseThrow()
        .get("run")
        .asText();
  }

  private List<JsonNode> ls(TestNamespace ns) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(mlscale("ls", "--target", "k8s", "-n", ns.name(), "-o", "json").out())
        .forEach(out::add);
    return out;
  }

  private java.util.Optional<String> queued(TestNamespace ns, String name) throws IOException {
    return ls(ns).stream()
        .filter(j -> j.get("name").asText().equals(name))
        .filter(j -> j.get("state").asText().equals("Queued"))
        .map(j -> j.get("reason").asText())
        .findFirst();
  }

  private GenericKubernetesResource workload(TestNamespace ns, String name) {
    return ns.client().genericKubernetesResources(Queues.API, "Workload").list().getItems().stream()
        .filter(w -> w.getMetadata().getName().startsWith("job-" + name + "-"))
        .findFirst()
        .orElseThrow();
  }

  private java.time.Instant admittedAt(TestNamespace ns, String name) {
    return conditionTime(workload(ns, name), "QuotaReserved");
  }

  private java.time.Instant finishedAt(TestNamespace ns, String name) {
    return conditionTime(workload(ns, name), "Finished");
  }

  @SuppressWarnings("unchecked")
  private static java.time.Instant conditionTime(GenericKubernetesResource w, String type) {
    var status = (java.util.Map<String, Object>) w.getAdditionalProperties().get("status");
    for (Object c : (List<Object>) status.get("conditions")) {
      var m = (java.util.Map<String, Object>) c;
      if (type.equals(m.get("type"))) {
        return java.time.Instant.parse(m.get("lastTransitionTime").toString());
      }
    }
    throw new AssertionError("no condition " + type + " on " + w.getMetadata().getName());
  }
}

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
  void hundredRowsUnderATenCpuQuotaNeverExceedItAndAllFinish(TestNamespace ns) throws IOException {
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
          mlscale("run", spec.toString(), "--target", "k8s", "-n", ns.name(), "--queue", "q");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err()).contains("admitted by ClusterQueue cq-" + ns.name());
      JsonNode runs = JSON.readTree(mlscale("ls", "-o", "json").out());
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
    // the simulated nodes have 4 to 8 CPUs: a quota of 4, each run asking for all of it
    String cq = queues(ns, 4);
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
        resources: {cpu: 4, memory: 128Mi}
        kubernetes:
          queue: q
          %s
          pod_annotations: {sim.mlscale.dev/duration: %s}
        """;
    // the blocker takes the whole quota until it is cancelled
    Path blocker = spec(job.formatted("blocker", "", "1h"));
    var blockerRun =
        CompletableFuture.supplyAsync(
            () -> mlscale("run", blocker.toString(), "--target", "k8s", "-n", ns.name()));
    await()
        .atMost(Duration.ofMinutes(2))
        .until(() -> ls(ns).stream().anyMatch(j -> j.get("state").asText().equals("Running")));
    Path low = spec(job.formatted("low", "priority_class: low-" + ns.name(), "2s"));
    var lowRun =
        CompletableFuture.supplyAsync(
            () -> mlscale("run", low.toString(), "--target", "k8s", "-n", ns.name()));
    await().atMost(Duration.ofMinutes(1)).until(() -> queued(ns, "low").isPresent());
    Path high = spec(job.formatted("high", "priority_class: high-" + ns.name(), "2s"));
    var highRun =
        CompletableFuture.supplyAsync(
            () -> mlscale("run", high.toString(), "--target", "k8s", "-n", ns.name()));
    await().atMost(Duration.ofMinutes(1)).until(() -> queued(ns, "high").isPresent());
    // created later, but first in line: its priority is higher
    assertThat(queued(ns, "high").get())
        .isEqualTo("queued in q (position 1; ClusterQueue " + cq + " has used 4 of 4 CPUs)");
    assertThat(queued(ns, "low").get())
        .isEqualTo("queued in q (position 2; ClusterQueue " + cq + " has used 4 of 4 CPUs)");
    String blockerId =
        ls(ns).stream()
            .filter(j -> j.get("name").asText().equals("blocker"))
            .findFirst()
            .orElseThrow()
            .get("run")
            .asText();
    assertThat(mlscale("cancel", blockerId, "--target", "k8s", "-n", ns.name()).exit()).isZero();
    assertThat(blockerRun.get().exit()).isEqualTo(130);
    CliHarness.Result h = highRun.get();
    assertThat(h.exit()).as(h.err()).isZero();
    assertThat(h.err())
        .contains("queued in q (position 1; ClusterQueue " + cq)
        .contains("admitted by ClusterQueue " + cq);
    CliHarness.Result l = lowRun.get();
    assertThat(l.exit()).as(l.err()).isZero();
    // the low-priority run waited for the high one: admitted only after it had finished
    assertThat(admittedAt(ns, "high")).isBefore(admittedAt(ns, "low"));
    assertThat(finishedAt(ns, "high")).isBeforeOrEqualTo(admittedAt(ns, "low"));
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

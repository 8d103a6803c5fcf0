package dev.mlscale.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlscale.backend.kubernetes.Queues;
import dev.mlscale.render.Queueing;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.infra.KueueTestEnv;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * N rows as N queued Jobs (each its own Kueue Workload, as mlscale renders a queued Job: the
 * queue-name label and {@code suspend: true}) through the real Kueue controller: admissions per
 * second from the first create to the last QuotaReserved, against Kueue's published baseline
 * (15,000 workloads in about 351 s, about 43/s, on envtest), and in the same run the same N Jobs
 * without a queue (created to all their pods created). The quota never limits (N × 10m CPU). Writes
 * bench/results/kueue_admission.json. Run with bench/kueue_admission.sh.
 */
@Tag("bench")
class KueueAdmissionBench {
  static final int ROWS = Integer.getInteger("bench.rows", 1000);
  static final double KUEUE_BASELINE_PER_S = 15_000 / 351.0;

  @Test
  void admissionsPerSecondAgainstKueuesBaselineAndNoQueue() throws Exception {
    KueueTestEnv.controller();
    KubernetesClient admin = TestCluster.get().client();
    String nsQ = RowsVsJobsBench.namespace(admin, "bench-kueue");
    List<HasMetadata> clusterScoped = new ArrayList<>();
    for (String yaml :
        List.of(
            "apiVersion: kueue.x-k8s.io/v1beta2\nkind: ResourceFlavor\nmetadata: {name: rf-%s}\n",
            """
            apiVersion: kueue.x-k8s.io/v1beta2
            kind: ClusterQueue
            metadata: {name: cq-%s}
            spec:
              namespaceSelector: {}
              resourceGroups:
              - coveredResources: [cpu, memory]
                flavors:
                - name: rf-%s
                  resources: [{name: cpu, nominalQuota: 100000}, {name: memory, nominalQuota: 100Ti}]
            """)) {
      clusterScoped.add(
          0,
          admin
              .resource(
                  Serialization.unmarshal(
                      yaml.formatted(nsQ, nsQ), GenericKubernetesResource.class))
              .create());
    }
    admin
        .resource(
            Serialization.unmarshal(
                "apiVersion: kueue.x-k8s.io/v1beta2\nkind: LocalQueue\n"
                    + "metadata: {name: q, namespace: %s}\nspec: {clusterQueue: cq-%s}\n"
                        .formatted(nsQ, nsQ),
                GenericKubernetesResource.class))
        .create();
    Map<String, Object> report = new LinkedHashMap<>();
    try {
      // through Kueue
      Set<String> admitted = ConcurrentHashMap.newKeySet();
      CompletableFuture<Long> allAdmitted = new CompletableFuture<>();
      var informer =
          admin
              .genericKubernetesResources(Queues.API, "Workload")
              .inNamespace(nsQ)
              .inform(
                  new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                    @Override
                    public void onAdd(GenericKubernetesResource w) {
                      seen(w);
                    }

                    @Override
                    public void onUpdate(GenericKubernetesResource o, GenericKubernetesResource w) {
                      seen(w);
                    }

                    @Override
                    public void onDelete(GenericKubernetesResource w, boolean unknown) {}

                    private void seen(GenericKubernetesResource w) {
                      if (w.toString().contains("type=QuotaReserved")
                          && reserved(w)
                          && admitted.add(w.getMetadata().getName())
                          && admitted.size() == ROWS) {
                        allAdmitted.complete(System.nanoTime());
                      }
                    }
                  });
      CompletableFuture<Long> allQueuedPods = new CompletableFuture<>();
      var queuedPods = podsCreated(admin, nsQ, ROWS, allQueuedPods);
      long t0 = System.nanoTime();
      for (int i = 0; i < ROWS; i++) {
        admin.batch().v1().jobs().inNamespace(nsQ).resource(queued("row-" + i, i)).create();
      }
      long submitted = System.nanoTime();
      long done = allAdmitted.get(30, TimeUnit.MINUTES);
      informer.close();
      long podsDone = allQueuedPods.get(30, TimeUnit.MINUTES);
      queuedPods.close();
      report.put("queued_all_pods_created_s", RowsVsJobsBench.seconds(t0, podsDone));
      report.put("queued_starts_per_s", ROWS / RowsVsJobsBench.seconds(t0, podsDone));
      double s = RowsVsJobsBench.seconds(t0, done);
      report.put("rows", ROWS);
      report.put("kueue_version", KueueTestEnv.controller().version());
      report.put("queued_submitted_s", RowsVsJobsBench.seconds(t0, submitted));
      report.put("queued_all_admitted_s", s);
      report.put("admissions_per_s", ROWS / s);
      report.put("kueue_baseline_per_s", KUEUE_BASELINE_PER_S);
      report.put("ratio_to_baseline", ROWS / s / KUEUE_BASELINE_PER_S);
    } finally {
      deleteAndWait(admin, nsQ);
    }
    // the same Jobs without a queue: created to all pods created (the Job controller's start)
    String nsB = RowsVsJobsBench.namespace(admin, "bench-noqueue");
    try {
      CompletableFuture<Long> allPods = new CompletableFuture<>();
      var informer = podsCreated(admin, nsB, ROWS, allPods);
      long t0 = System.nanoTime();
      for (int i = 0; i < ROWS; i++) {
        admin
            .batch()
            .v1()
            .jobs()
            .inNamespace(nsB)
            .resource(RowsVsJobsBench.job("row-" + i, i))
            .create();
      }
      long submitted = System.nanoTime();
      long done = allPods.get(30, TimeUnit.MINUTES);
      informer.close();
      double s = RowsVsJobsBench.seconds(t0, done);
      report.put("no_queue_submitted_s", RowsVsJobsBench.seconds(t0, submitted));
      report.put("no_queue_all_pods_created_s", s);
      report.put("no_queue_starts_per_s", ROWS / s);
    } finally {
      deleteAndWait(admin, nsB);
      clusterScoped.forEach(o -> admin.resource(o).delete());
    }
    assertThat((double) report.get("admissions_per_s")).isPositive();
    String json =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    Files.writeString(results.resolve("kueue_admission.json"), json + "\n");
    System.out.println("BENCH " + json);
  }

  /**
   * Completes with {@link System#nanoTime()} once {@code n} pods have been created in {@code ns}.
   */
  private static AutoCloseable podsCreated(
      KubernetesClient admin, String ns, int n, CompletableFuture<Long> all) {
    Set<String> pods = ConcurrentHashMap.newKeySet();
    return admin
            .pods()
            .inNamespace(ns)
            .inform(
                new io.fabric8.kubernetes.client.informers.ResourceEventHandler<>() {
                  @Override
                  public void onAdd(io.fabric8.kubernetes.api.model.Pod p) {
                    if (pods.add(p.getMetadata().getUid()) && pods.size() == n) {
                      all.complete(System.nanoTime());
                    }
                  }

                  @Override
                  public void onUpdate(
                      io.fabric8.kubernetes.api.model.Pod o,
                      io.fabric8.kubernetes.api.model.Pod p) {}

                  @Override
                  public void onDelete(io.fabric8.kubernetes.api.model.Pod p, boolean u) {}
                })
        ::close;
  }

  /**
   * Deletes a namespace and waits until it is gone, so its garbage collection (N Jobs and their
   * pods, by the same controller manager) does not slow the next phase down.
   */
  private static void deleteAndWait(KubernetesClient admin, String ns) {
    admin.namespaces().withName(ns).delete();
    admin
        .namespaces()
        .withName(ns)
        .waitUntilCondition(java.util.Objects::isNull, 10, TimeUnit.MINUTES);
  }

  @SuppressWarnings("unchecked")
  private static boolean reserved(GenericKubernetesResource w) {
    var status = (Map<String, Object>) w.getAdditionalProperties().get("status");
    if (status == null || !(status.get("conditions") instanceof List<?> conditions)) {
      return false;
    }
    return conditions.stream()
        .map(c -> (Map<String, Object>) c)
        .anyMatch(c -> "QuotaReserved".equals(c.get("type")) && "True".equals(c.get("status")));
  }

  /** A row's Job as mlscale renders it for a queue: the queue-name label, created suspended. */
  private static Job queued(String name, int i) {
    Job plain = RowsVsJobsBench.job(name, i);
    return new JobBuilder(plain)
        .editMetadata()
        .addToLabels(Queueing.QUEUE_LABEL, "q")
        .endMetadata()
        .editSpec()
        .withSuspend(true)
        .endSpec()
        .build();
  }
}

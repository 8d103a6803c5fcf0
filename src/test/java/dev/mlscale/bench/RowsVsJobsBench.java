package dev.mlscale.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.RunOutcome;
import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.Submission;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.Database;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import dev.mlscale.testenv.TestCluster;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The workshop's step 5 at scale, on the real test cluster: N parameter rows as ONE Indexed Job
 * (mlscale) against N separate Jobs created one by one (the workshop's run-multi.py), in the same
 * run. Counts the client's requests to the API server and times all-submitted, all-pods-created and
 * all-complete. Run by bench/k8s_rows.sh; writes bench/results/k8s_rows.json.
 */
@Tag("bench")
class RowsVsJobsBench {
  static final int ROWS = Integer.getInteger("bench.rows", 1000);

  /** Counts the requests a client sends, by HTTP method. */
  static final class Counter implements Interceptor {
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger all = new AtomicInteger();

    @Override
    public void before(BasicBuilder builder, HttpRequest request, Interceptor.RequestTags tags) {
      all.incrementAndGet();
      if (!"GET".equals(request.method())) {
        writes.incrementAndGet();
      }
    }
  }

  static KubernetesClient countingClient(Path kubeconfig, Counter counter) throws Exception {
    Config config =
        Config.fromKubeconfig(null, Files.readString(kubeconfig), kubeconfig.toString());
    return new KubernetesClientBuilder()
        .withConfig(config)
        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", counter))
        .build();
  }

  record Measure(
      int writes, int requests, double submittedS, double podsCreatedS, double completeS) {}

  @Test
  void indexedJobAgainstOneJobPerRow(@TempDir Path dir) throws Exception {
    Path kubeconfig = TestCluster.get().kubeconfig();
    KubernetesClient admin = TestCluster.get().client();
    Files.writeString(dir.resolve("train.py"), "print('row')\n");
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < ROWS; i++) {
      rows.append("  - {i: ").append(i).append("}\n");
    }
    Path specFile =
        Files.writeString(
            dir.resolve("job.yaml"),
            """
        name: bench
        image: python:3.11-slim
        command: [python, train.py]
        args: ["${params.i}"]
        resources: {cpu: 10m, memory: 16Mi}
        kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 1s}}
        rows:
        """
                + rows);
    JobSpec spec = new SpecLoader().loadJob(specFile, List.of());

    // mlscale: one Indexed Job
    String nsA = namespace(admin, "bench-rows");
    Counter a = new Counter();
    Measure rowsMeasure;
    try (KubernetesClient client = countingClient(kubeconfig, a);
        Database db = Database.open(dir.resolve("a.db"))) {
      KubernetesBackend backend =
          new KubernetesBackend(
              new ClusterConnection(client, nsA, "bench"), new RunStore(db), Clock.systemUTC());
      Submission s = Planner.submission("bench-rows", spec, specFile);
      backend.create(s);
      long t0 = System.nanoTime();
      var podsCreated = podsCreated(admin, nsA, t0);
      var jobsCreated = jobsCreated(admin, nsA, 1);
      List<RunOutcome> out = backend.run(s, RunListener.SILENT);
      long done = System.nanoTime();
      assertThat(out).allMatch(o -> o.state() == RunState.SUCCEEDED);
      rowsMeasure =
          new Measure(
              a.writes.get(),
              a.all.get(),
              seconds(t0, jobsCreated.get(1, TimeUnit.MINUTES)),
              seconds(t0, podsCreated.get(10, TimeUnit.MINUTES)),
              seconds(t0, done));
    }

    // the workshop: one Job per row, created one by one
    String nsB = namespace(admin, "bench-jobs");
    Counter b = new Counter();
    Measure jobsMeasure;
    try (KubernetesClient client = countingClient(kubeconfig, b)) {
      long t0 = System.nanoTime();
      var podsCreated = podsCreated(admin, nsB, t0);
      var jobsCreated = jobsCreated(admin, nsB, ROWS);
      for (int i = 0; i < ROWS; i++) {
        client.batch().v1().jobs().inNamespace(nsB).resource(job("row-" + i, i)).create();
      }
      long submitted = jobsCreated.get(10, TimeUnit.MINUTES);
      admin
          .batch()
          .v1()
          .jobs()
          .inNamespace(nsB)
          .informOnCondition(
              jobs ->
                  jobs.size() == ROWS
                      && jobs.stream()
                          .allMatch(
                              j ->
                                  j.getStatus() != null
                                      && j.getStatus().getSucceeded() != null
                                      && j.getStatus().getSucceeded() == 1))
          .get(20, TimeUnit.MINUTES);
      long done = System.nanoTime();
      jobsMeasure =
          new Measure(
              b.writes.get(),
              b.all.get(),
              seconds(t0, submitted),
              seconds(t0, podsCreated.get(10, TimeUnit.MINUTES)),
              seconds(t0, done));
    }
    admin.namespaces().withName(nsA).delete();
    admin.namespaces().withName(nsB).delete();

    Map<String, Object> report = new LinkedHashMap<>();
    report.put("rows", ROWS);
    report.put("mlscale_indexed_job", rowsMeasure);
    report.put("one_job_per_row", jobsMeasure);
    report.put("write_requests_ratio", (double) jobsMeasure.writes() / rowsMeasure.writes());
    report.put("all_requests_ratio", (double) jobsMeasure.requests() / rowsMeasure.requests());
    report.put("pods_created_time_ratio", jobsMeasure.podsCreatedS() / rowsMeasure.podsCreatedS());
    report.put("complete_time_ratio", jobsMeasure.completeS() / rowsMeasure.completeS());
    String json =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report);
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    Files.writeString(results.resolve("k8s_rows.json"), json + "\n");
    System.out.println("BENCH " + json);
  }

  /** When {@code count} Jobs exist in the namespace, as the API server's watch shows them. */
  private static java.util.concurrent.CompletableFuture<Long> jobsCreated(
      KubernetesClient admin, String ns, int count) {
    return admin
        .batch()
        .v1()
        .jobs()
        .inNamespace(ns)
        .informOnCondition(jobs -> jobs.size() >= count)
        .thenApply(jobs -> System.nanoTime());
  }

  private static java.util.concurrent.CompletableFuture<Long> podsCreated(
      KubernetesClient admin, String ns, long t0) {
    AtomicInteger seen = new AtomicInteger();
    var result = new java.util.concurrent.CompletableFuture<Long>();
    var uids = java.util.concurrent.ConcurrentHashMap.<String>newKeySet();
    admin
        .pods()
        .inNamespace(ns)
        .inform(
            new io.fabric8.kubernetes.client.informers.ResourceEventHandler<Pod>() {
              @Override
              public void onAdd(Pod pod) {
                if (uids.add(pod.getMetadata().getUid()) && seen.incrementAndGet() == ROWS) {
                  result.complete(System.nanoTime());
                }
              }

              @Override
              public void onUpdate(Pod oldObj, Pod newObj) {}

              @Override
              public void onDelete(Pod obj, boolean deletedFinalStateUnknown) {}
            });
    return result;
  }

  static Job job(String name, int i) {
    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withNewTemplate()
        .withNewMetadata()
        .addToAnnotations("sim.mlscale.dev/duration", "1s")
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .addNewContainer()
        .withName("main")
        .withImage("python:3.11-slim")
        .withCommand("python", "train.py", Integer.toString(i))
        .withNewResources()
        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("10m"))
        .endResources()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  static String namespace(KubernetesClient admin, String prefix) {
    String name = prefix + "-" + Long.toString(System.currentTimeMillis(), 36);
    admin
        .namespaces()
        .resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
        .create();
    admin
        .serviceAccounts()
        .inNamespace(name)
        .withName("default")
        .waitUntilCondition(java.util.Objects::nonNull, 60, TimeUnit.SECONDS);
    return name;
  }

  static double seconds(long from, long to) {
    return Duration.ofNanos(to - from).toMillis() / 1000.0;
  }
}

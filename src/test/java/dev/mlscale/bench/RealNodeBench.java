package dev.mlscale.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterExtension;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.realnode.PackageIndex;
import dev.mlscale.testenv.realnode.RealNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real containers on the real node, measured in one run against baselines from the same run: pod
 * start-up (created → container running) of mlscale's Jobs (code unpacked by an init container)
 * against bare pods of the same image, p50/p99 over 50 each, next to Kubernetes' SLO (p99 ≤ 5 s);
 * the time from {@code mlscale run --target k8s} to the job's first log line; and a setup's first
 * run (environment built) against the cached run. Run by bench/realnode.sh; writes
 * bench/results/realnode.json.
 */
@Tag("bench")
@ExtendWith(ClusterExtension.class)
class RealNodeBench {
  static final int PODS = Integer.getInteger("bench.pods", 50);
  static final int WAVE = 10; // the node takes 30 pods; waves keep it in steady state
  @TempDir Path home;
  @TempDir Path work;

  /** Milliseconds from each pod's creation (seen by the client) to its container running. */
  private static List<Double> startups(
      TestNamespace ns, String key, String label, Runnable createWave, int n)
      throws InterruptedException {
    Map<String, Long> created = new ConcurrentHashMap<>();
    Map<String, Long> running = new ConcurrentHashMap<>();
    CountDownLatch all = new CountDownLatch(n);
    var informer =
        ns.client()
            .pods()
            .withLabel(key, label)
            .inform(
                new ResourceEventHandler<Pod>() {
                  @Override
                  public void onAdd(Pod p) {
                    created.putIfAbsent(p.getMetadata().getName(), System.nanoTime());
                    onUpdate(p, p);
                  }

                  @Override
                  public void onUpdate(Pod o, Pod p) {
                    var cs = p.getStatus() == null ? null : p.getStatus().getContainerStatuses();
                    if (cs == null) {
                      return;
                    }
                    boolean started =
                        cs.stream()
                            .filter(c -> c.getName().equals("main"))
                            .anyMatch(
                                c ->
                                    c.getState() != null
                                        && (c.getState().getRunning() != null
                                            || c.getState().getTerminated() != null));
                    if (started
                        && running.putIfAbsent(p.getMetadata().getName(), System.nanoTime())
                            == null) {
                      all.countDown();
                    }
                  }

                  @Override
                  public void onDelete(Pod p, boolean unknown) {}
                });
    for (int done = 0; done < n; done += WAVE) {
      int before = running.size();
      createWave.run();
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
      while (running.size() < Math.min(n, before + WAVE) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
    }
    all.await(3, TimeUnit.MINUTES);
    informer.close();
    List<Double> ms = new ArrayList<>();
    running.forEach((name, t) -> ms.add((t - created.get(name)) / 1e6));
    ms.sort(Double::compare);
    return ms;
  }

  private static double pct(List<Double> sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
  }

  private static Map<String, Object> summary(List<Double> ms) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("n", ms.size());
    m.put("p50_ms", Math.round(pct(ms, 50)));
    m.put("p99_ms", Math.round(pct(ms, 99)));
    m.put("max_ms", Math.round(ms.get(ms.size() - 1)));
    return m;
  }

  @Test
  void realPodStartupFirstLogLineAndSetupCache(TestNamespace ns) throws Exception {
    RealNode.ensureUp();
    // baseline: bare pods of the same image, created directly
    int[] bare = {0};
    List<Double> base =
        startups(
            ns,
            "bench",
            "bare",
            () -> {
              for (int i = 0; i < WAVE; i++) {
                ns.client()
                    .pods()
                    .resource(
                        new PodBuilder()
                            .withNewMetadata()
                            .withName("bare-" + bare[0]++)
                            .addToLabels("bench", "bare")
                            .endMetadata()
                            .withNewSpec()
                            .withRestartPolicy("Never")
                            .addToNodeSelector("role", "real")
                            .withTolerations(
                                new TolerationBuilder()
                                    .withKey("mlscale.dev/real-node")
                                    .withOperator("Exists")
                                    .build())
                            .addNewContainer()
                            .withName("main")
                            .withImage("python:3.11-slim")
                            .withCommand("python3", "-c", "print('up')")
                            .withNewResources()
                            .addToRequests(
                                "cpu", new io.fabric8.kubernetes.api.model.Quantity("10m"))
                            .endResources()
                            .endContainer()
                            .endSpec()
                            .build())
                    .create();
              }
            },
            PODS);
    // mlscale: one job per pod, through the CLI's Kubernetes backend (ConfigMap + Job + init)
    Files.writeString(work.resolve("train.py"), "print('up')\n");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            """
            name: startup
            image: python:3.11-slim
            command: [python3, train.py]
            resources: {cpu: 10m, memory: 64Mi}
            kubernetes:
              node_pool: real
              tolerations: [{key: mlscale.dev/real-node, operator: Exists}]
            """);
    CliHarness cli =
        new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    List<Double> jobs =
        startups(
            ns,
            "mlscale.dev/job",
            "startup",
            () -> {
              var pool = java.util.concurrent.Executors.newFixedThreadPool(WAVE);
              for (int i = 0; i < WAVE; i++) {
                pool.submit(
                    () -> cli.run("run", spec.toString(), "--target", "k8s", "-n", ns.name()));
              }
              pool.shutdown();
            },
            PODS);

    // mlscale run --target k8s → the job's first log line on the terminal
    List<Double> firstLine = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      long t0 = System.nanoTime();
      long first = cli.firstOutput("run", spec.toString(), "--target", "k8s", "-n", ns.name());
      assertThat(first).isPositive();
      firstLine.add((first - t0) / 1e6);
    }
    firstLine.sort(Double::compare);

    // setup: the digits job's environment built, then cached
    RealNode.createClaim(ns.client(), "model-storage");
    Path digits = CliHarness.repo().resolve("examples/digits/job.yaml");
    double builtS;
    double cachedS;
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, digits.resolveSibling("requirements.txt"))) {
      CliHarness d = cli.with("PIP_INDEX_URL", index.url());
      List<String> args =
          new ArrayList<>(List.of("run", digits.toString(), "--target", "k8s", "-n", ns.name()));
      args.addAll(RealNode.PLACE);
      long t0 = System.nanoTime();
      assertThat(d.run(args.toArray(String[]::new)).exit()).isZero();
      builtS = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      assertThat(d.run(args.toArray(String[]::new)).exit()).isZero();
      cachedS = (System.nanoTime() - t0) / 1e9;
    }

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("bare_pod_startup", summary(base));
    out.put("mlscale_job_startup", summary(jobs));
    out.put("startup_p50_ratio", pct(jobs, 50) / pct(base, 50));
    out.put("startup_p99_ratio", pct(jobs, 99) / pct(base, 99));
    out.put("slo_p99_ms", 5000);
    out.put("run_to_first_log_line_p50_ms", Math.round(pct(firstLine, 50)));
    out.put("digits_first_run_s", builtS);
    out.put("digits_cached_run_s", cachedS);
    out.put("setup_cached_vs_built_ratio", cachedS / builtS);
    String json = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(out);
    Path results = Path.of("bench", "results");
    Files.createDirectories(results);
    Files.writeString(results.resolve("realnode.json"), json + "\n");
    System.out.println(json);
  }
}

package dev.mlscale.backend.kubernetes;

import dev.mlscale.backend.RunListener;
import dev.mlscale.metrics.Metric;
import dev.mlscale.metrics.MetricParser;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.store.RunStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.LogWatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;

/**
 * Streams running pods' output to the terminal with a bounded pool: at most {@code cap} streams at
 * once, whatever the number of rows, so that a run's requests to the API server stay O(1) in its
 * rows plus the logs the terminal shows. A pod that starts while every stream is taken is not
 * followed (its final metrics still come from its termination message; {@code mlscale logs} reads
 * it). Metric lines in a stream are recorded as they come, so sweeps can stop trials early.
 */
final class PodLogs implements AutoCloseable {
  /** How many pods' output is streamed at once, at most. */
  static final int DEFAULT_CAP = 8;

  private final KubernetesClient client;
  private final String namespace;
  private final RunStore runs;
  private final Clock clock;
  private final Semaphore slots;
  private final ExecutorService pool;
  private final Map<String, LogWatch> open = new ConcurrentHashMap<>();
  private final java.util.Set<String> seen = ConcurrentHashMap.newKeySet();

  PodLogs(KubernetesClient client, String namespace, RunStore runs, Clock clock, int cap) {
    this.client = client;
    this.namespace = namespace;
    this.runs = runs;
    this.clock = clock;
    this.slots = new Semaphore(cap);
    this.pool =
        Executors.newFixedThreadPool(
            cap,
            r -> {
              Thread t = new Thread(r, "mlscale-logs");
              t.setDaemon(true);
              return t;
            });
  }

  /** A pod of {@code plan} runs: follow its output if a stream is free (once per pod). */
  void running(Pod pod, RunPlan plan, RunListener listener) {
    String name = pod.getMetadata().getName();
    if (!seen.add(name)) {
      return;
    }
    if (!slots.tryAcquire()) {
      return; // the terminal shows the first rows; the others' output stays on the cluster
    }
    LogWatch watch;
    try {
      watch = client.pods().inNamespace(namespace).withName(name).inContainer("main").watchLog();
    } catch (KubernetesClientException e) {
      slots.release(); // no logs on this cluster
      return;
    }
    open.put(name, watch);
    pool.execute(
        () -> {
          try (var reader =
              new BufferedReader(
                  new InputStreamReader(watch.getOutput(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
              listener.output(plan.runId(), plan.name(), line);
              List<Metric> m = MetricParser.parseLine(line, clock.instant());
              if (!m.isEmpty()) {
                runs.addMetrics(plan.runId(), 1, m);
                listener.metrics(plan.runId(), plan.name(), m);
              }
            }
          } catch (IOException | RuntimeException e) {
            // no logs on this cluster, or the pod is gone: the end state tells the rest
          } finally {
            open.remove(name);
            watch.close();
            slots.release();
          }
        });
  }

  @Override
  public void close() {
    open.values().forEach(LogWatch::close);
    pool.shutdown();
  }
}

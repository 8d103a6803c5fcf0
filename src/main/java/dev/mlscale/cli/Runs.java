package dev.mlscale.cli;

import com.fasterxml.jackson.annotation.JsonValue;
import dev.mlscale.backend.kubernetes.ClusterRuns;
import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.AttemptRecord;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import java.io.PrintStream;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs, wherever they run: this machine's (the embedded store, process groups) or a cluster's (a
 * Job per run, read from its labels, annotations and pods). Both give the same views, so {@code
 * ls}, {@code status}, {@code logs}, {@code cancel} and {@code delete} parse, call and print; the
 * target is picked once, from the {@link ClusterOptions} mixin.
 */
interface Runs extends AutoCloseable {

  /** A run in a list, the same on every target; fields a target does not have are null. */
  record RunView(
      String run,
      String name,
      String target,
      String namespace,
      String state,
      String reason,
      String message,
      Integer exitCode,
      Integer attempts,
      Integer rows,
      Integer succeeded,
      Integer failed,
      Integer active,
      Instant createdAt,
      Instant startedAt,
      Instant endedAt,
      Map<String, Object> params,
      Map<String, Double> metrics,
      String model,
      String specFile,
      String runDir,
      Long pid) {}

  /**
   * One run with its history: every attempt (locally; a pod on the cluster, where the Job's pods
   * are its attempts) and every metric it printed.
   */
  record RunDetail(
      RunView run,
      List<AttemptRecord> attempts,
      List<Metric> metricHistory,
      List<ClusterRuns.PodView> pods) {
    /** For -o json|yaml: the run's fields, then its attempts or pods and its metric history. */
    @JsonValue
    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      for (var c : RunView.class.getRecordComponents()) {
        try {
          m.put(c.getName(), c.getAccessor().invoke(run));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      if (pods != null) {
        m.put("pods", pods);
      } else {
        m.put("attempts", attempts);
        m.put("metricHistory", metricHistory);
      }
      return m;
    }
  }

  /**
   * What {@code logs} shows: one attempt's (or the setup's) output, followed or not; of a
   * distributed run every worker's lines (prefixed by rank) or one worker's.
   */
  record LogRequest(Integer attempt, boolean setup, boolean follow, Integer worker) {}

  static Runs open(Context ctx, ClusterOptions cluster) {
    return cluster.onCluster() ? new OnCluster(ctx, cluster) : new Local(ctx);
  }

  /** Runs, newest first. */
  List<RunView> list(int limit);

  RunDetail get(String idOrPrefix);

  void logs(String idOrPrefix, LogRequest request, PrintStream out, PrintStream err);

  /** Stops a run; says in words what was done. */
  String cancel(String idOrPrefix);

  /** Removes a run and everything it made. */
  void delete(String id, boolean await);

  @Override
  void close();

  /** This machine's runs. */
  final class Local implements Runs {
    private final Context ctx;
    private final RunStore store;

    Local(Context ctx) {
      this.ctx = ctx;
      this.store = ctx.runs();
    }

    @Override
    public List<RunView> list(int limit) {
      return store.list(limit).stream().map(this::view).toList();
    }

    private RunView view(RunRecord r) {
      return new RunView(
          r.id(),
          r.name(),
          r.target(),
          null,
          RunViews.state(r),
          RunViews.reason(r),
          RunViews.message(r),
          r.exitCode(),
          r.attempts(),
          null,
          null,
          null,
          null,
          r.createdAt(),
          r.startedAt(),
          r.endedAt(),
          r.params(),
          store.finalMetrics(r.id()),
          r.model(),
          r.specFile(),
          r.runDir(),
          r.pid());
    }

    @Override
    public RunDetail get(String idOrPrefix) {
      RunRecord r = store.get(idOrPrefix);
      return new RunDetail(view(r), store.attempts(r.id()), store.metrics(r.id()), null);
    }

    @Override
    public void logs(String idOrPrefix, LogRequest request, PrintStream out, PrintStream err) {
      new LocalLogs(store, out, err).print(store.get(idOrPrefix), request);
    }

    @Override
    public String cancel(String idOrPrefix) {
      RunRecord r = store.get(idOrPrefix);
      if (r.state().isFinal()) {
        return r.id() + " has already ended (" + r.state().display() + ")";
      }
      store.requestCancel(r.id());
      boolean ownerAlive = !RunViews.isLost(r);
      if (r.pid() != null) {
        ProcessGroup.signalGroup(r.pid(), "TERM");
      }
      if (!ownerAlive || r.pid() == null) {
        // nobody will observe a process end: record the cancellation here
        store.finish(
            r.id(),
            RunState.CANCELLED,
            "Cancelled",
            "cancelled by the user",
            null,
            ctx.clock().instant());
      }
      return "cancelled " + r.id();
    }

    @Override
    public void delete(String id, boolean await) {
      throw new UserError("delete removes runs from a cluster: add --target k8s");
    }

    @Override
    public void close() {}
  }

  /** A cluster's runs, readable from any machine with the kubeconfig. */
  final class OnCluster implements Runs {
    private final AutoClose connection;
    private final ClusterRuns runs;

    OnCluster(Context ctx, ClusterOptions cluster) {
      this.connection = new AutoClose(cluster.connect(ctx));
      this.runs = new ClusterRuns(connection.get());
    }

    @Override
    public List<RunView> list(int limit) {
      return runs.list().stream().limit(limit).map(OnCluster::view).toList();
    }

    private static RunView view(ClusterRuns.JobView j) {
      Map<String, Object> params =
          j.params().containsKey("json")
              ? SpecLoader.mapper().convertValue(readTree(j.params().get("json")), Map.class)
              : Map.of();
      Map<String, Double> metrics = new LinkedHashMap<>();
      Integer exitCode = null;
      for (ClusterRuns.PodView p : j.pods()) {
        metrics.putAll(p.metrics());
        exitCode = p.exitCode() == null ? exitCode : p.exitCode();
      }
      return new RunView(
          j.run(),
          j.name(),
          "k8s",
          j.namespace(),
          j.state(),
          j.reason(),
          null,
          j.completions() > 1 ? null : exitCode,
          j.completions() > 1 ? null : j.succeeded() + j.failed() + j.active(),
          j.completions(),
          j.succeeded(),
          j.failed(),
          j.active(),
          j.created(),
          j.created(),
          j.finished(),
          params,
          j.completions() > 1 ? Map.of() : metrics,
          null,
          null,
          null,
          null);
    }

    private static Object readTree(String json) {
      try {
        return SpecLoader.mapper().readTree(json);
      } catch (java.io.IOException e) {
        return Map.of("json", json);
      }
    }

    @Override
    public RunDetail get(String idOrPrefix) {
      ClusterRuns.JobView j = runs.get(idOrPrefix);
      return new RunDetail(view(j), null, null, j.pods());
    }

    @Override
    public void logs(String idOrPrefix, LogRequest request, PrintStream out, PrintStream err) {
      if (request.attempt() != null || request.setup()) {
        throw new UserError(
            "--attempt and --setup are for this machine's runs; on the cluster 'mlscale"
                + " logs' shows the latest pod of the run, row or worker (kubectl logs shows the"
                + " others)");
      }
      runs.logs(idOrPrefix, out, request.follow(), request.worker());
    }

    @Override
    public String cancel(String idOrPrefix) {
      runs.cancel(idOrPrefix);
      return "cancelled "
          + idOrPrefix
          + " (Job suspended, its pods are stopped; 'mlscale delete' removes it)";
    }

    @Override
    public void delete(String id, boolean await) {
      runs.delete(id, await);
    }

    @Override
    public void close() {
      connection.close();
    }
  }
}

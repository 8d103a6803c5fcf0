package dev.mlscale.top;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.render.Labels;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The usage of mlscale's running pods in a namespace (Jobs, rows, sweep trials, Argo tasks) from
 * the metrics API ({@code metrics.k8s.io}, served by metrics-server), with their requests and
 * limits from the pods themselves.
 */
public final class ClusterUsage implements RunUsage {
  static final String WORKFLOW = "workflows.argoproj.io/workflow";
  static final String ARGO_NODE = "workflows.argoproj.io/node-name";
  static final String INDEX = "batch.kubernetes.io/job-completion-index";

  private final ClusterConnection cluster;

  public ClusterUsage(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  @Override
  public List<Usage> sample() {
    String ns = cluster.namespace();
    var client = cluster.client();
    List<Pod> pods;
    Map<String, PodMetrics> metrics;
    try {
      pods =
          client.pods().inNamespace(ns).list().getItems().stream()
              .filter(p -> "Running".equals(p.getStatus().getPhase()))
              .filter(ClusterUsage::ours)
              .toList();
      if (client.getApiResources("metrics.k8s.io/v1beta1") == null) {
        throw noMetrics(null);
      }
      metrics =
          client.top().pods().metrics(ns).getItems().stream()
              .collect(Collectors.toMap(m -> m.getMetadata().getName(), Function.identity()));
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 503) {
        throw noMetrics(e);
      }
      throw cluster.explain(e, "read the usage of pods");
    }
    return pods.stream()
        .map(p -> usage(p, metrics.get(p.getMetadata().getName())))
        .sorted(Comparator.comparing(Usage::run).thenComparing(u -> u.row() == null ? "" : u.row()))
        .toList();
  }

  private EnvironmentError noMetrics(Exception cause) {
    return new EnvironmentError(
        "the metrics API (metrics.k8s.io) is not served in context "
            + cluster.context()
            + "; install metrics-server (kubectl apply -f"
            + " https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.9.0/components.yaml)"
            + " and see 'mlscale cluster check'",
        cause);
  }

  static boolean ours(Pod p) {
    Map<String, String> l = p.getMetadata().getLabels();
    return l != null && (l.containsKey(Labels.RUN) || l.containsKey(WORKFLOW));
  }

  /** Pure: a pod and its metrics (null when it has none yet) as one line of top. */
  static Usage usage(Pod p, PodMetrics m) {
    Map<String, String> labels = p.getMetadata().getLabels();
    Map<String, String> ann =
        p.getMetadata().getAnnotations() == null ? Map.of() : p.getMetadata().getAnnotations();
    String run = labels.containsKey(Labels.RUN) ? labels.get(Labels.RUN) : labels.get(WORKFLOW);
    String row =
        ann.containsKey(ARGO_NODE)
            ? ann.get(ARGO_NODE).replaceFirst("^" + java.util.regex.Pattern.quote(run) + "\\.", "")
            : ann.containsKey(INDEX) ? "r" + ann.get(INDEX) : null;
    List<Container> cs = p.getSpec().getContainers();
    Long cpu = null;
    Long mem = null;
    if (m != null) {
      cpu = 0L;
      mem = 0L;
      for (var c : m.getContainers()) {
        cpu += milli(c.getUsage().get("cpu"));
        mem += bytes(c.getUsage().get("memory"));
      }
    }
    return new Usage(
        run,
        row,
        p.getMetadata().getName(),
        p.getSpec().getNodeName(),
        cpu,
        sum(cs, true, "cpu"),
        sum(cs, false, "cpu"),
        mem,
        sum(cs, true, "memory"),
        sum(cs, false, "memory"));
  }

  /** The pod's requests or limits of one resource, summed over its containers; null if none. */
  private static Long sum(List<Container> cs, boolean requests, String resource) {
    Long total = null;
    for (Container c : cs) {
      if (c.getResources() == null) {
        continue;
      }
      Map<String, Quantity> m =
          requests ? c.getResources().getRequests() : c.getResources().getLimits();
      Quantity q = m == null ? null : m.get(resource);
      if (q != null) {
        total = (total == null ? 0 : total) + ("cpu".equals(resource) ? milli(q) : bytes(q));
      }
    }
    return total;
  }

  static long milli(Quantity q) {
    return q == null
        ? 0
        : q.getNumericalAmount()
            .multiply(BigDecimal.valueOf(1000))
            .setScale(0, java.math.RoundingMode.HALF_UP)
            .longValue();
  }

  static long bytes(Quantity q) {
    return q == null
        ? 0
        : q.getNumericalAmount().setScale(0, java.math.RoundingMode.HALF_UP).longValue();
  }
}

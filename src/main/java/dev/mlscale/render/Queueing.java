package dev.mlscale.render;

import dev.mlscale.spec.KubernetesOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a Job needs to wait in a Kueue LocalQueue ({@code kubernetes.queue}): the queue-name label,
 * and {@code suspend: true} so it is created waiting, as Kueue expects (Kueue starts it when its
 * ClusterQueue has quota). Rows (an Indexed Job) may be admitted with less parallelism than they
 * ask for, down to one row at a time, when the quota is smaller.
 */
public final class Queueing {
  /** The label that puts a Job in a LocalQueue. */
  public static final String QUEUE_LABEL = "kueue.x-k8s.io/queue-name";

  /** Kueue's partial admission: the least parallelism an Indexed Job may be admitted with. */
  public static final String MIN_PARALLELISM = "kueue.x-k8s.io/job-min-parallelism";

  private Queueing() {}

  /** The Job's labels for its queue (none without one). */
  static Map<String, String> labels(KubernetesOptions k) {
    return k.queueOpt().map(q -> Map.of(QUEUE_LABEL, q)).orElse(Map.of());
  }

  /**
   * The Job's annotations for its queue: rows that run several at a time ({@code pods}: the most
   * pods at once) may run fewer at a time than asked (Kueue takes values below {@code pods} only).
   */
  static Map<String, String> annotations(KubernetesOptions k, int pods) {
    Map<String, String> a = new LinkedHashMap<>();
    if (k.queueOpt().isPresent() && pods > 1) {
      a.put(MIN_PARALLELISM, "1");
    }
    return a;
  }

  /** {@code spec.suspend}: true when queued (Kueue unsuspends it), else left unset. */
  static Boolean suspend(KubernetesOptions k) {
    return k.queueOpt().isPresent() ? Boolean.TRUE : null;
  }
}

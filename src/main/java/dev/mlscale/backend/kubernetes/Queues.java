package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where a queued Job stands in Kueue, in plain words, read from Kueue's objects (pure: the caller
 * brings the Workloads of the namespace and a lookup of ClusterQueues). A Job's Workload is the one
 * Kueue made for it (label {@code kueue.x-k8s.io/job-uid}); it is queued until Kueue reserves quota
 * for it. Its position counts the Workloads of the same LocalQueue that Kueue takes before it:
 * higher priority first, then the older (Kueue's own order).
 */
public final class Queues {
  public static final String API = "kueue.x-k8s.io/v1beta2";
  public static final String JOB_UID = "kueue.x-k8s.io/job-uid";

  private Queues() {}

  /** How a Job stands in its queue. */
  public record Standing(
      String localQueue,
      String clusterQueue,
      boolean admitted,
      int position,
      String cpuUsed,
      String cpuQuota) {

    /** "queued in X (position N; ClusterQueue Y has used 8 of 10 CPUs)", or "admitted by Y". */
    public String describe() {
      if (admitted) {
        return "admitted by ClusterQueue " + clusterQueue + " (queue " + localQueue + ")";
      }
      StringBuilder s = new StringBuilder("queued in " + localQueue + " (position " + position);
      if (clusterQueue != null && cpuQuota != null) {
        s.append("; ClusterQueue ")
            .append(clusterQueue)
            .append(" has used ")
            .append(cpuUsed)
            .append(" of ")
            .append(cpuQuota)
            .append(" CPUs");
      }
      return s.append(")").toString();
    }
  }

  /**
   * The standing of the Job with {@code jobUid}, when Kueue has a Workload for it.
   *
   * @param localQueueTarget the ClusterQueue a LocalQueue points at (null when unknown)
   * @param clusterQueue a ClusterQueue by name (null when unknown or not readable)
   */
  public static Optional<Standing> standing(
      String jobUid,
      List<GenericKubernetesResource> workloads,
      Function<String, String> localQueueTarget,
      Function<String, GenericKubernetesResource> clusterQueue) {
    Optional<GenericKubernetesResource> mine =
        workloads.stream()
            .filter(w -> jobUid.equals(labels(w).get(JOB_UID)))
            .filter(w -> !condition(w, "Finished"))
            .findFirst();
    if (mine.isEmpty()) {
      return Optional.empty();
    }
    GenericKubernetesResource wl = mine.get();
    String lq = str(wl, "spec", "queueName");
    boolean admitted = condition(wl, "QuotaReserved");
    String cq = admitted ? str(wl, "status", "admission", "clusterQueue") : null;
    if (cq == null && lq != null) {
      cq = localQueueTarget.apply(lq);
    }
    Comparator<GenericKubernetesResource> order =
        Comparator.comparing((GenericKubernetesResource w) -> -priority(w))
            .thenComparing(w -> w.getMetadata().getCreationTimestamp())
            .thenComparing(w -> w.getMetadata().getName());
    int position =
        1
            + (int)
                workloads.stream()
                    .filter(w -> w != wl && lq != null && lq.equals(str(w, "spec", "queueName")))
                    .filter(Queues::pending)
                    .filter(w -> order.compare(w, wl) < 0)
                    .count();
    GenericKubernetesResource q = cq == null ? null : clusterQueue.apply(cq);
    String used = q == null ? null : cpus(q, "status", "flavorsReservation", "total");
    String quota = q == null ? null : cpus(q, "spec", "resourceGroups", "nominalQuota");
    return Optional.of(new Standing(lq, cq, admitted, position, used, quota));
  }

  /** Waiting for quota: not admitted, not finished, not deactivated. */
  static boolean pending(GenericKubernetesResource w) {
    Object active = map(w.getAdditionalProperties().get("spec")).get("active");
    return !condition(w, "QuotaReserved")
        && !condition(w, "Finished")
        && !Boolean.FALSE.equals(active);
  }

  private static int priority(GenericKubernetesResource w) {
    Object p = map(w.getAdditionalProperties().get("spec")).get("priority");
    return p instanceof Number n ? n.intValue() : 0;
  }

  /**
   * The CPUs in a ClusterQueue's spec quota ({@code resourceGroups[].flavors[].resources[]}) or
   * status usage ({@code flavorsReservation[].resources[]}), summed over flavors.
   */
  static String cpus(GenericKubernetesResource q, String part, String list, String field) {
    BigDecimal sum = BigDecimal.ZERO;
    boolean found = false;
    for (Object group : list(map(q.getAdditionalProperties().get(part)).get(list))) {
      List<Object> flavors =
          "resourceGroups".equals(list) ? list(map(group).get("flavors")) : List.of(group);
      for (Object flavor : flavors) {
        for (Object r : list(map(flavor).get("resources"))) {
          Map<String, Object> res = map(r);
          if ("cpu".equals(res.get("name")) && res.get(field) != null) {
            sum = sum.add(Quantity.getAmountInBytes(new Quantity(res.get(field).toString())));
            found = true;
          }
        }
      }
    }
    if (!found) {
      return "resourceGroups".equals(list) ? null : "0";
    }
    return sum.stripTrailingZeros().toPlainString();
  }

  static boolean condition(GenericKubernetesResource w, String type) {
    return list(map(w.getAdditionalProperties().get("status")).get("conditions")).stream()
        .map(Queues::map)
        .anyMatch(c -> type.equals(c.get("type")) && "True".equals(c.get("status")));
  }

  private static Map<String, String> labels(GenericKubernetesResource r) {
    return r.getMetadata().getLabels() == null ? Map.of() : r.getMetadata().getLabels();
  }

  static String str(GenericKubernetesResource r, String... path) {
    Object o = r.getAdditionalProperties();
    for (String p : path) {
      o = map(o).get(p);
    }
    return o == null ? null : o.toString();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return o instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object o) {
    return o instanceof List<?> l ? (List<Object>) l : List.of();
  }
}

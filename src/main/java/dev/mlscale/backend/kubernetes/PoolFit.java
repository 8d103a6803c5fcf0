package dev.mlscale.backend.kubernetes;

import dev.mlscale.spec.Resources;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which node pools (the {@code role} label) have a node big enough for a job, ignoring what already
 * runs there: said next to the scheduler's message when a pod is unschedulable. Pure.
 */
final class PoolFit {
  private PoolFit() {}

  static String hint(Iterable<Node> nodes, Resources r) {
    TreeSet<String> fit = new TreeSet<>();
    Map<String, String> largest = new TreeMap<>();
    BigDecimal cpu = BigDecimal.valueOf(r.cpu().millis()).movePointLeft(3);
    BigDecimal memory =
        r.memory() == null ? BigDecimal.ZERO : BigDecimal.valueOf(r.memory().bytes());
    BigDecimal gpus = BigDecimal.valueOf(r.gpus());
    for (Node n : nodes) {
      Map<String, String> labels = n.getMetadata().getLabels();
      String pool = labels == null || labels.get("role") == null ? "(no role)" : labels.get("role");
      Map<String, Quantity> a = n.getStatus() == null ? Map.of() : n.getStatus().getAllocatable();
      BigDecimal nodeCpu = amount(a, "cpu");
      BigDecimal nodeMem = amount(a, "memory");
      BigDecimal nodeGpu = amount(a, "nvidia.com/gpu");
      largest.merge(
          pool,
          nodeCpu.stripTrailingZeros().toPlainString()
              + " CPU, "
              + nodeGpu.stripTrailingZeros().toPlainString()
              + " GPU",
          (x, y) -> x);
      if (nodeCpu.compareTo(cpu) >= 0
          && nodeMem.compareTo(memory) >= 0
          && nodeGpu.compareTo(gpus) >= 0) {
        fit.add(pool);
      }
    }
    if (fit.isEmpty()) {
      return "no node of any pool is big enough for it ("
          + largest
          + "); lower its resources or add bigger nodes";
    }
    return "pools with nodes big enough when free: " + String.join(", ", fit);
  }

  private static BigDecimal amount(Map<String, Quantity> a, String key) {
    Quantity q = a == null ? null : a.get(key);
    return q == null ? BigDecimal.ZERO : q.getNumericalAmount();
  }
}

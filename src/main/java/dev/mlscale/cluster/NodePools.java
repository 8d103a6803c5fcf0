package dev.mlscale.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The nodes by {@code role} label (the pools {@code kubernetes.node_pool} names) and GPUs. */
record NodePools(List<NodePool> pools, List<Check> checks) {
  static final String ROLE = "role";
  static final List<String> GPU_RESOURCES = List.of("nvidia.com/gpu", "amd.com/gpu");

  static NodePools read(KubernetesClient client) {
    List<Node> nodes;
    try {
      nodes = client.nodes().list().getItems();
    } catch (KubernetesClientException e) {
      return new NodePools(
          List.of(),
          List.of(
              ClusterChecker.unknown("nodes", "node pools", e, false),
              ClusterChecker.unknown("gpus", "GPU resources", e, false)));
    }
    return of(nodes);
  }

  /** Pure: the pools and the two check lines of a node list. */
  static NodePools of(List<Node> nodes) {
    Map<String, List<Node>> byRole = new TreeMap<>();
    for (Node n : nodes) {
      Map<String, String> labels = n.getMetadata().getLabels();
      String role = labels == null ? null : labels.get(ROLE);
      byRole.computeIfAbsent(role == null ? "(none)" : role, k -> new ArrayList<>()).add(n);
    }
    List<NodePool> pools = new ArrayList<>();
    int ready = 0;
    long gpus = 0;
    List<String> gpuPools = new ArrayList<>();
    for (var e : byRole.entrySet()) {
      BigDecimal cpu = BigDecimal.ZERO;
      BigDecimal mem = BigDecimal.ZERO;
      long g = 0;
      int r = 0;
      String product = null;
      for (Node n : e.getValue()) {
        if (!usable(n)) {
          continue;
        }
        r++;
        Map<String, Quantity> alloc = n.getStatus().getAllocatable();
        cpu = cpu.add(amount(alloc, "cpu"));
        mem = mem.add(amount(alloc, "memory"));
        long ng = 0;
        for (String res : GPU_RESOURCES) {
          ng += amount(alloc, res).longValue();
        }
        g += ng;
        if (ng > 0 && n.getMetadata().getLabels() != null) {
          product = n.getMetadata().getLabels().getOrDefault("nvidia.com/gpu.product", product);
        }
      }
      pools.add(
          new NodePool(e.getKey(), e.getValue().size(), r, cpu(cpu), memory(mem), g, product));
      ready += r;
      gpus += g;
      if (g > 0) {
        gpuPools.add(e.getKey());
      }
    }
    List<Check> checks = new ArrayList<>();
    if (ready == 0) {
      checks.add(
          new Check(
              "nodes",
              "node pools",
              CheckStatus.MISSING,
              nodes.isEmpty() ? "no nodes" : "no node is Ready and schedulable",
              "kubectl get nodes; kubectl describe node NODE (its conditions say why)",
              true));
    } else {
      checks.add(
          Check.ok(
              "nodes",
              "node pools",
              ready
                  + " of "
                  + nodes.size()
                  + " nodes Ready in "
                  + pools.size()
                  + " pool(s) by label '"
                  + ROLE
                  + "'",
              true));
    }
    if (gpus > 0) {
      checks.add(
          Check.ok(
              "gpus",
              "GPU resources",
              gpus + " GPU(s) advertised in pool(s) " + String.join(", ", gpuPools),
              false));
    } else {
      checks.add(
          new Check(
              "gpus",
              "GPU resources",
              CheckStatus.MISSING,
              "no node advertises nvidia.com/gpu or amd.com/gpu: jobs with gpus > 0 will wait",
              "install the NVIDIA device plugin on the GPU nodes: helm install nvdp"
                  + " nvdp/nvidia-device-plugin -n nvidia-device-plugin --create-namespace",
              false));
    }
    return new NodePools(pools, checks);
  }

  static boolean usable(Node n) {
    boolean unschedulable =
        n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable());
    return !unschedulable
        && n.getStatus() != null
        && n.getStatus().getConditions() != null
        && n.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static BigDecimal amount(Map<String, Quantity> m, String key) {
    Quantity q = m == null ? null : m.get(key);
    return q == null ? BigDecimal.ZERO : q.getNumericalAmount();
  }

  /** CPUs as Kubernetes writes them: whole cores, else millicores. */
  static String cpu(BigDecimal cores) {
    BigDecimal milli = cores.multiply(BigDecimal.valueOf(1000)).setScale(0, RoundingMode.HALF_UP);
    return milli.remainder(BigDecimal.valueOf(1000)).signum() == 0
        ? milli.divide(BigDecimal.valueOf(1000)).toPlainString()
        : milli.toPlainString() + "m";
  }

  /** Bytes in Gi (one decimal) or Mi. */
  static String memory(BigDecimal bytes) {
    double b = bytes.doubleValue();
    double gi = b / (1L << 30);
    if (gi >= 1) {
      return (gi == Math.rint(gi) ? String.valueOf((long) gi) : String.format("%.1f", gi)) + "Gi";
    }
    return Math.round(b / (1L << 20)) + "Mi";
  }
}

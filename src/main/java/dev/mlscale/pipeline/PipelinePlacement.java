package dev.mlscale.pipeline;

import dev.mlscale.spec.KubernetesOptions.TolerationSpec;
import java.util.List;
import java.util.Map;

/**
 * Where a pipeline's pods run on Kubernetes (field {@code kubernetes} of a pipeline): a node pool
 * (the workshop's {@code role} label), more node labels, tolerations and a service account, for
 * every pod of the Workflow. A job task's own {@code kubernetes.node_pool} still wins for its pods.
 * {@code awsCliImage} is the image of the S3 tasks that name none (an on-prem registry's mirror of
 * the AWS CLI). Nothing here changes a run on this machine.
 */
public record PipelinePlacement(
    String nodePool,
    Map<String, String> nodeSelector,
    List<TolerationSpec> tolerations,
    String serviceAccount,
    String awsCliImage) {
  public PipelinePlacement {
    nodeSelector = nodeSelector == null ? Map.of() : new java.util.TreeMap<>(nodeSelector);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
  }

  /** The Workflow's {@code nodeSelector}: the pool's role label first, then the others. */
  public Map<String, String> selector() {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    if (nodePool != null) {
      m.put("role", nodePool);
    }
    m.putAll(nodeSelector);
    return m;
  }
}

package dev.mlscale.spec;

import java.util.List;
import java.util.Map;

/**
 * What only matters on Kubernetes; ignored by the local backend.
 *
 * @param nodePool the workshop's node pools: selects nodes labelled {@code role=NODE_POOL}
 * @param gpuProduct selects nodes labelled {@code nvidia.com/gpu.product=GPU_PRODUCT}
 * @param modelStorage the RWX claim that holds models (default {@code model-storage})
 * @param ttl how long a finished Job is kept before Kubernetes deletes it (default 1 day)
 * @param podAnnotations annotations on the job's pods (sidecar injection, cost tags, ...)
 * @param envStorage the RWX claim whose {@code mlscale-envs/} directory caches the Python
 *     environments of {@code setup} (default: the model storage claim)
 */
public record KubernetesOptions(
    String namespace,
    String nodePool,
    String gpuProduct,
    Map<String, String> nodeSelector,
    List<TolerationSpec> tolerations,
    String modelStorage,
    String serviceAccount,
    DurationValue ttl,
    Map<String, String> podAnnotations,
    String envStorage) {
  public static final KubernetesOptions DEFAULT =
      new KubernetesOptions(null, null, null, null, null, null, null, null, null, null);

  public KubernetesOptions {
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    modelStorage = modelStorage == null ? "model-storage" : modelStorage;
    ttl = ttl == null ? DurationValue.ofSeconds(86_400) : ttl;
    podAnnotations = podAnnotations == null ? Map.of() : new java.util.TreeMap<>(podAnnotations);
    envStorage = envStorage == null ? modelStorage : envStorage;
  }

  /** A Kubernetes toleration, as in a pod spec. */
  public record TolerationSpec(String key, String operator, String value, String effect) {
    public TolerationSpec {
      operator = operator == null ? (value == null ? "Exists" : "Equal") : operator;
    }
  }
}

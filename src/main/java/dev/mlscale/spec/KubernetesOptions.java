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
 * @param queue a Kueue LocalQueue: the Job is labelled for it and created suspended, and Kueue
 *     starts it when the queue's ClusterQueue has quota for it
 * @param priorityClass a PriorityClass for the pods ({@code priorityClassName}); Kueue admits
 *     higher priorities first
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
    String envStorage,
    String queue,
    String priorityClass) {
  public static final KubernetesOptions DEFAULT =
      new KubernetesOptions(null, null, null, null, null, null, null, null, null, null, null, null);

  public KubernetesOptions {
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
    modelStorage = modelStorage == null ? "model-storage" : modelStorage;
    ttl = ttl == null ? DurationValue.ofSeconds(86_400) : ttl;
    podAnnotations = podAnnotations == null ? Map.of() : new java.util.TreeMap<>(podAnnotations);
    envStorage = envStorage == null ? modelStorage : envStorage;
    if (queue != null && !DNS_LABEL.matcher(queue).matches()) {
      throw new IllegalArgumentException(
          "queue '" + queue + "' is not a LocalQueue name (lower-case letters, digits, '-')");
    }
    if (priorityClass != null && !DNS_NAME.matcher(priorityClass).matches()) {
      throw new IllegalArgumentException(
          "priority_class '"
              + priorityClass
              + "' is not a PriorityClass name (lower-case letters, digits, '-', '.')");
    }
  }

  private static final java.util.regex.Pattern DNS_LABEL =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final java.util.regex.Pattern DNS_NAME =
      java.util.regex.Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

  /** The queue, when the spec names one. */
  public java.util.Optional<String> queueOpt() {
    return java.util.Optional.ofNullable(queue);
  }

  /** A Kubernetes toleration, as in a pod spec. */
  public record TolerationSpec(String key, String operator, String value, String effect) {
    public TolerationSpec {
      operator = operator == null ? (value == null ? "Exists" : "Equal") : operator;
    }
  }
}

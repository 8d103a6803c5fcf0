package dev.mlscale.cluster;

/**
 * The nodes that share a {@code role} label (the workshop's pools; {@code kubernetes.node_pool}),
 * with what they can give pods in all.
 *
 * @param role the label's value, or {@code (none)} for nodes without one
 * @param nodes how many nodes
 * @param ready how many are Ready and schedulable
 * @param cpu allocatable CPU of the Ready nodes, as a quantity ({@code 12}, {@code 7500m})
 * @param memory allocatable memory of the Ready nodes, e.g. {@code 96Gi}
 * @param gpus allocatable GPUs ({@code nvidia.com/gpu}, {@code amd.com/gpu}) of the Ready nodes
 * @param gpuProduct the {@code nvidia.com/gpu.product} label of its GPU nodes, if any
 */
public record NodePool(
    String role, int nodes, int ready, String cpu, String memory, long gpus, String gpuProduct) {}

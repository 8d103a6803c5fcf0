package dev.mlscale.top;

/**
 * What one run (or one row, worker or pipeline task of it) uses now, against what it asked for. CPU
 * in millicores, memory in bytes; null where there is nothing to say (no request set, no sample
 * yet).
 *
 * @param run the run (or pipeline) id
 * @param row the row or task within it, or null
 * @param where the pod (on the cluster) or {@code pid N} (on this machine)
 * @param node the node, or {@code local}
 * @param cpu CPU used now, millicores
 * @param cpuRequest the CPU request (on this machine: the CPUs reserved for it)
 * @param cpuLimit the CPU limit
 * @param memory memory used now (the working set on the cluster, the resident set here), bytes
 * @param memoryRequest the memory request
 * @param memoryLimit the memory limit: above it the run is OOMKilled
 */
public record Usage(
    String run,
    String row,
    String where,
    String node,
    Long cpu,
    Long cpuRequest,
    Long cpuLimit,
    Long memory,
    Long memoryRequest,
    Long memoryLimit) {}

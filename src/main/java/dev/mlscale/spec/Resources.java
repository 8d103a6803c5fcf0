package dev.mlscale.spec;

/**
 * What one job needs: CPU cores, a memory limit and GPUs. Locally the job waits until the machine
 * has them free, and is killed as OOMKilled above {@code memory}; on Kubernetes they become the
 * container's requests and limits.
 */
public record Resources(CpuQuantity cpu, MemorySize memory, Integer gpus) {
  public static final Resources DEFAULT = new Resources(null, null, null);

  public Resources {
    cpu = cpu == null ? new CpuQuantity(1000) : cpu;
    gpus = gpus == null ? 0 : gpus;
    SpecFieldException.check(gpus >= 0, "gpus", "gpus must be 0 or more, got " + gpus);
  }

  /** What {@code n} workers of a gang need together, each with these resources. */
  public Resources times(int n) {
    return new Resources(
        new CpuQuantity(cpu.millis() * n),
        memory == null ? null : new MemorySize(memory.bytes() * n),
        gpus * n);
  }

  public Resources withMemory(MemorySize newMemory) {
    return new Resources(cpu, newMemory, gpus);
  }
}

package dev.mlscale.backend.local;

import dev.mlscale.spec.CpuQuantity;
import dev.mlscale.spec.MemorySize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What this machine offers to jobs. Read from the machine; {@code MLSCALE_LOCAL_CPUS}, {@code
 * MLSCALE_LOCAL_MEMORY} and {@code MLSCALE_LOCAL_GPUS} override it.
 */
public record Capacity(long cpuMillis, long memoryBytes, int gpus) {
  private static final Pattern GPU_DEVICE = Pattern.compile("nvidia[0-9]+");

  public static Capacity detect(Map<String, String> env) {
    long cpu =
        env.containsKey("MLSCALE_LOCAL_CPUS")
            ? CpuQuantity.parse(env.get("MLSCALE_LOCAL_CPUS")).millis()
            : Runtime.getRuntime().availableProcessors() * 1000L;
    long memory =
        env.containsKey("MLSCALE_LOCAL_MEMORY")
            ? MemorySize.parse(env.get("MLSCALE_LOCAL_MEMORY")).bytes()
            : totalMemory();
    int gpus =
        env.containsKey("MLSCALE_LOCAL_GPUS")
            ? Integer.parseInt(env.get("MLSCALE_LOCAL_GPUS").trim())
            : countGpus();
    return new Capacity(cpu, memory, gpus);
  }

  private static long totalMemory() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the JVM's view
    }
    return Runtime.getRuntime().maxMemory() * 4;
  }

  private static int countGpus() {
    try (Stream<Path> devices = Files.list(Path.of("/dev"))) {
      return (int)
          devices.filter(p -> GPU_DEVICE.matcher(p.getFileName().toString()).matches()).count();
    } catch (IOException e) {
      return 0;
    }
  }

  @Override
  public String toString() {
    return new CpuQuantity(Math.max(1, cpuMillis)).toQuantity()
        + " CPU, "
        + MemorySize.human(memoryBytes)
        + " memory, "
        + gpus
        + " GPU";
  }
}

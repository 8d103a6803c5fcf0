package dev.mlscale.top;

import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.spec.CpuQuantity;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;
import dev.mlscale.store.RunStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The usage of this machine's running runs: each attempt is a process group (see {@link
 * ProcessGroup}); its resident memory and CPU time come from /proc, CPU as the time it used over
 * {@code window} (two samples). What it reserved comes from the job's own environment ({@code
 * MLSCALE_CPUS}, {@code MLSCALE_MEMORY_LIMIT}), so it is what the run really got.
 */
public final class LocalUsage implements RunUsage {
  private final RunStore runs;
  private final Duration window;

  public LocalUsage(RunStore runs, Duration window) {
    this.runs = runs;
    this.window = window;
  }

  @Override
  public List<Usage> sample() throws InterruptedException {
    List<RunRecord> running =
        runs.list(1000).stream()
            .filter(r -> r.state() == RunState.RUNNING && r.pid() != null)
            .filter(r -> ProcessGroup.groupAlive(r.pid()))
            .toList();
    Map<String, ProcessGroup.Usage> first = new HashMap<>();
    for (RunRecord r : running) {
      first.put(r.id(), ProcessGroup.usage(r.pid()));
    }
    long t0 = System.nanoTime();
    Thread.sleep(window.toMillis());
    double seconds = (System.nanoTime() - t0) / 1e9;
    List<Usage> out = new ArrayList<>();
    for (RunRecord r : running) {
      ProcessGroup.Usage now = ProcessGroup.usage(r.pid());
      if (now.processes() == 0) {
        continue; // ended meanwhile
      }
      long ticks = Math.max(0, now.cpuTicks() - first.get(r.id()).cpuTicks());
      long cpu = Math.round(ticks * 1000.0 / ProcessGroup.TICKS_PER_SECOND / seconds);
      Map<String, String> env = environ(r.pid());
      Long cpus = parse(env.get("MLSCALE_CPUS"), true);
      Long mem = parse(env.get("MLSCALE_MEMORY_LIMIT"), false);
      out.add(
          new Usage(
              r.id(),
              null,
              "pid " + r.pid(),
              "local",
              cpu,
              cpus,
              null,
              now.residentBytes(),
              null,
              mem));
    }
    return out;
  }

  private static Long parse(String v, boolean cpu) {
    if (v == null || v.isBlank()) {
      return null;
    }
    try {
      return cpu ? CpuQuantity.parse(v.strip()).millis() : Long.parseLong(v.strip());
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The environment a process was started with (/proc/PID/environ); empty when unreadable. */
  static Map<String, String> environ(long pid) {
    Map<String, String> env = new HashMap<>();
    try {
      String s =
          new String(
              Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ")),
              StandardCharsets.UTF_8);
      for (String kv : s.split("\0")) {
        int i = kv.indexOf('=');
        if (i > 0) {
          env.put(kv.substring(0, i), kv.substring(i + 1));
        }
      }
    } catch (IOException e) {
      return env;
    }
    return env;
  }
}

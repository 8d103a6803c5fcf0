package dev.mlscale.backend.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A job's processes: the job leads a process group of its own (see {@link AttemptProcess}), and
 * everything it forks can be measured and signalled together, as a container would be.
 */
public final class ProcessGroup {
  private static final long PAGE_SIZE = 4096;

  private ProcessGroup() {}

  /** The summed resident memory of every live process of the group {@code pgid}, in bytes. */
  static long residentBytes(long pgid) {
    return usage(pgid).residentBytes();
  }

  /**
   * What the group {@code pgid} uses now: resident memory (bytes), CPU time so far (clock ticks of
   * user and system time of its live processes, {@link #TICKS_PER_SECOND} a second) and how many
   * processes it has. For {@code mlscale top}.
   */
  public record Usage(long residentBytes, long cpuTicks, int processes) {}

  /** The kernel's USER_HZ: 100 on every Linux architecture mlscale runs on. */
  public static final long TICKS_PER_SECOND = 100;

  public static Usage usage(long pgid) {
    long rss = 0;
    long ticks = 0;
    int n = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        Optional<long[]> stat = groupAndRss(proc.resolve("stat"));
        if (stat.isPresent() && stat.get()[0] == pgid) {
          rss += stat.get()[1] * PAGE_SIZE;
          ticks += stat.get()[2];
          n++;
        }
      }
    } catch (IOException e) {
      return new Usage(rss, ticks, n);
    }
    return new Usage(rss, ticks, n);
  }

  /** Reads {pgrp, rss pages, utime + stime} from /proc/PID/stat; empty if the process is gone. */
  private static Optional<long[]> groupAndRss(Path stat) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": state ppid pgrp ... ; utime, stime and rss are fields 14, 15 and 24
      // of the whole line
      return Optional.of(
          new long[] {
            Long.parseLong(f[2]),
            Long.parseLong(f[21]),
            Long.parseLong(f[11]) + Long.parseLong(f[12])
          });
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Sends a signal to the process group {@code pgid}, e.g. from another mlscale process. */
  public static boolean signalGroup(long pgid, String signal) {
    try {
      Process kill =
          new ProcessBuilder("kill", "-s", signal, "--", "-" + pgid)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return kill.waitFor() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether any process of the group {@code pgid} is still alive. */
  public static boolean groupAlive(long pgid) {
    return signalGroup(pgid, "0");
  }

  /** Finds {@code program} as the job would: a path relative to the workdir, or on PATH. */
  public static Optional<Path> resolve(String program, Path workdir, String path) {
    if (program.contains("/")) {
      Path p = workdir.resolve(program);
      return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }
    for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate) && !Files.isDirectory(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}

package dev.mlscale.backend.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A job's processes: the job leads a process group of its own (see {@link AttemptProcess}), and
 * everything it forks can be measured and signalled together, as a container would be.
 */
public final class ProcessGroup {
  private static final long PAGE_SIZE = 4096;

  private ProcessGroup() {}

  /**
   * What the group {@code pgid} uses now: resident memory (bytes), CPU time so far (clock ticks of
   * user and system time of its live processes, {@link #TICKS_PER_SECOND} a second) and how many
   * processes it has. For {@code mlscale top}.
   */
  public record Usage(long residentBytes, long cpuTicks, int processes) {}

  /** The kernel's USER_HZ: 100 on every Linux architecture mlscale runs on. */
  public static final long TICKS_PER_SECOND = 100;

  public static Usage usage(long pgid) {
    Map<Long, long[]> members = members(pgid);
    long rss = 0;
    long ticks = 0;
    for (long[] stat : members.values()) {
      rss += stat[1] * PAGE_SIZE;
      ticks += stat[2];
    }
    return new Usage(rss, ticks, members.size());
  }

  /** Every live process of the group {@code pgid} (a scan of all of /proc): pid to its stat. */
  private static Map<Long, long[]> members(long pgid) {
    Map<Long, long[]> found = new HashMap<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        Optional<long[]> stat = groupAndRss(proc.resolve("stat"));
        if (stat.isPresent() && stat.get()[0] == pgid) {
          found.put(Long.parseLong(proc.getFileName().toString()), stat.get());
        }
      }
    } catch (IOException | NumberFormatException e) {
      // what was found so far
    }
    return found;
  }

  /**
   * Measures one group's resident memory again and again, cheaply: a sample reads the processes
   * last seen in the group and the children of each (their main thread's {@code children} file),
   * not every process of the machine; every {@link #FULL_SCAN_EVERY}-th sample reads all of {@code
   * /proc}, which also finds members that are no one's child there (orphans). A machine with a few
   * hundred processes made the old full scan, every 50 ms of every trial, a few milliseconds of CPU
   * each. Not thread-safe: one sampling task uses it.
   */
  static final class Meter {
    static final int FULL_SCAN_EVERY = 10;
    private final long pgid;
    private Set<Long> members = new HashSet<>();
    private int samples;

    Meter(long pgid) {
      this.pgid = pgid;
      members.add(pgid);
    }

    /** The summed resident memory of the group's live processes now, in bytes. */
    long residentBytes() {
      return ++samples % FULL_SCAN_EVERY == 0 ? fullScan() : walk();
    }

    private long fullScan() {
      Map<Long, long[]> found = members(pgid);
      if (found.isEmpty()) {
        return walk();
      }
      members = new HashSet<>(found.keySet());
      return found.values().stream().mapToLong(stat -> stat[1] * PAGE_SIZE).sum();
    }

    private long walk() {
      Set<Long> found = new HashSet<>();
      Deque<Long> todo = new ArrayDeque<>(members);
      long rss = 0;
      while (!todo.isEmpty()) {
        long pid = todo.pop();
        if (found.contains(pid)) {
          continue;
        }
        Path proc = Path.of("/proc", Long.toString(pid));
        Optional<long[]> stat = groupAndRss(proc.resolve("stat"));
        if (stat.isEmpty() || stat.get()[0] != pgid) {
          continue; // gone, or in a group of its own now
        }
        found.add(pid);
        rss += stat.get()[1] * PAGE_SIZE;
        try {
          String children = Files.readString(proc.resolve("task/" + pid + "/children"));
          for (String c : children.trim().split(" ")) {
            if (!c.isEmpty()) {
              todo.push(Long.parseLong(c));
            }
          }
        } catch (IOException | NumberFormatException e) {
          // gone meanwhile, or a kernel without the file: the full scans still find them
        }
      }
      members = found.isEmpty() ? Set.of(pgid) : found;
      return rss;
    }
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

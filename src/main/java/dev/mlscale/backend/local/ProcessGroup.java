package dev.mlscale.backend.local;

import dev.mlscale.error.EnvironmentError;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A job's processes: the command is started through {@code setsid} so that it leads a process group
 * of its own, and everything it forks can be measured and signalled together, as a container would
 * be.
 */
public final class ProcessGroup {
  private static final long PAGE_SIZE = 4096;
  private final Process process;

  private ProcessGroup(Process process) {
    this.process = process;
  }

  /**
   * Starts {@code argv} (its first word already resolved to a path) in {@code workdir}, with stdout
   * and stderr merged into one stream the caller reads from {@link #output()}.
   */
  public static ProcessGroup start(List<String> argv, Path workdir, Map<String, String> env) {
    List<String> command = new ArrayList<>(argv.size() + 1);
    command.add("setsid");
    command.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(command).directory(workdir.toFile());
    pb.redirectErrorStream(true);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    try {
      return new ProcessGroup(pb.start());
    } catch (IOException e) {
      throw new EnvironmentError("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
    }
  }

  public long pid() {
    return process.pid();
  }

  public java.io.InputStream output() {
    return process.getInputStream();
  }

  public Process process() {
    return process;
  }

  /** The summed resident memory of every live process in the group, in bytes. */
  public long residentBytes() {
    return residentBytes(pid());
  }

  static long residentBytes(long pgid) {
    long total = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        Optional<long[]> stat = groupAndRss(proc.resolve("stat"));
        if (stat.isPresent() && stat.get()[0] == pgid) {
          total += stat.get()[1] * PAGE_SIZE;
        }
      }
    } catch (IOException e) {
      return total;
    }
    return total;
  }

  /** Reads {pgrp, rss pages} from /proc/PID/stat; empty if the process is gone. */
  private static Optional<long[]> groupAndRss(Path stat) {
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      // after "pid (comm) ": state ppid pgrp ... ; rss is field 24 of the whole line
      return Optional.of(new long[] {Long.parseLong(f[2]), Long.parseLong(f[21])});
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Sends a signal (TERM, KILL, ...) to every process of the group. */
  public void signal(String signal) {
    signalGroup(pid(), signal);
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

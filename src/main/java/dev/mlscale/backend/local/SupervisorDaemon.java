package dev.mlscale.backend.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One long-lived supervisor for every single-process attempt this mlscale process starts ({@code
 * python/supervisor.py}, run by the machine's Python 3): it does what {@link AttemptProcess}'s
 * per-attempt shell supervisor does (the job in a session of its own, its output to the log, its
 * end recorded next to it even when mlscale is gone), without starting three programs for each
 * attempt. A sweep of many short trials spent most of its overhead there.
 *
 * <p>Started on the first attempt, in a session of its own; it ends when this process has closed
 * its input (on exit, or dying) and the last job it started has ended. Requests and answers are one
 * line each; the job's argv and environment travel as JSON, never through a shell.
 */
final class SupervisorDaemon {
  /** The daemon's name among its arguments: how another mlscale process recognises it. */
  static final String NAME = "mlscale-supervisor";

  private static final String RESOURCE = "/python/supervisor.py";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static volatile SupervisorDaemon shared;

  private final Process process;
  private final OutputStream requests;
  private final AtomicLong ids = new AtomicLong();
  private final Map<Long, CompletableFuture<Long>> starting = new ConcurrentHashMap<>();
  private final Map<Long, CompletableFuture<Integer>> ending = new ConcurrentHashMap<>();
  private volatile boolean gone;
  private volatile boolean closing; // this JVM is exiting: nobody needs to learn of ends

  /** A job the daemon started: its pid, and its exit status once it has ended (null: unknown). */
  record Started(long supervisorPid, long jobPid, CompletableFuture<Integer> exit) {}

  private SupervisorDaemon(Process process) {
    this.process = process;
    this.requests = process.getOutputStream();
    Thread reader = new Thread(this::readAnswers, "mlscale-supervisor");
    reader.setDaemon(true);
    reader.start();
    // on exit, close the daemon's input: it closes its output, so the reader is not left blocked
    // in a read, which would hold up the JVM's exit by 300 ms (HotSpot waits that long for
    // threads in native code)
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  closing = true;
                  synchronized (requests) {
                    try {
                      requests.close();
                    } catch (IOException e) {
                      // gone already
                    }
                  }
                  try {
                    reader.join(200);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "mlscale-supervisor-close"));
  }

  /**
   * This process's daemon, started on first use with the Python 3 found on {@code path}; empty when
   * there is none (the caller falls back to a shell supervisor per attempt), or it would not start.
   */
  static Optional<SupervisorDaemon> shared(String path, Path cache) {
    SupervisorDaemon d = shared;
    if (d != null && !d.gone) {
      return Optional.of(d);
    }
    synchronized (SupervisorDaemon.class) {
      if (shared == null || shared.gone) {
        shared = start(path, cache).orElse(null); // a failure is tried again next time
      }
      return Optional.ofNullable(shared);
    }
  }

  private static Optional<SupervisorDaemon> start(String path, Path cache) {
    Optional<Path> python = interpreter(path, cache);
    if (python.isEmpty()) {
      return Optional.empty();
    }
    String source;
    try (InputStream in = SupervisorDaemon.class.getResourceAsStream(RESOURCE)) {
      source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException | NullPointerException e) {
      throw new IllegalStateException("missing resource " + RESOURCE, e);
    }
    try {
      Files.createDirectories(cache);
      Process p =
          // setsid before Python starts: a Ctrl-C meant for mlscale never reaches it
          new ProcessBuilder("setsid", python.get().toString(), "-I", "-S", "-c", source, NAME)
              .redirectError(
                  ProcessBuilder.Redirect.appendTo(cache.resolve("supervisor.log").toFile()))
              .start();
      return Optional.of(new SupervisorDaemon(p));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Starts {@code argv} (its first word a path) in {@code workdir} with this process's environment
   * (the daemon's, inherited when it started) and {@code env} over it, its files named {@code
   * prefix}.log, .pid and .exit; returns once the pid file is written.
   */
  Started launch(Path prefix, List<String> argv, Path workdir, Map<String, String> env)
      throws IOException, InterruptedException {
    long id = ids.incrementAndGet();
    CompletableFuture<Long> pid = new CompletableFuture<>();
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    starting.put(id, pid);
    ending.put(id, exit);
    Map<String, Object> request = new LinkedHashMap<>();
    request.put("id", id);
    request.put("prefix", prefix.toString());
    request.put("argv", argv);
    request.put("cwd", workdir.toAbsolutePath().toString());
    request.put("env", env);
    byte[] line = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
    synchronized (requests) {
      if (gone) {
        throw new IOException("the supervisor ended");
      }
      try {
        requests.write(line);
        requests.flush();
      } catch (IOException e) {
        gone = true; // the next attempt starts another daemon, or a shell
        throw e;
      }
    }
    try {
      return new Started(process.pid(), pid.get(), exit);
    } catch (ExecutionException e) {
      ending.remove(id);
      throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
    }
  }

  private void readAnswers() {
    try (BufferedReader in =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] w = line.split(" ", 3);
        if (w.length < 3) {
          continue;
        }
        long id = Long.parseLong(w[1]);
        switch (w[0]) {
          case "started" -> complete(starting.remove(id), Long.parseLong(w[2]));
          case "exited" -> complete(ending.remove(id), Integer.parseInt(w[2]));
          case "failed" -> {
            ending.remove(id);
            CompletableFuture<Long> f = starting.remove(id);
            if (f != null) {
              f.completeExceptionally(new IOException(w[2]));
            }
          }
          default -> {
            // an answer this version does not know
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // the daemon is gone: below
    }
    gone = true;
    if (closing) {
      return; // the JVM exits: what still runs is recorded by the daemon, adopted by the next
      // mlscale
    }
    // whoever waits learns that nobody saw the end: the files say what is known
    starting
        .values()
        .forEach(f -> f.completeExceptionally(new IOException("the supervisor ended")));
    ending.values().forEach(f -> f.complete(null));
  }

  /**
   * The Python 3 on {@code path}, as a program: a version manager's shim (pyenv's {@code python3}
   * is a shell script that costs about 270 ms a start) is resolved once to the interpreter it runs,
   * and the answer kept in {@code cache}.
   */
  static Optional<Path> interpreter(String path, Path cache) {
    Optional<Path> found = ProcessGroup.resolve("python3", Path.of("/"), path);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    Path python = found.get();
    try (InputStream in = Files.newInputStream(python)) {
      byte[] magic = in.readNBytes(4);
      if (magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L') {
        return found; // a program: no shim
      }
    } catch (IOException e) {
      return Optional.empty();
    }
    Path known = cache.resolve("python3-of-" + Integer.toHexString(python.toString().hashCode()));
    try {
      Path real = Path.of(Files.readString(known).strip());
      if (Files.isExecutable(real)) {
        return Optional.of(real);
      }
    } catch (IOException | RuntimeException e) {
      // not asked yet
    }
    try {
      Process p =
          new ProcessBuilder(python.toString(), "-c", "import sys; print(sys.executable)")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      String real = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (p.waitFor() != 0 || real.isEmpty() || !Files.isExecutable(Path.of(real))) {
        return Optional.empty();
      }
      Files.createDirectories(cache);
      dev.mlscale.store.AtomicFiles.write(known, real.getBytes(StandardCharsets.UTF_8));
      return Optional.of(Path.of(real));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static <T> void complete(CompletableFuture<T> f, T value) {
    if (f != null) {
      f.complete(value);
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.UserError;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.concurrent.TimeUnit;

/** A local run's output, from the files its attempts write (attempt-N.log, setup.log). */
final class LocalLogs {
  private final RunStore store;
  private final PrintStream out;
  private final PrintStream err;
  private WorkerLines lines = WorkerLines.ALL;

  LocalLogs(RunStore store, PrintStream out, PrintStream err) {
    this.store = store;
    this.out = out;
    this.err = err;
  }

  void print(RunRecord r, Runs.LogRequest request) {
    Path dir = Path.of(r.runDir());
    Integer attempt = request.attempt();
    int n = attempt != null ? attempt : Math.max(1, r.attempts());
    if (attempt != null && (attempt < 1 || attempt > Math.max(1, r.attempts()))) {
      throw new UserError(
          "run "
              + r.id()
              + " has "
              + r.attempts()
              + " attempt(s); --attempt must be 1.."
              + r.attempts());
    }
    Path log = dir.resolve(request.setup() ? "setup.log" : "attempt-" + n + ".log");
    lines = WorkerLines.of(request.worker(), r.id(), dir, n);
    if (!request.follow()) {
      if (Files.exists(log)) {
        print(log, 0);
        out.print(lines.accept("", true));
        out.flush();
      } else {
        err.println("(no output yet: run " + r.id() + " is " + RunViews.state(r) + ")");
      }
      return;
    }
    try {
      follow(r, dir, n, request.setup());
    } catch (IOException e) {
      throw new EnvironmentError("cannot follow the output in " + dir + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Prints the log as it grows; the file system tells us when it changes (inotify). */
  private void follow(RunRecord r, Path dir, int n, boolean setup)
      throws IOException, InterruptedException {
    long offset = 0;
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      dir.register(
          watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
      while (true) {
        RunRecord now = store.get(r.id());
        int current = Math.max(n, now.attempts());
        if (current != n && !setup) {
          print(dir.resolve("attempt-" + n + ".log"), offset);
          out.print(lines.accept("", true));
          n = current;
          offset = 0;
          err.println("--- attempt " + n + " ---");
        }
        offset = print(dir.resolve(setup ? "setup.log" : "attempt-" + n + ".log"), offset);
        if (now.state().isFinal() || RunViews.isLost(now)) {
          out.print(lines.accept("", true));
          return;
        }
        try {
          var key = watch.poll(1, TimeUnit.SECONDS); // wakes on change; the timeout re-checks state
          if (key != null) {
            key.pollEvents();
            key.reset();
          }
        } catch (ClosedWatchServiceException e) {
          return;
        }
      }
    }
  }

  private long print(Path log, long offset) {
    try {
      if (!Files.exists(log) || Files.size(log) <= offset) {
        return offset;
      }
      try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
        f.seek(offset);
        byte[] bytes = new byte[(int) (f.length() - offset)];
        f.readFully(bytes);
        out.print(lines.accept(new String(bytes, StandardCharsets.UTF_8), false));
        out.flush();
        return offset + bytes.length;
      }
    } catch (IOException e) {
      throw new EnvironmentError("cannot read " + log + ": " + e.getMessage());
    }
  }
}

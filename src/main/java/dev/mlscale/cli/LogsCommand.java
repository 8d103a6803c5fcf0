package dev.mlscale.cli;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.UserError;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunStore;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = "Print a run's output (stdout and stderr, as the job wrote them).")
final class LogsCommand implements Callable<Integer> {
  private final Context ctx;

  @Parameters(paramLabel = "RUN", description = "A run id or an unambiguous prefix of it.")
  String run;

  @Option(
      names = {"-f", "--follow"},
      description = "Keep printing new output until the run ends.")
  boolean follow;

  @Option(
      names = "--attempt",
      paramLabel = "N",
      description = "Which attempt to show. Default: the latest.")
  Integer attempt;

  @Option(names = "--setup", description = "Show the output of the environment setup instead.")
  boolean setup;

  @Option(
      names = "--worker",
      paramLabel = "K",
      description =
          "A distributed run: only worker K's output, without its \"[K] \" prefix. Default:"
              + " every worker's, each line prefixed by its rank.")
  Integer worker;

  @picocli.CommandLine.Mixin ClusterOptions cluster = new ClusterOptions();

  private WorkerLines lines = WorkerLines.ALL;

  LogsCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() throws IOException, InterruptedException {
    if (cluster.onCluster()) {
      try (var connection = new AutoClose(cluster.connect(ctx))) {
        new dev.mlscale.backend.kubernetes.ClusterRuns(connection.get())
            .logs(run, ctx.out(), follow);
      }
      return 0;
    }
    RunStore store = ctx.runs();
    RunRecord r = store.get(run);
    Path dir = Path.of(r.runDir());
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
    Path log = dir.resolve(setup ? "setup.log" : "attempt-" + n + ".log");
    lines = WorkerLines.of(worker, r.id(), dir, n);
    if (!follow) {
      if (Files.exists(log)) {
        ctx.out().print(lines.accept(Files.readString(log, StandardCharsets.UTF_8), true));
        ctx.out().flush();
      } else {
        ctx.err().println("(no output yet: run " + r.id() + " is " + RunViews.state(r) + ")");
      }
      return 0;
    }
    return follow(store, r, dir, n);
  }

  /** Prints the log as it grows; the file system tells us when it changes (inotify). */
  private int follow(RunStore store, RunRecord r, Path dir, int n)
      throws IOException, InterruptedException {
    long offset = 0;
    try (WatchService watch = FileSystems.getDefault().newWatchService()) {
      dir.register(
          watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
      while (true) {
        RunRecord now = store.get(r.id());
        int current = Math.max(n, now.attempts());
        if (current != n && !setup) {
          offset = print(dir.resolve("attempt-" + n + ".log"), offset);
          ctx.out().print(lines.accept("", true));
          n = current;
          offset = 0;
          ctx.err().println("--- attempt " + n + " ---");
        }
        offset = print(dir.resolve(setup ? "setup.log" : "attempt-" + n + ".log"), offset);
        if (now.state().isFinal() || RunViews.isLost(now)) {
          ctx.out().print(lines.accept("", true));
          return 0;
        }
        try {
          var key = watch.poll(1, TimeUnit.SECONDS); // wakes on change; the timeout re-checks state
          if (key != null) {
            key.pollEvents();
            key.reset();
          }
        } catch (ClosedWatchServiceException e) {
          return 0;
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
        ctx.out().print(lines.accept(new String(bytes, StandardCharsets.UTF_8), false));
        ctx.out().flush();
        return offset + bytes.length;
      }
    } catch (IOException e) {
      throw new EnvironmentError("cannot read " + log + ": " + e.getMessage());
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.pipeline.PipelineView;
import dev.mlscale.store.RunRecord;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The output of a local pipeline run's tasks, each line prefixed with [task]: printed once, or
 * followed (-f) as the tasks write it until the run ends ({@link LocalRunWatch}).
 */
final class PipelineLogs {
  private final Context ctx;
  private final Predicate<PipelineView.Task> wanted;
  private final Map<Path, Long> offsets = new HashMap<>();
  private final Map<Path, String> partial = new HashMap<>();
  private final Set<String> told = new HashSet<>();

  PipelineLogs(Context ctx, Predicate<PipelineView.Task> wanted) {
    this.ctx = ctx;
    this.wanted = wanted;
  }

  /** Prints what the tasks have written so far. */
  void print(PipelineView v) {
    for (PipelineView.Task t : v.tasks()) {
      if (wanted.test(t)) {
        printNew(t, true);
      }
    }
  }

  /** Prints as the tasks write, until the run ends (or its runner is gone). */
  void follow(String id) throws InterruptedException {
    LocalRunWatch.follow(
        ctx,
        id,
        v -> {
          boolean over = v.done() || v.phase().equals("Interrupted");
          List<Path> dirs = new ArrayList<>();
          for (PipelineView.Task t : v.tasks()) {
            if (wanted.test(t)) {
              Path dir = runDir(t);
              if (dir != null) {
                dirs.add(dir);
              }
              printNew(t, over);
            }
          }
          return dirs;
        });
  }

  private Path runDir(PipelineView.Task t) {
    if (t.ref() == null) {
      return null;
    }
    return ctx.runs().find(t.ref()).map(r -> Path.of(r.runDir())).orElse(null);
  }

  /**
   * Prints the lines a task wrote since last time; a line still being written waits for its end
   * unless {@code flush}. A built-in task's message is printed once, when it has ended.
   */
  private void printNew(PipelineView.Task t, boolean flush) {
    if (t.ref() == null) {
      boolean ended = !List.of("Pending", "Running").contains(t.phase());
      if (ended && !t.message().isEmpty() && told.add(t.name())) {
        ctx.out().println("[" + t.name() + "] " + t.message());
      }
      return;
    }
    RunRecord r = ctx.runs().find(t.ref()).orElse(null);
    if (r == null) {
      return; // started, but its run is not recorded yet
    }
    for (int attempt = 1; attempt <= Math.max(1, r.attempts()); attempt++) {
      Path log = Path.of(r.runDir()).resolve("attempt-" + attempt + ".log");
      String text = partial.getOrDefault(log, "") + read(log);
      int end = flush ? text.length() : text.lastIndexOf('\n') + 1;
      for (String line : text.substring(0, end).split("\n", -1)) {
        if (!line.isEmpty()) {
          ctx.out().println("[" + t.name() + "] " + line);
        }
      }
      partial.put(log, text.substring(end));
    }
    ctx.out().flush();
  }

  private String read(Path log) {
    long offset = offsets.getOrDefault(log, 0L);
    try {
      if (!Files.exists(log) || Files.size(log) <= offset) {
        return "";
      }
      try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
        f.seek(offset);
        byte[] bytes = new byte[(int) (f.length() - offset)];
        f.readFully(bytes);
        offsets.put(log, offset + bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new EnvironmentError("cannot read " + log + ": " + e.getMessage());
    }
  }
}

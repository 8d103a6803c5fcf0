package dev.mlscale.cli;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.pipeline.PipelineView;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Follows a local pipeline run until it ends: reads it again whenever the run database, or a folder
 * the reader asks for (a task's log folder), changes (inotify). The timeout only notices a runner
 * that died without a word.
 */
final class LocalRunWatch {
  private LocalRunWatch() {}

  /**
   * @param onRead told each fresh view of the run; returns more folders to watch
   * @return the run as it ended (or was found Interrupted)
   */
  static PipelineView follow(
      Context ctx, String id, Function<PipelineView, Collection<Path>> onRead)
      throws InterruptedException {
    Path db = ctx.home().database().getParent();
    Set<Path> watched = new HashSet<>();
    try (WatchService watcher = db.getFileSystem().newWatchService()) {
      register(watcher, db, watched);
      while (true) {
        PipelineView v = LocalPipelineRuns.view(ctx, id);
        for (Path dir : onRead.apply(v)) {
          register(watcher, dir, watched);
        }
        if (v.done() || v.phase().equals("Interrupted")) {
          return v;
        }
        var key = watcher.poll(2, TimeUnit.SECONDS);
        while (key != null) {
          key.pollEvents();
          key.reset();
          key = watcher.poll();
        }
      }
    } catch (IOException e) {
      throw new EnvironmentError("cannot watch run " + id + " for changes: " + e.getMessage());
    }
  }

  private static void register(WatchService watcher, Path dir, Set<Path> watched)
      throws IOException {
    if (watched.add(dir) && Files.isDirectory(dir)) {
      dir.register(
          watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
    }
  }
}

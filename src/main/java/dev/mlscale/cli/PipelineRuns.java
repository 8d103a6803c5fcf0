package dev.mlscale.cli;

import dev.mlscale.pipeline.PipelineView;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * Pipeline runs, wherever they run: this machine's (the embedded store) or a cluster's (Argo
 * Workflows). Both return the same views, so that the commands parse, call and print, and the
 * target is picked once, by the {@link ClusterOptions} mixin.
 */
interface PipelineRuns extends AutoCloseable {
  static PipelineRuns open(Context ctx, ClusterOptions cluster) {
    return cluster.onCluster()
        ? new ArgoPipelineRuns(ctx, cluster.connect(ctx))
        : new LocalPipelineRuns(ctx);
  }

  List<PipelineView> list();

  PipelineView get(String idOrPrefix);

  /** Follows a run until it ends, telling each task's change; returns how it ended. */
  PipelineView watch(String id, Consumer<PipelineView.Task> changed) throws InterruptedException;

  /** Prints the tasks' output ({@code task}: only that one); {@code follow}: until the run ends. */
  void logs(String id, String task, boolean follow, PrintStream out) throws InterruptedException;

  /** Stops a run; says what it did. */
  String cancel(String id, Duration grace) throws InterruptedException;

  /** Removes a run and everything it made. */
  void delete(String id, boolean await) throws InterruptedException;

  /**
   * Runs a pipeline spec and follows it to its end (or, with {@code detach}, submits it and
   * returns); says the exit code.
   */
  int start(Path file, List<String> overrides, PipelineOutput shown, boolean detach)
      throws InterruptedException;

  /** Runs a Failed or Cancelled run again under the same id, keeping what succeeded. */
  int retry(String id, PipelineOutput shown) throws InterruptedException;

  @Override
  void close();
}

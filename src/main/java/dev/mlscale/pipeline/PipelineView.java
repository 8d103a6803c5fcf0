package dev.mlscale.pipeline;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * A pipeline run as {@code pipeline ls|status} show it, wherever it runs: locally (from the run
 * database) or on Argo (from the Workflow object).
 *
 * @param graph the pipeline's tasks with their dependencies, for the picture (on Argo a fan-out is
 *     one entry)
 * @param tasks every task that runs something, in start order (on Argo each pod: train-3)
 */
public record PipelineView(
    String id,
    String pipeline,
    String phase,
    String message,
    Instant started,
    Instant finished,
    List<Task> graph,
    List<Task> tasks) {

  /**
   * One task. {@code phase}: Pending, Running, Succeeded, Failed, Error, Skipped, Omitted.
   *
   * @param ref where it ran: the local run id, or the pod's name on the cluster
   * @param task the pipeline's task it belongs to: train for train-3 or for a retry of train
   * @param attempt which run of the task this is: 2 once {@code pipeline retry} or {@code resume}
   *     ran it again
   */
  public record Task(
      String name,
      List<String> depends,
      String phase,
      String message,
      Instant started,
      Instant finished,
      String ref,
      String task,
      int attempt) {

    /** Whether this is {@code task} or one of its items or tries. */
    public boolean of(String taskOrName) {
      return name.equals(taskOrName)
          || taskOrName.equals(task)
          || name.startsWith(taskOrName + " (try ");
    }

    public Duration duration(Instant now) {
      return started == null ? null : Duration.between(started, finished == null ? now : finished);
    }
  }

  public boolean done() {
    return List.of("Succeeded", "Failed", "Error", "Cancelled").contains(phase);
  }
}

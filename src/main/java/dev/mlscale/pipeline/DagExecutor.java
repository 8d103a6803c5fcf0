package dev.mlscale.pipeline;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs a {@link Dag}: every node whose dependencies all succeeded starts at once (up to {@code
 * parallelism} at a time); a node whose dependency failed or was skipped is skipped, with the
 * reason. The work itself is a {@link TaskRunner}'s.
 */
public final class DagExecutor {
  /** How a node ended. */
  public enum State {
    SUCCEEDED,
    FAILED,
    /** Stopped by a cancel (pipeline cancel, Ctrl-C) while it ran. */
    CANCELLED,
    SKIPPED;

    public String display() {
      return name().charAt(0) + name().substring(1).toLowerCase();
    }
  }

  /** What one node did. */
  public record Result(
      String node,
      State state,
      String message,
      String runId,
      Map<String, Double> metrics,
      Instant started,
      Instant ended) {
    /** The result of a built-in task: succeeded or failed with {@code message}, no run. */
    public static Result of(
        String node, boolean ok, String message, Instant started, Instant ended) {
      return new Result(
          node, ok ? State.SUCCEEDED : State.FAILED, message, null, Map.of(), started, ended);
    }

    public Duration duration() {
      return started == null || ended == null ? Duration.ZERO : Duration.between(started, ended);
    }
  }

  /** Does the work of one node. Called from pool threads. */
  public interface TaskRunner {
    Result run(Dag.Node node);
  }

  /** Told as nodes start and end. */
  public interface Listener {
    void started(Dag.Node node);

    void ended(Dag.Node node, Result result);
  }

  private final Clock clock;

  public DagExecutor(Clock clock) {
    this.clock = clock;
  }

  public Map<String, Result> execute(Dag dag, int parallelism, TaskRunner runner, Listener listener)
      throws InterruptedException {
    return execute(dag, parallelism, runner, listener, () -> false);
  }

  /**
   * As above; once {@code cancelled} says true (asked whenever a node could start), no further node
   * starts: they are skipped as cancelled, and the running ones are left to end (their runner stops
   * them).
   */
  public Map<String, Result> execute(
      Dag dag,
      int parallelism,
      TaskRunner runner,
      Listener listener,
      java.util.function.BooleanSupplier cancelled)
      throws InterruptedException {
    return execute(dag, parallelism, runner, listener, cancelled, Map.of());
  }

  /**
   * As above, going on from {@code done}: the nodes in it ended before (a retry keeps what
   * succeeded, a resume what ended); they are neither run nor told, and their results count as they
   * did.
   */
  public Map<String, Result> execute(
      Dag dag,
      int parallelism,
      TaskRunner runner,
      Listener listener,
      java.util.function.BooleanSupplier cancelled,
      Map<String, Result> done)
      throws InterruptedException {
    Map<String, Result> results = new LinkedHashMap<>();
    java.util.Set<String> started = new java.util.HashSet<>();
    for (Dag.Node n : dag.nodes()) {
      if (done.containsKey(n.name())) {
        results.put(n.name(), done.get(n.name()));
        started.add(n.name());
      }
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, parallelism),
            r -> {
              Thread t = new Thread(r, "mlscale-task");
              t.setDaemon(true);
              return t;
            });
    ExecutorCompletionService<Result> ending = new ExecutorCompletionService<>(pool);
    int running = 0;
    try {
      while (results.size() < dag.nodes().size()) {
        // asked once per round (a round follows each task's end), not once per node
        boolean stopNow = cancelled.getAsBoolean();
        boolean changed = true;
        while (changed) {
          changed = false;
          for (Dag.Node n : dag.nodes()) {
            if (started.contains(n.name())) {
              continue;
            }
            String blocker =
                n.depends().stream()
                    .filter(
                        d -> results.containsKey(d) && results.get(d).state() != State.SUCCEEDED)
                    .findFirst()
                    .orElse(null);
            boolean ready = n.depends().stream().allMatch(results::containsKey);
            boolean stop = (blocker != null || ready) && stopNow;
            if (blocker != null || stop) {
              Instant now = clock.instant();
              Result skip =
                  new Result(
                      n.name(),
                      State.SKIPPED,
                      stop
                          ? "not run: the pipeline was cancelled"
                          : "not run: "
                              + blocker
                              + " "
                              + results.get(blocker).state().display().toLowerCase(),
                      null,
                      Map.of(),
                      now,
                      now);
              started.add(n.name());
              results.put(n.name(), skip);
              listener.ended(n, skip);
              changed = true;
            } else if (ready && running < Math.max(1, parallelism)) {
              // at most parallelism at once: a task is started (and told) only when it can run
              started.add(n.name());
              listener.started(n);
              ending.submit(() -> runner.run(n));
              running++;
              changed = true;
            }
          }
        }
        if (running == 0) {
          break;
        }
        Result r;
        try {
          r = ending.take().get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e);
        }
        running--;
        results.put(r.node(), r);
        listener.ended(dag.node(r.node()), r);
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }
}

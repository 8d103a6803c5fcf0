package dev.mlscale.backend.kubernetes;

import dev.mlscale.plan.RunPlan;
import dev.mlscale.store.RunState;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How a finished Job's runs ended, decided from a snapshot of the Job and its pods alone (the
 * Spark-on-Kubernetes snapshot pattern): a pure function, unit-tested on fixtures, so the watch in
 * {@link KubernetesBackend} only waits and collects, and every target's reasons come from one
 * place.
 */
final class JobOutcomes {
  private JobOutcomes() {}

  /** A finished Job and the pods of its attempt, as the cluster showed them. */
  record Snapshot(Job job, List<Pod> pods) {}

  /** How one run (or row) ended. */
  record Row(RunState state, String reason, String message, Integer exitCode) {}

  /** A row's outcome, and the termination message its metrics come from (rank 0's for a gang). */
  record Outcome(Row row, Optional<String> metrics) {}

  /** One outcome per plan, in row order ({@code indexed}: the plans are an Indexed Job's rows). */
  static List<Outcome> classify(Snapshot snapshot, List<RunPlan> plans, boolean indexed) {
    Job job = snapshot.job();
    List<Pod> pods = snapshot.pods();
    JobCondition cond =
        job.getStatus().getConditions().stream()
            .filter(c -> "True".equals(c.getStatus()))
            .filter(c -> "Complete".equals(c.getType()) || "Failed".equals(c.getType()))
            .findFirst()
            .orElseThrow();
    Set<Integer> completed = Indexes.parse(job.getStatus().getCompletedIndexes());
    List<Outcome> rows = new ArrayList<>();
    for (int i = 0; i < plans.size(); i++) {
      final int index = i;
      Optional<Pod> last =
          pods.stream()
              .filter(p -> !indexed || indexOf(p).orElse(-1) == index)
              .max(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()));
      RunPlan plan = plans.get(i);
      AtomicReference<String> metrics = new AtomicReference<>();
      Optional<ContainerStateTerminated> term = last.flatMap(PodExplainer::terminated);
      Optional<Integer> failedWorker = Optional.empty();
      if (plan.spec().distributedOpt().isPresent() && !indexed) {
        // a gang: the metrics are worker 0's; a failure is the first worker's that failed
        Optional<Pod> rankZero =
            pods.stream()
                .filter(p -> indexOf(p).orElse(-1) == 0)
                .max(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()));
        Optional<Pod> firstFailed =
            pods.stream()
                .filter(
                    p -> PodExplainer.terminated(p).map(t -> t.getExitCode() != 0).orElse(false))
                .min(
                    Comparator.comparing(
                        p -> String.valueOf(PodExplainer.terminated(p).get().getFinishedAt())));
        rankZero
            .flatMap(PodExplainer::terminated)
            .map(ContainerStateTerminated::getMessage)
            .ifPresent(metrics::set);
        last = firstFailed.or(() -> rankZero);
        term = last.flatMap(PodExplainer::terminated);
        failedWorker = firstFailed.flatMap(JobOutcomes::indexOf);
      } else {
        term.map(ContainerStateTerminated::getMessage).ifPresent(metrics::set);
      }
      boolean ok = indexed ? completed.contains(i) : "Complete".equals(cond.getType());
      Row row =
          ok
              ? new Row(RunState.SUCCEEDED, "Completed", "completed", 0)
              : failure(plan, cond, last, term, indexed);
      if (!ok && failedWorker.isPresent()) {
        row =
            new Row(
                row.state(),
                row.reason(),
                "worker "
                    + failedWorker.get()
                    + ": "
                    + row.message()
                    + "; the Job stopped the other workers",
                row.exitCode());
      }
      rows.add(new Outcome(row, Optional.ofNullable(metrics.get())));
    }
    return rows;
  }

  static Row failure(
      RunPlan plan,
      JobCondition cond,
      Optional<Pod> last,
      Optional<ContainerStateTerminated> term,
      boolean indexed) {
    Integer exit = term.map(ContainerStateTerminated::getExitCode).orElse(null);
    if (plan.spec().distributedOpt().isPresent()
        && Integer.valueOf(dev.mlscale.render.Gang.GANG_NOT_STARTED).equals(exit)
        && term.map(ContainerStateTerminated::getMessage)
            .map(m -> m.startsWith("gang not started"))
            .orElse(false)) {
      // a worker waited start_timeout for peers that never came: the gang gave up together
      return new Row(RunState.FAILED, "GangNotStarted", term.get().getMessage().strip(), exit);
    }
    Optional<String> noPython = last.flatMap(PodExplainer::imageCannotRunPython);
    if (term.isEmpty() && noPython.isPresent()) {
      return new Row(RunState.FAILED, "ImageWithoutPython", noPython.get(), null);
    }
    Optional<String> setupFailed = last.flatMap(PodExplainer::setupFailure);
    if (term.isEmpty() && setupFailed.isPresent()) {
      return new Row(RunState.FAILED, "SetupFailed", setupFailed.get(), null);
    }
    if (term.isPresent() && "OOMKilled".equals(term.get().getReason())) {
      return new Row(
          RunState.FAILED,
          "OOMKilled",
          "the container used more than its memory"
              + " limit of "
              + plan.resources().memory()
              + " and was killed (exit code 137) on node "
              + last.get().getSpec().getNodeName()
              + ". Raise resources.memory, or add on_oom:"
              + " {increase: 2x, max: ...} to retry with more",
          137);
    }
    String reason = cond.getReason() == null ? "Failed" : cond.getReason();
    if (indexed && term.isPresent()) {
      reason =
          plan.spec().retries().failFastExitCodes().contains(exit)
              ? "PodFailurePolicy"
              : "BackoffLimitExceeded";
    }
    String message =
        switch (reason) {
          case "DeadlineExceeded" ->
              "ran longer than its timeout of " + plan.spec().timeout() + " and was stopped";
          case "PodFailurePolicy" ->
              plan.spec().retries().failFastExitCodes().contains(exit)
                  ? "exited with code " + exit + ", one of fail_fast_exit_codes: not retried"
                  : "ended with " // a gang's worker: any failure fails its Job
                      + term.map(PodExplainer::reason).orElse("no container status");
          case "BackoffLimitExceeded", "FailedIndexes" ->
              "failed "
                  + (plan.spec().retries().limit() + 1)
                  + " time(s); the last pod ended with "
                  + term.map(PodExplainer::reason).orElse("no container status");
          default -> cond.getMessage();
        };
    // the reason a user reads is the pod's, as on this machine; the Job's condition only says
    // how the Job gave up (and the message says it: retries spent, or a fail-fast exit code)
    if (List.of("BackoffLimitExceeded", "FailedIndexes", "PodFailurePolicy").contains(reason)) {
      reason = "Error";
    }
    return new Row(RunState.FAILED, reason, message, exit);
  }

  private static Optional<Integer> indexOf(Pod pod) {
    return KubernetesBackend.indexOf(pod);
  }
}

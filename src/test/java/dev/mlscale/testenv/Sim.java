package dev.mlscale.testenv;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobCondition;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The pod annotation contract of the simulated nodes (testenv/README.md, "Annotation contract") and
 * small helpers for reading pod and Job state in cluster tests.
 */
public final class Sim {
  /** Go duration ("3s", "1m30s") the pod runs before it finishes; default 1s. */
  public static final String DURATION = "sim.mlscale.dev/duration";

  /** Exit code of every container; non-zero makes the pod Failed with reason Error. */
  public static final String EXIT_CODE = "sim.mlscale.dev/exit-code";

  /** "true": containers terminate with reason OOMKilled, exit code 137, pod Failed. */
  public static final String OOM = "sim.mlscale.dev/oom";

  /** "true": the pod keeps running until it is deleted. */
  public static final String HOLD = "sim.mlscale.dev/hold";

  /** Termination message of every container (state.terminated.message). */
  public static final String MESSAGE = "sim.mlscale.dev/message";

  /**
   * Indexed Jobs: comma-separated completion indexes ({@code "2,5"}) whose pods end OOMKilled (exit
   * code 137); wins over every other outcome annotation for those indexes.
   */
  public static final String OOM_INDEXES = "sim.mlscale.dev/oom-indexes";

  /**
   * Indexed Jobs: {@code index=exitCode} pairs ({@code "1=3,4=2"}); those indexes terminate with
   * that exit code ({@code 0} = success), winning over the pod-wide oom / oom-below / exit-code.
   */
  public static final String EXIT_CODE_INDEXES = "sim.mlscale.dev/exit-code-indexes";

  /** Prefix of the per-index termination message, see {@link #messageForIndex(int)}. */
  public static final String MESSAGE_INDEX_PREFIX = "sim.mlscale.dev/message-";

  /**
   * Memory quantity ({@code "4Gi"}): the pod ends OOMKilled (137) when its first container's memory
   * limit is below it; without a memory limit it never OOMs. Otherwise the other annotations apply.
   */
  public static final String OOM_BELOW = "sim.mlscale.dev/oom-below";

  /**
   * The annotation set by the Job controller on the pods of an Indexed Job (also a label). The
   * per-index annotations are matched against it.
   */
  public static final String JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";

  /** Container terminated reason when a sim annotation cannot be parsed (exit code 1). */
  public static final String SIM_ANNOTATION_ERROR = "SimAnnotationError";

  /**
   * Set by the node-loss helpers: "requested" freezes a running pod (its kubelet is gone), the
   * simulation answers "true". A frozen pod never finishes.
   */
  public static final String FROZEN = "sim.mlscale.dev/frozen";

  /** Taint key and extended resource of the simulated GPU nodes. */
  public static final String GPU = "nvidia.com/gpu";

  private Sim() {}

  /**
   * Key of the termination message of the pod with this completion index ({@code
   * sim.mlscale.dev/message-2}); overrides {@link #MESSAGE} for that index.
   */
  public static String messageForIndex(int index) {
    return MESSAGE_INDEX_PREFIX + index;
  }

  /** The completion index of an Indexed Job's pod, or -1. */
  public static int completionIndex(Pod pod) {
    Map<String, String> annotations =
        pod == null || pod.getMetadata() == null ? null : pod.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(JOB_COMPLETION_INDEX);
    return value == null ? -1 : Integer.parseInt(value);
  }

  /** A container; KWOK never pulls or runs the image. */
  public static Container container(String name) {
    return new ContainerBuilder()
        .withName(name)
        .withImage("registry.invalid/mlscale/sim:latest")
        .build();
  }

  /** Toleration of the GPU nodes' {@code nvidia.com/gpu=present:NoSchedule} taint. */
  public static Toleration gpuToleration() {
    return new TolerationBuilder()
        .withKey(GPU)
        .withOperator("Exists")
        .withEffect("NoSchedule")
        .build();
  }

  public static Optional<PodCondition> condition(Pod pod, String type) {
    if (pod == null || pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  public static Optional<JobCondition> condition(Job job, String type) {
    if (job == null || job.getStatus() == null || job.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return job.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()) && "True".equals(c.getStatus()))
        .findFirst();
  }

  public static boolean hasPhase(Pod pod, String phase) {
    return pod != null && pod.getStatus() != null && phase.equals(pod.getStatus().getPhase());
  }

  /** The terminated state of the pod's first container, if it has terminated. */
  public static Optional<ContainerStateTerminated> terminated(Pod pod) {
    List<ContainerStatus> statuses =
        pod == null || pod.getStatus() == null ? null : pod.getStatus().getContainerStatuses();
    if (statuses == null || statuses.isEmpty() || statuses.get(0).getState() == null) {
      return Optional.empty();
    }
    return Optional.ofNullable(statuses.get(0).getState().getTerminated());
  }
}

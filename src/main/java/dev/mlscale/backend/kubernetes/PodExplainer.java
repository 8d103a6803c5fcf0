package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Reads what a pod's status means, in plain words. Pure. */
public final class PodExplainer {
  private static final Set<String> IMAGE_PROBLEMS =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

  private PodExplainer() {}

  /** A one-line description of where the pod is now; equal lines mean nothing new happened. */
  public static String describe(Pod pod) {
    String phase = pod.getStatus() == null ? "Pending" : pod.getStatus().getPhase();
    Optional<PodCondition> unschedulable =
        condition(pod, "PodScheduled")
            .filter(c -> "False".equals(c.getStatus()) && "Unschedulable".equals(c.getReason()));
    if (unschedulable.isPresent()) {
      return "Unschedulable: "
          + unschedulable.get().getMessage()
          + " (mlscale keeps waiting: a node may be added by the autoscaler; Ctrl-C to stop)";
    }
    for (ContainerStatus s : statuses(pod)) {
      if (s.getState() != null
          && s.getState().getWaiting() != null
          && IMAGE_PROBLEMS.contains(s.getState().getWaiting().getReason())) {
        return "cannot pull image "
            + s.getImage()
            + " ("
            + s.getState().getWaiting().getReason()
            + "): "
            + s.getState().getWaiting().getMessage()
            + "; check the image name and the registry credentials (imagePullSecrets)";
      }
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    Optional<String> setupFailed = imageCannotRunPython(pod).or(() -> setupFailure(pod));
    if (setupFailed.isPresent()) {
      return "Failed on node " + node + ": " + setupFailed.get();
    }
    if ("Pending".equals(phase) && settingUp(pod)) {
      return "Preparing: building the Python environment (setup) on node " + node;
    }
    return switch (phase == null ? "Pending" : phase) {
      case "Running" -> "Running on node " + node;
      case "Succeeded" -> "Succeeded on node " + node;
      case "Failed" ->
          "Failed on node " + node + terminated(pod).map(t -> ": " + reason(t)).orElse("");
      default -> node == null ? "Pending: waiting to be scheduled" : "Pending on node " + node;
    };
  }

  static Optional<ContainerStateTerminated> terminated(Pod pod) {
    return statuses(pod).stream()
        .filter(s -> "main".equals(s.getName()))
        .map(s -> s.getState() == null ? null : s.getState().getTerminated())
        .filter(t -> t != null)
        .findFirst();
  }

  static String reason(ContainerStateTerminated t) {
    return (t.getReason() == null ? "Error" : t.getReason())
        + " (exit code "
        + t.getExitCode()
        + ")";
  }

  static boolean disrupted(Pod pod) {
    return condition(pod, "DisruptionTarget").map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static Optional<PodCondition> condition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> type.equals(c.getType()))
        .findFirst();
  }

  private static List<ContainerStatus> statuses(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
      return List.of();
    }
    return pod.getStatus().getContainerStatuses();
  }

  private static List<ContainerStatus> initStatuses(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getInitContainerStatuses() == null) {
      return List.of();
    }
    return pod.getStatus().getInitContainerStatuses();
  }

  private static Optional<ContainerStatus> setupStatus(Pod pod) {
    return initStatuses(pod).stream().filter(s -> "setup-env".equals(s.getName())).findFirst();
  }

  /**
   * Why mlscale's own init containers could not run in the job's image, when that happened: they
   * need {@code python3} (to unpack the code, to build the setup). Names the image.
   */
  static Optional<String> imageCannotRunPython(Pod pod) {
    for (ContainerStatus s : initStatuses(pod)) {
      if (s.getState() == null || s.getState().getTerminated() == null) {
        continue;
      }
      ContainerStateTerminated t = s.getState().getTerminated();
      if (("StartError".equals(t.getReason()) || "ContainerCannotRun".equals(t.getReason()))
          && ("unpack-code".equals(s.getName()) || "setup-env".equals(s.getName()))) {
        return Optional.of(
            "the image "
                + s.getImage()
                + " cannot run Python ("
                + (t.getMessage() == null ? "no message" : t.getMessage().strip())
                + "); mlscale unpacks the job's code and builds its setup with the image's"
                + " python3: use an image with Python 3 and its venv module, e.g."
                + " python:3.11-slim");
      }
    }
    return Optional.empty();
  }

  /** Whether the pod is building the job's Python environment (its setup container runs). */
  static boolean settingUp(Pod pod) {
    return setupStatus(pod)
        .map(s -> s.getState() != null && s.getState().getRunning() != null)
        .orElse(false);
  }

  /**
   * Why the job's setup failed, when it did: the setup container's own one-line reason (pip's
   * message), or how it ended. A setup container that cannot even start (no such interpreter in the
   * image) is said in words that name the image.
   */
  static Optional<String> setupFailure(Pod pod) {
    Optional<ContainerStatus> s = setupStatus(pod);
    if (s.isEmpty() || s.get().getState() == null) {
      return Optional.empty();
    }
    ContainerStateTerminated t = s.get().getState().getTerminated();
    if (t == null || t.getExitCode() == null || t.getExitCode() == 0) {
      return Optional.empty();
    }
    String message = t.getMessage() == null ? "" : t.getMessage().strip();
    if ("StartError".equals(t.getReason()) || "ContainerCannotRun".equals(t.getReason())) {
      return Optional.of(
          "setup failed: the image "
              + s.get().getImage()
              + " cannot run the setup's Python ("
              + message
              + "); setup needs an image with Python and its venv module, e.g."
              + " python:3.11-slim, or set setup.python");
    }
    if (message.startsWith("setup failed:")) {
      return Optional.of(message.lines().reduce((a, b) -> b).orElse(message));
    }
    return Optional.of(
        "setup failed: the setup container ended with "
            + reason(t)
            + (message.isEmpty() ? "" : ": " + message.lines().reduce((a, b) -> b).orElse("")));
  }
}

package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** Reads what a pod's status means, in plain words. Pure. */
final class PodExplainer {
  private static final Set<String> IMAGE_PROBLEMS =
      Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");

  private PodExplainer() {}

  /** A one-line description of where the pod is now; equal lines mean nothing new happened. */
  static String describe(Pod pod) {
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
}

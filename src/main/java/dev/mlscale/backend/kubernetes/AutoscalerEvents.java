package dev.mlscale.backend.kubernetes;

import io.fabric8.kubernetes.api.model.Event;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the cluster autoscaler said about a pod, in plain words. Pure.
 *
 * <p>The autoscaler (k8s.io/autoscaler's cluster-autoscaler, now sigs.k8s.io/cluster-autoscaler)
 * records core/v1 Events with source {@code cluster-autoscaler} on the pods it looked at: {@code
 * TriggeredScaleUp} "pod triggered scale-up: [{GROUP CUR->NEW (max: MAX)} ...]"
 * (processors/status/eventing_scale_up_processor.go with nodegroupset.ScaleUpInfo's String), {@code
 * NotTriggerScaleUp} "pod didn't trigger scale-up: N reason, M reason" (or "max total nodes in
 * cluster reached"), and {@code ScaleDown} "deleting pod for node scale down" when it empties a
 * node.
 */
public final class AutoscalerEvents {
  /** The Events' source component, a field selector the API server supports for core Events. */
  public static final String SOURCE = "cluster-autoscaler";

  private static final Pattern GROUP =
      Pattern.compile("\\{(\\S+) (\\d+)->(\\d+) \\(max: (\\d+)\\)\\}");

  private AutoscalerEvents() {}

  /** The line for one of the autoscaler's Events, when it is one mlscale explains. */
  public static Optional<String> explain(Event e) {
    String reason = e.getReason() == null ? "" : e.getReason();
    String message = e.getMessage() == null ? "" : e.getMessage().strip();
    return switch (reason) {
      case "TriggeredScaleUp" -> Optional.of(scaleUp(message));
      case "NotTriggerScaleUp" ->
          Optional.of(
              "the cluster autoscaler will not add a node for it ("
                  + message.replaceFirst("^pod didn't trigger scale-up:\\s*", "")
                  + "): no node group has room for a node that fits; lower the job's resources,"
                  + " pick another node_pool, or raise the group's maximum size");
      case "ScaleDown" ->
          Optional.of(
              "the cluster autoscaler is removing its node (scale-down); the Job controller"
                  + " makes a new pod");
      default -> Optional.empty();
    };
  }

  private static String scaleUp(String message) {
    List<String> groups = new ArrayList<>();
    Matcher m = GROUP.matcher(message);
    while (m.find()) {
      int from = Integer.parseInt(m.group(2));
      int to = Integer.parseInt(m.group(3));
      groups.add(
          m.group(1)
              + " ("
              + from
              + " → "
              + to
              + (to - from == 1 ? " node" : " nodes")
              + ", at most "
              + m.group(4)
              + ")");
    }
    if (groups.isEmpty()) {
      return "the cluster autoscaler is adding nodes (" + message + ")";
    }
    return "the cluster autoscaler is adding a node to node group "
        + String.join(" and ", groups)
        + "; the pod starts when the node is ready";
  }

  /** The newest explained Event about pod {@code pod} among {@code events}. */
  public static Optional<String> latest(String pod, List<Event> events) {
    return events.stream()
        .filter(e -> SOURCE.equals(source(e)))
        .filter(e -> e.getInvolvedObject() != null)
        .filter(e -> "Pod".equals(e.getInvolvedObject().getKind()))
        .filter(e -> pod.equals(e.getInvolvedObject().getName()))
        .filter(e -> explain(e).isPresent())
        .max(Comparator.comparing(AutoscalerEvents::time))
        .flatMap(AutoscalerEvents::explain);
  }

  static String source(Event e) {
    if (e.getSource() != null && e.getSource().getComponent() != null) {
      return e.getSource().getComponent();
    }
    return e.getReportingComponent();
  }

  static Instant time(Event e) {
    for (String t :
        new String[] {
          e.getLastTimestamp(),
          e.getEventTime() == null ? null : e.getEventTime().getTime(),
          e.getFirstTimestamp(),
          e.getMetadata() == null ? null : e.getMetadata().getCreationTimestamp()
        }) {
      if (t != null && !t.isBlank()) {
        try {
          return Instant.parse(t);
        } catch (java.time.format.DateTimeParseException ignored) {
          // the next field
        }
      }
    }
    return Instant.EPOCH;
  }
}

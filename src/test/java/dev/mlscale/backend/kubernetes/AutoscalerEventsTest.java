package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The cluster autoscaler's Events, with the reasons and messages it writes (format strings from
 * sigs.k8s.io/cluster-autoscaler: processors/status/eventing_scale_up_processor.go and
 * nodegroupset.ScaleUpInfo.String), read in plain words.
 */
class AutoscalerEventsTest {
  private static Event event(String pod, String reason, String message, String at) {
    return new EventBuilder()
        .withNewMetadata()
        .withName(pod + "." + reason)
        .endMetadata()
        .withNewInvolvedObject()
        .withKind("Pod")
        .withName(pod)
        .endInvolvedObject()
        .withNewSource()
        .withComponent("cluster-autoscaler")
        .endSource()
        .withReason(reason)
        .withMessage(message)
        .withLastTimestamp(at)
        .build();
  }

  @Test
  void aScaleUpNamesTheGroupAndItsSizes() {
    assertThat(
            AutoscalerEvents.explain(
                event(
                    "p",
                    "TriggeredScaleUp",
                    "pod triggered scale-up: [{train-gpu 0->1 (max: 2)}]",
                    "2026-12-01T03:00:00Z")))
        .hasValue(
            "the cluster autoscaler is adding a node to node group train-gpu (0 → 1 node, at"
                + " most 2); the pod starts when the node is ready");
    assertThat(
            AutoscalerEvents.explain(
                event(
                    "p",
                    "TriggeredScaleUp",
                    "pod triggered scale-up: [{pool-a 1->3 (max: 5)} {pool-b 0->1 (max: 1)}]",
                    "2026-12-01T03:00:00Z")))
        .hasValue(
            "the cluster autoscaler is adding a node to node group pool-a (1 → 3 nodes, at most"
                + " 5) and pool-b (0 → 1 node, at most 1); the pod starts when the node is ready");
  }

  @Test
  void noScaleUpSaysWhyAndWhatToChange() {
    assertThat(
            AutoscalerEvents.explain(
                event(
                    "p",
                    "NotTriggerScaleUp",
                    "pod didn't trigger scale-up: 2 node(s) didn't match Pod's node"
                        + " affinity/selector, 1 max node group size reached",
                    "2026-12-01T03:00:00Z")))
        .get()
        .asString()
        .startsWith(
            "the cluster autoscaler will not add a node for it (2 node(s) didn't match Pod's"
                + " node affinity/selector, 1 max node group size reached)")
        .contains("node_pool");
  }

  @Test
  void theNewestEventAboutThePodWinsAndOtherPodsAndSourcesAreIgnored() {
    List<Event> events =
        List.of(
            event(
                "p",
                "NotTriggerScaleUp",
                "pod didn't trigger scale-up: 1 max node group size reached",
                "2026-12-01T03:00:00Z"),
            event(
                "p",
                "TriggeredScaleUp",
                "pod triggered scale-up: [{g 0->1 (max: 1)}]",
                "2026-12-01T03:01:00Z"),
            event(
                "other",
                "NotTriggerScaleUp",
                "pod didn't trigger scale-up: 1 max node group size reached",
                "2026-12-01T03:02:00Z"),
            new EventBuilder(
                    event(
                        "p", "FailedScheduling", "0/3 nodes are available", "2026-12-01T03:03:00Z"))
                .editSource()
                .withComponent("default-scheduler")
                .endSource()
                .build());
    assertThat(AutoscalerEvents.latest("p", events).orElseThrow())
        .startsWith("the cluster autoscaler is adding a node to node group g (0 → 1 node");
    assertThat(AutoscalerEvents.latest("nobody", events)).isEmpty();
  }
}

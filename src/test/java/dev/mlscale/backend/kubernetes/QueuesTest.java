package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Where a queued Job stands, from Kueue's objects as the API server returns them. */
class QueuesTest {
  private static final GenericKubernetesResource CQ =
      parse(
          """
          apiVersion: kueue.x-k8s.io/v1beta2
          kind: ClusterQueue
          metadata: {name: team}
          spec:
            resourceGroups:
            - coveredResources: [cpu, memory]
              flavors:
              - name: a
                resources: [{name: cpu, nominalQuota: 6}, {name: memory, nominalQuota: 1Ti}]
              - name: b
                resources: [{name: cpu, nominalQuota: 4000m}]
          status:
            flavorsReservation:
            - name: a
              resources: [{name: cpu, total: 6}, {name: memory, total: 3Gi}]
            - name: b
              resources: [{name: cpu, total: 2500m}]
          """);

  private static GenericKubernetesResource parse(String yaml) {
    return Serialization.unmarshal(yaml, GenericKubernetesResource.class);
  }

  private static GenericKubernetesResource workload(
      String name, String uid, int priority, String created, boolean admitted) {
    return parse(
        """
        apiVersion: kueue.x-k8s.io/v1beta2
        kind: Workload
        metadata:
          name: %s
          creationTimestamp: "%s"
          labels: {kueue.x-k8s.io/job-uid: %s}
        spec: {queueName: q, priority: %d}
        status:
          conditions: [{type: QuotaReserved, status: "%s"}]
          %s
        """
            .formatted(
                name,
                created,
                uid,
                priority,
                admitted ? "True" : "False",
                admitted ? "admission: {clusterQueue: team}" : ""));
  }

  @Test
  void aQueuedJobIsToldItsPositionAndTheQuotaInUse() {
    List<GenericKubernetesResource> wls =
        List.of(
            workload("running", "u0", 0, "2026-01-01T00:00:00Z", true),
            workload("old-low", "u1", 0, "2026-01-01T00:00:01Z", false),
            workload("new-high", "u2", 100, "2026-01-01T00:00:05Z", false),
            workload("mine", "u3", 0, "2026-01-01T00:00:03Z", false));
    var s = Queues.standing("u3", wls, lq -> "team", cq -> CQ).orElseThrow();
    // behind the higher priority (newer) one and the older one of equal priority
    assertThat(s.describe())
        .isEqualTo("queued in q (position 3; ClusterQueue team has used 8.5 of 10 CPUs)");
    assertThat(Queues.standing("u2", wls, lq -> "team", cq -> CQ).orElseThrow().position())
        .isEqualTo(1);
    assertThat(Queues.standing("u0", wls, lq -> "team", cq -> CQ).orElseThrow().describe())
        .isEqualTo("admitted by ClusterQueue team (queue q)");
  }

  @Test
  void withoutItsClusterQueueTheLineSaysLessAndAJobWithoutAWorkloadHasNone() {
    var wls = List.of(workload("mine", "u3", 0, "2026-01-01T00:00:03Z", false));
    assertThat(Queues.standing("u3", wls, lq -> null, cq -> null).orElseThrow().describe())
        .isEqualTo("queued in q (position 1)");
    assertThat(Queues.standing("other", wls, lq -> null, cq -> null)).isEmpty();
  }
}

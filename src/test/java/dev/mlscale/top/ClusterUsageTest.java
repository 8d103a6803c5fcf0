package dev.mlscale.top;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.ContainerMetricsBuilder;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetrics;
import io.fabric8.kubernetes.api.model.metrics.v1beta1.PodMetricsBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How a pod and its metrics become one line of top: the run, its row or task, the sums. */
class ClusterUsageTest {
  static Pod pod(Map<String, String> labels, Map<String, String> annotations) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("p-0")
        .withLabels(labels)
        .withAnnotations(annotations)
        .endMetadata()
        .withNewSpec()
        .withNodeName("real-0")
        .withContainers(
            new ContainerBuilder()
                .withName("main")
                .withNewResources()
                .addToRequests("cpu", new Quantity("250m"))
                .addToRequests("memory", new Quantity("64Mi"))
                .addToLimits("memory", new Quantity("128Mi"))
                .endResources()
                .build(),
            new ContainerBuilder()
                .withName("wait")
                .withNewResources()
                .addToRequests("cpu", new Quantity("10m"))
                .endResources()
                .build())
        .endSpec()
        .build();
  }

  static PodMetrics metrics() {
    return new PodMetricsBuilder()
        .withNewMetadata()
        .withName("p-0")
        .endMetadata()
        .withContainers(
            new ContainerMetricsBuilder()
                .withName("main")
                .withUsage(
                    Map.of("cpu", new Quantity("150000000n"), "memory", new Quantity("50Mi")))
                .build(),
            new ContainerMetricsBuilder()
                .withName("wait")
                .withUsage(Map.of("cpu", new Quantity("1m"), "memory", new Quantity("2Mi")))
                .build())
        .build();
  }

  @Test
  void aRowOfAnIndexedJobSumsItsContainers() {
    Usage u =
        ClusterUsage.usage(
            pod(
                Map.of("mlscale.dev/run", "multi-abcde"),
                Map.of("batch.kubernetes.io/job-completion-index", "3")),
            metrics());
    assertThat(u)
        .isEqualTo(
            new Usage(
                "multi-abcde",
                "r3",
                "p-0",
                "real-0",
                151L,
                260L,
                null,
                52L << 20,
                64L << 20,
                128L << 20));
  }

  @Test
  void anArgoTaskIsNamedByItsNodeAndAPodWithoutMetricsYetHasNoUsage() {
    Usage u =
        ClusterUsage.usage(
            pod(
                Map.of("workflows.argoproj.io/workflow", "diamond-k2x9a"),
                Map.of("workflows.argoproj.io/node-name", "diamond-k2x9a.b")),
            null);
    assertThat(u.run()).isEqualTo("diamond-k2x9a");
    assertThat(u.row()).isEqualTo("b");
    assertThat(u.cpu()).isNull();
    assertThat(u.memory()).isNull();
  }
}

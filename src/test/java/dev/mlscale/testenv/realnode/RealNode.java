package dev.mlscale.testenv.realnode;

import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.infra.Scripts;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test cluster's real node (testenv/realnode): a kubelet with containerd and runc that runs
 * real containers. Started once per JVM by {@code testenv/realnode/up.sh} (idempotent); tests put
 * their pods there with {@link #PLACE}, spec overrides that select the node's pool and tolerate its
 * taint, so the spec files themselves stay as a user wrote them.
 */
public final class RealNode {
  public static final String NAME = "real-0";

  /** The address of this machine on the pods' bridge (the API server, test servers). */
  public static final String HOST = "10.244.0.1";

  /** The AWS CLI's image on the real node (testenv/realnode/env.sh: built from PyPI's awscli). */
  public static final String AWS_CLI_IMAGE = "mlscale.test/aws-cli:1.46.3";

  /** {@code --set} overrides that put a job on the real node. */
  public static final List<String> PLACE =
      List.of(
          "--set",
          "kubernetes.node_pool=real",
          "--set",
          "kubernetes.tolerations=[{key: mlscale.dev/real-node, operator: Exists}]");

  private static boolean up;

  private RealNode() {}

  /** Starts the real node unless it runs (builds its parts on first use: minutes). */
  public static synchronized void ensureUp() {
    TestCluster.get();
    if (!up) {
      Scripts.run("realnode/up.sh", "realnode-up.log", Duration.ofMinutes(60));
      up = true;
    }
  }

  /** An RWX claim bound to one of the test cluster's volumes (hostPath: real on this node). */
  public static void createClaim(KubernetesClient client, String name) {
    client
        .persistentVolumeClaims()
        .resource(
            new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteMany")
                .withStorageClassName("nfs-storage")
                .withNewResources()
                .addToRequests("storage", new Quantity("10Gi"))
                .endResources()
                .endSpec()
                .build())
        .create();
    client
        .persistentVolumeClaims()
        .withName(name)
        .waitUntilCondition(
            c -> c != null && c.getStatus() != null && "Bound".equals(c.getStatus().getPhase()),
            60,
            TimeUnit.SECONDS);
    // The test volumes are recycled between tests (a KWOK stage makes released ones Available):
    // a new claim starts empty, as a freshly provisioned NFS volume would.
    java.nio.file.Path dir = hostPath(client, name);
    try {
      if (java.nio.file.Files.exists(dir)) {
        try (var walk = java.nio.file.Files.walk(dir)) {
          walk.sorted(java.util.Comparator.reverseOrder())
              .filter(p -> !p.equals(dir))
              .forEach(p -> p.toFile().delete());
        }
      }
      java.nio.file.Files.createDirectories(dir);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The directory on this machine behind a bound claim (the test volumes are hostPath). */
  public static java.nio.file.Path hostPath(KubernetesClient client, String claim) {
    String pv = client.persistentVolumeClaims().withName(claim).get().getSpec().getVolumeName();
    return java.nio.file.Path.of(
        client.persistentVolumes().withName(pv).get().getSpec().getHostPath().getPath());
  }

  /**
   * What Argo's executor needs in a namespace, as {@code cluster init} grants it: its
   * WorkflowTaskResults, and the Jobs of distributed tasks (Argo's executor role).
   */
  public static void executorRole(KubernetesClient client) {
    for (var o :
        dev.mlscale.cluster.InitRenderer.executorAccess(
            client.getNamespace(), java.util.Map.of())) {
      client.resource(o).create();
    }
  }
}

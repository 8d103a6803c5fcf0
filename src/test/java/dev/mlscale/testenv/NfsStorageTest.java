package dev.mlscale.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

@ClusterTest
class NfsStorageTest {

  @Test
  void modelStorageClaimBindsAndPodMountingItRuns(KubernetesClient client, TestCluster cluster) {
    PersistentVolumeClaim claim =
        new PersistentVolumeClaimBuilder()
            .withNewMetadata()
            .withName("model-storage")
            .endMetadata()
            .withNewSpec()
            .withStorageClassName("nfs-storage")
            .withAccessModes("ReadWriteMany")
            .withNewResources()
            .addToRequests("storage", new Quantity("10Gi"))
            .endResources()
            .endSpec()
            .build();
    client.persistentVolumeClaims().resource(claim).create();

    PersistentVolumeClaim bound =
        client
            .persistentVolumeClaims()
            .withName("model-storage")
            .waitUntilCondition(
                c -> c.getStatus() != null && "Bound".equals(c.getStatus().getPhase()),
                60,
                TimeUnit.SECONDS);
    PersistentVolume volume =
        cluster.client().persistentVolumes().withName(bound.getSpec().getVolumeName()).get();
    assertThat(volume.getSpec().getStorageClassName()).isEqualTo("nfs-storage");
    assertThat(volume.getSpec().getAccessModes()).contains("ReadWriteMany");

    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("trainer")
            .addToAnnotations(Sim.HOLD, "true")
            .endMetadata()
            .withNewSpec()
            .addNewContainerLike(Sim.container("train"))
            .addNewVolumeMount()
            .withName("models")
            .withMountPath("/models")
            .endVolumeMount()
            .endContainer()
            .addNewVolume()
            .withName("models")
            .withNewPersistentVolumeClaim("model-storage", false)
            .endVolume()
            .endSpec()
            .build();
    client.pods().resource(pod).create();

    Pod running =
        client
            .pods()
            .withName("trainer")
            .waitUntilCondition(p -> Sim.hasPhase(p, "Running"), 60, TimeUnit.SECONDS);
    assertThat(running.getSpec().getNodeName()).isNotBlank();
  }
}

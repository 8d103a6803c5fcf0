package dev.mlscale.cluster;

import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;

/** Whether a StorageClass gives ReadWriteMany volumes, and whether a claim is bound as needed. */
final class StorageClasses {
  private StorageClasses() {}

  /** Provisioners whose volumes are shared file systems (ReadWriteMany). */
  static final List<String> RWX =
      List.of(
          "nfs",
          "cephfs",
          "efs.csi.aws.com",
          "file.csi.azure.com",
          "kubernetes.io/azure-file",
          "filestore.csi.storage.gke.io",
          "glusterfs",
          "juicefs",
          "seaweedfs",
          "driver.longhorn.io",
          "smb.csi.k8s.io");

  /** Provisioners that only give a volume to one node at a time (ReadWriteOnce). */
  static final List<String> RWO =
      List.of(
          "rancher.io/local-path",
          "ebs.csi.aws.com",
          "kubernetes.io/aws-ebs",
          "pd.csi.storage.gke.io",
          "kubernetes.io/gce-pd",
          "disk.csi.azure.com",
          "kubernetes.io/azure-disk",
          "k8s.io/minikube-hostpath",
          "hostpath.csi.k8s.io",
          "topolvm.io",
          "rbd.csi.ceph.com",
          "openebs.io/local");

  static final String NO_PROVISIONER = "kubernetes.io/no-provisioner";

  static Check rwx(KubernetesClient client, StorageClass sc, String item) {
    String p = sc.getProvisioner();
    String name = sc.getMetadata().getName();
    if (NO_PROVISIONER.equals(p)) {
      try {
        List<PersistentVolume> rwx =
            client.persistentVolumes().list().getItems().stream()
                .filter(pv -> name.equals(pv.getSpec().getStorageClassName()))
                .filter(pv -> pv.getSpec().getAccessModes().contains("ReadWriteMany"))
                .toList();
        long available =
            rwx.stream()
                .filter(
                    pv -> pv.getStatus() != null && "Available".equals(pv.getStatus().getPhase()))
                .count();
        if (rwx.isEmpty()) {
          return new Check(
              "storage",
              item,
              CheckStatus.WRONG,
              "static class (no provisioner) without ReadWriteMany PersistentVolumes",
              "create ReadWriteMany PersistentVolumes (NFS) with storageClassName " + name,
              true);
        }
        return Check.ok(
            "storage",
            item,
            "static: " + rwx.size() + " ReadWriteMany volume(s), " + available + " available",
            true);
      } catch (KubernetesClientException e) {
        return Check.ok(
            "storage", item, "static class (its volumes cannot be listed with these rights)", true);
      }
    }
    if (RWX.stream().anyMatch(p::contains)) {
      return Check.ok("storage", item, p + " (ReadWriteMany)", true);
    }
    if (RWO.stream().anyMatch(p::contains)) {
      return new Check(
          "storage",
          item,
          CheckStatus.WRONG,
          p + " gives ReadWriteOnce volumes only: pods on several nodes cannot share them",
          "install an NFS (or CephFS) provisioner and pass its class with --storage-class",
          true);
    }
    return Check.ok(
        "storage", item, p + " (not known to mlscale: make sure it serves ReadWriteMany)", true);
  }

  static Check claim(PersistentVolumeClaim c, String item, String ns) {
    String phase = c.getStatus() == null ? "Pending" : c.getStatus().getPhase();
    String name = c.getMetadata().getName();
    if (!"Bound".equals(phase)) {
      return new Check(
          "storage",
          item,
          CheckStatus.WRONG,
          phase + ": no volume for it yet",
          "kubectl describe pvc " + name + " -n " + ns + " (its events say why)",
          true);
    }
    List<String> modes =
        c.getStatus().getAccessModes() == null ? List.of() : c.getStatus().getAccessModes();
    String size =
        c.getStatus().getCapacity() == null || c.getStatus().getCapacity().get("storage") == null
            ? "?"
            : c.getStatus().getCapacity().get("storage").toString();
    if (!modes.contains("ReadWriteMany")) {
      return new Check(
          "storage",
          item,
          CheckStatus.WRONG,
          "bound, but not ReadWriteMany ("
              + String.join(", ", modes)
              + "): pods on other nodes cannot mount it",
          "kubectl delete pvc " + name + " -n " + ns + " && mlscale cluster init -n " + ns,
          true);
    }
    return Check.ok(
        "storage",
        item,
        "Bound to " + c.getSpec().getVolumeName() + ", " + size + ", ReadWriteMany",
        true);
  }
}

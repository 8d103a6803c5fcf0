package dev.mlscale.cluster;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code mlscale cluster init}: applies {@link InitRenderer}'s objects with server-side apply
 * (field manager {@code mlscale}), so running it again changes nothing, and a later run with more
 * users adds them. An existing claim is kept as it is (a claim's spec cannot change).
 */
public final class ClusterInitializer {
  public static final String FIELD_MANAGER = "mlscale";

  /** What happened to one object: created, updated, unchanged or kept. */
  public record Applied(String kind, String name, String result) {}

  private final ClusterConnection cluster;

  public ClusterInitializer(ClusterConnection cluster) {
    this.cluster = cluster;
  }

  public List<Applied> apply(List<HasMetadata> objects) {
    KubernetesClient client = cluster.client();
    List<Applied> out = new ArrayList<>();
    for (HasMetadata o : objects) {
      String kind = o.getKind();
      String name = o.getMetadata().getName();
      try {
        HasMetadata before = client.resource(o).get();
        if (before instanceof PersistentVolumeClaim c) {
          out.add(new Applied(kind, name, "kept (" + describe(c) + ")"));
          continue;
        }
        HasMetadata after =
            client.resource(o).fieldManager(FIELD_MANAGER).forceConflicts().serverSideApply();
        String result =
            before == null
                ? "created"
                : before
                        .getMetadata()
                        .getResourceVersion()
                        .equals(after.getMetadata().getResourceVersion())
                    ? "unchanged"
                    : "updated";
        out.add(new Applied(kind, name, result));
      } catch (KubernetesClientException e) {
        throw cluster.explain(e, "apply " + kind + " " + name);
      }
    }
    return out;
  }

  private static String describe(PersistentVolumeClaim c) {
    String phase = c.getStatus() == null ? "Pending" : c.getStatus().getPhase();
    return "exists: "
        + phase
        + ", class "
        + c.getSpec().getStorageClassName()
        + ", "
        + String.join(",", c.getSpec().getAccessModes());
  }
}

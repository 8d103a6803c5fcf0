package dev.mlscale.cluster;

import java.time.Duration;
import java.util.Objects;

/**
 * What {@code cluster check} looks for beyond mlscale's fixed needs.
 *
 * @param storageClass the RWX class mlscale's claims use ({@code cluster init --storage-class})
 * @param claim the model-storage claim ({@code kubernetes.model_storage})
 * @param argoTimeout how long Argo's controller may take to pick up the probe Workflow
 * @param queueUsed true when a spec uses a Kueue queue: Kueue becomes required
 */
public record CheckOptions(
    String storageClass, String claim, Duration argoTimeout, boolean queueUsed) {
  public static final String DEFAULT_STORAGE_CLASS = "nfs-storage";
  public static final String DEFAULT_CLAIM = "model-storage";

  public CheckOptions {
    Objects.requireNonNull(storageClass, "storageClass");
    Objects.requireNonNull(claim, "claim");
    Objects.requireNonNull(argoTimeout, "argoTimeout");
  }

  public static CheckOptions defaults() {
    return new CheckOptions(DEFAULT_STORAGE_CLASS, DEFAULT_CLAIM, Duration.ofSeconds(20), false);
  }
}

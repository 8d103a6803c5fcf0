package dev.mlscale.cli;

import dev.mlscale.cluster.CheckOptions;
import picocli.CommandLine.Option;

/** The model-storage claim and its RWX class, shared by cluster check and cluster init. */
final class ClaimOptions {
  @Option(
      names = "--storage-class",
      defaultValue = CheckOptions.DEFAULT_STORAGE_CLASS,
      description = "The RWX StorageClass of mlscale's claim. Default: ${DEFAULT-VALUE}.")
  String storageClass = CheckOptions.DEFAULT_STORAGE_CLASS;

  @Option(
      names = "--claim",
      defaultValue = CheckOptions.DEFAULT_CLAIM,
      description =
          "The model-storage claim (kubernetes.model_storage). Default: ${DEFAULT-VALUE}.")
  String claim = CheckOptions.DEFAULT_CLAIM;
}

package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import picocli.CommandLine.Option;

/** kubectl's connection flags, shared by the commands that talk to a cluster. */
final class ClusterOptions {
  @Option(
      names = "--kubeconfig",
      description = "The kubeconfig file. Default: $KUBECONFIG, else" + " ~/.kube/config.")
  String kubeconfig;

  @Option(names = "--context", description = "The kubeconfig context. Default: its current one.")
  String context;

  @Option(
      names = {"-n", "--namespace"},
      description = "The namespace. Default: the context's namespace, else 'default'.")
  String namespace;

  ClusterConnection connect(Context ctx) {
    return ClusterConnection.open(ctx.env(), kubeconfig, context, namespace);
  }
}

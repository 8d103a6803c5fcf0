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

  @Option(
      names = "--target",
      defaultValue = "local",
      description =
          "local (the runs of this machine) or k8s (the runs on the cluster of the"
              + " kubeconfig context). Default: ${DEFAULT-VALUE}.")
  String target = "local";

  boolean onCluster() {
    return switch (target) {
      case "local" -> false;
      case "k8s", "kubernetes" -> true;
      default ->
          throw new dev.mlscale.error.UserError(
              "--target '" + target + "' is not a backend; use local or k8s");
    };
  }

  ClusterConnection connect(Context ctx) {
    return ClusterConnection.open(ctx.env(), kubeconfig, context, namespace);
  }

  /** As above, in the namespace the jobs name (kubernetes.namespace) unless -n names one. */
  ClusterConnection connect(Context ctx, java.util.List<dev.mlscale.spec.JobSpec> jobs) {
    String ns = dev.mlscale.spec.FieldSupport.namespace(namespace, jobs);
    return ClusterConnection.open(ctx.env(), kubeconfig, context, ns);
  }

  /** The namespace rendered objects name: -n, else the jobs' kubernetes.namespace, else default. */
  String renderNamespace(java.util.List<dev.mlscale.spec.JobSpec> jobs) {
    String ns = dev.mlscale.spec.FieldSupport.namespace(namespace, jobs);
    return ns == null ? "default" : ns;
  }

  /** The target for {@link dev.mlscale.spec.FieldSupport}: local or Kubernetes. */
  dev.mlscale.spec.FieldSupport.Target target() {
    return onCluster()
        ? dev.mlscale.spec.FieldSupport.Target.KUBERNETES
        : dev.mlscale.spec.FieldSupport.Target.LOCAL;
  }

  /** The backend the runs of {@code jobs} run on: this machine, or the cluster (its namespace). */
  dev.mlscale.backend.Backend backend(Context ctx, java.util.List<dev.mlscale.spec.JobSpec> jobs) {
    if (!onCluster()) {
      return ctx.localBackend();
    }
    return new dev.mlscale.backend.kubernetes.KubernetesBackend(
            connect(ctx, jobs), ctx.runs(), ctx.clock())
        .registeringModels(ctx.models());
  }

  /** What the running runs use now: from the metrics API on the cluster, from /proc here. */
  java.util.List<dev.mlscale.top.Usage> usage(Context ctx) throws InterruptedException {
    if (!onCluster()) {
      return new dev.mlscale.top.LocalUsage(ctx.runs(), java.time.Duration.ofSeconds(1)).sample();
    }
    try (var connection = new AutoClose(connect(ctx))) {
      return new dev.mlscale.top.ClusterUsage(connection.get()).sample();
    }
  }

  /** Where the commands look, in words for a message: "" here, " in namespace NS" there. */
  String where() {
    return onCluster() && namespace != null ? " in namespace " + namespace : "";
  }
}

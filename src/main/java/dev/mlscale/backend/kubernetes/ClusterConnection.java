package dev.mlscale.backend.kubernetes;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.UserError;
import dev.mlscale.plan.PipSources;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.ConnectException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Connects to a cluster the way kubectl does: {@code --kubeconfig} or {@code $KUBECONFIG} or {@code
 * ~/.kube/config}, {@code --context}, {@code -n}. Errors name the context and the fix.
 */
public record ClusterConnection(
    KubernetesClient client, String namespace, String context, PipSources pip) {

  public ClusterConnection(KubernetesClient client, String namespace, String context) {
    this(client, namespace, context, PipSources.NONE);
  }

  public static ClusterConnection open(
      Map<String, String> env, String kubeconfig, String context, String namespace) {
    Path file =
        kubeconfig != null
            ? Path.of(kubeconfig)
            : env.containsKey("KUBECONFIG")
                ? Path.of(env.get("KUBECONFIG").split(":")[0])
                : Path.of(System.getProperty("user.home"), ".kube", "config");
    if (!Files.isReadable(file)) {
      throw new UserError(
          "no kubeconfig at "
              + file
              + "; point --kubeconfig or KUBECONFIG at your cluster's kubeconfig");
    }
    Config config;
    try {
      config = Config.fromKubeconfig(context, Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UserError("cannot read the kubeconfig " + file + ": " + e.getMessage());
    } catch (KubernetesClientException | IllegalArgumentException e) {
      throw new UserError(
          "kubeconfig "
              + file
              + (context == null ? "" : " has no usable context '" + context + "'")
              + ": "
              + e.getMessage()
              + "; list contexts with: kubectl config get-contexts");
    }
    if (context != null
        && (config.getCurrentContext() == null
            || !context.equals(config.getCurrentContext().getName()))) {
      throw new UserError(
          "context '"
              + context
              + "' is not in the kubeconfig "
              + file
              + "; list contexts with: kubectl config get-contexts");
    }
    // Deliberate limits: enough parallel requests for many jobs, no unbounded bursts.
    config.setMaxConcurrentRequests(64);
    config.setMaxConcurrentRequestsPerHost(32);
    config.setRequestRetryBackoffLimit(3);
    String ns =
        namespace != null
            ? namespace
            : config.getNamespace() != null ? config.getNamespace() : "default";
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    String ctxName =
        config.getCurrentContext() == null ? "(none)" : config.getCurrentContext().getName();
    return new ClusterConnection(client, ns, ctxName, PipSources.fromUser(env));
  }

  /** Turns a client failure into an error that says what to do. */
  /** The Jobs of this connection's namespace. */
  public io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          io.fabric8.kubernetes.api.model.batch.v1.Job,
          io.fabric8.kubernetes.api.model.batch.v1.JobList,
          io.fabric8.kubernetes.client.dsl.ScalableResource<
              io.fabric8.kubernetes.api.model.batch.v1.Job>>
      jobs() {
    return client.batch().v1().jobs().inNamespace(namespace);
  }

  public RuntimeException explain(KubernetesClientException e, String doing) {
    if (e.getCode() == 403) {
      return new UserError(
          "not allowed to "
              + doing
              + " in namespace "
              + namespace
              + " (context "
              + context
              + "): "
              + e.getStatus().getMessage()
              + "; ask for an RBAC role that allows it");
    }
    if (e.getCode() == 401) {
      return new EnvironmentError(
          "the API server of context " + context + " rejected the credentials; log in again");
    }
    if (e.getCode() == 0 || causedBy(e, ConnectException.class)) {
      return new EnvironmentError(
          "cannot reach the API server "
              + client.getMasterUrl()
              + " of context "
              + context
              + " while trying to "
              + doing
              + "; is the cluster running? (kubectl --context "
              + context
              + " get ns)",
          e);
    }
    return new EnvironmentError(
        "the API server refused to " + doing + " in namespace " + namespace + ": " + e.getMessage(),
        e);
  }

  private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}

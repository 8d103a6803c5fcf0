package dev.mlscale.cluster;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The workshop's add-ons: Argo Workflows, metrics-server, Kueue, the cluster autoscaler. */
record AddOns(KubernetesClient client, String ns, CheckOptions options) {
  /** Argo's CRDs (discovery), and a controller that picks up a Workflow in this namespace. */
  List<Check> argo(boolean namespaceExists) {
    Optional<List<String>> served;
    try {
      served = ClusterChecker.served(client, "argoproj.io/v1alpha1");
    } catch (KubernetesClientException e) {
      return List.of(ClusterChecker.unknown("argo", "Argo CRDs", e, true));
    }
    List<String> missing =
        List.of("workflows", "workflowtaskresults", "workflowtemplates").stream()
            .filter(r -> served.map(s -> !s.contains(r)).orElse(true))
            .toList();
    if (!missing.isEmpty()) {
      return List.of(
          new Check(
              "argo",
              "Argo CRDs",
              CheckStatus.MISSING,
              "not served: " + String.join(", ", missing) + " (argoproj.io/v1alpha1)",
              ClusterChecker.ARGO_INSTALL,
              true),
          new Check(
              "argo",
              "Argo controller",
              CheckStatus.MISSING,
              "no Argo CRDs, so no controller",
              ClusterChecker.ARGO_INSTALL,
              true));
    }
    Check crds =
        Check.ok("argo", "Argo CRDs", "workflows, workflowtaskresults, workflowtemplates", true);
    if (!namespaceExists) {
      return List.of(
          crds,
          new Check(
              "argo",
              "Argo controller",
              CheckStatus.UNKNOWN,
              "not probed: the namespace does not exist",
              "kubectl create namespace " + ns,
              true));
    }
    return List.of(crds, argoController());
  }

  /**
   * Creates a Workflow whose entrypoint names no template (the controller refuses it at once, no
   * pod is made), waits for the controller to give it a phase, and deletes it.
   */
  private Check argoController() {
    String item = "Argo controller";
    var workflows = client.genericKubernetesResources(ClusterChecker.WORKFLOWS).inNamespace(ns);
    GenericKubernetesResource probe;
    try {
      probe = workflows.resource(ClusterChecker.probeWorkflow(ns)).create();
    } catch (KubernetesClientException e) {
      return ClusterChecker.unknown("argo", item, e, true);
    }
    long t0 = System.nanoTime();
    try {
      Optional<GenericKubernetesResource> seen =
          ClusterChecker.awaitPhase(client, probe, options.argoTimeout());
      if (seen.isEmpty()) {
        return new Check(
            "argo",
            item,
            CheckStatus.MISSING,
            "no controller picked up a probe Workflow in "
                + ns
                + " within "
                + options.argoTimeout().toSeconds()
                + "s: pipelines would wait forever",
            "start Argo's controller (kubectl -n argo rollout restart deployment"
                + " workflow-controller; its logs: kubectl -n argo logs deploy/workflow-controller),"
                + " or install it: "
                + ClusterChecker.ARGO_INSTALL,
            true);
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      return Check.ok(
          "argo",
          item,
          "picked up a probe Workflow in " + ns + " in " + ms + " ms (" + phase(seen.get()) + ")",
          true);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Check("argo", item, CheckStatus.UNKNOWN, "interrupted", "", true);
    } catch (KubernetesClientException e) {
      return ClusterChecker.unknown("argo", item, e, true);
    } finally {
      try {
        workflows.withName(probe.getMetadata().getName()).delete();
      } catch (KubernetesClientException e) {
        // the probe is labelled mlscale.dev/check=argo; a later check does not need it gone
      }
    }
  }

  @SuppressWarnings("unchecked")
  static String phase(GenericKubernetesResource wf) {
    Object status = wf.getAdditionalProperties().get("status");
    if (status instanceof Map<?, ?> m && m.get("phase") instanceof String p && !p.isEmpty()) {
      return p;
    }
    return null;
  }

  Check metricsServer() {
    String item = "metrics API";
    String install =
        "kubectl apply -f https://github.com/kubernetes-sigs/metrics-server/releases/download/v0.9.0/components.yaml";
    try {
      if (ClusterChecker.served(client, "metrics.k8s.io/v1beta1").isEmpty()) {
        return new Check(
            "metrics",
            item,
            CheckStatus.MISSING,
            "metrics.k8s.io is not served: mlscale top cannot show usage",
            install,
            false);
      }
      int pods = client.top().pods().metrics(ns).getItems().size();
      int nodes = client.top().nodes().metrics().getItems().size();
      return Check.ok(
          "metrics", item, "usage of " + nodes + " node(s), " + pods + " pod(s) in " + ns, false);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403) {
        return ClusterChecker.unknown("metrics", item, e, false);
      }
      return new Check(
          "metrics",
          item,
          CheckStatus.WRONG,
          "registered but not answering: " + ClusterChecker.rootMessage(e),
          "kubectl get apiservice v1beta1.metrics.k8s.io; kubectl -n kube-system logs"
              + " deploy/metrics-server",
          false);
    }
  }

  Check kueue() {
    String item = "Kueue";
    boolean required = options.queueUsed();
    String install =
        "kubectl apply --server-side -f"
            + " https://github.com/kubernetes-sigs/kueue/releases/download/v0.17.0/manifests.yaml";
    try {
      String version = "kueue.x-k8s.io/v1beta2";
      Optional<List<String>> served = ClusterChecker.served(client, version);
      if (served.isEmpty()) {
        version = "kueue.x-k8s.io/v1beta1";
        served = ClusterChecker.served(client, version);
      }
      if (served.isEmpty() || !served.get().contains("localqueues")) {
        return new Check(
            "kueue",
            item,
            CheckStatus.MISSING,
            "not installed"
                + (required ? ": kubernetes.queue needs it" : " (optional: for kubernetes.queue)"),
            install,
            required);
      }
      int queues =
          client
              .genericKubernetesResources(version, "LocalQueue")
              .inNamespace(ns)
              .list()
              .getItems()
              .size();
      return Check.ok(
          "kueue", item, version + " served; " + queues + " LocalQueue(s) in " + ns, required);
    } catch (KubernetesClientException e) {
      return ClusterChecker.unknown("kueue", item, e, required);
    }
  }

  /** The cluster-autoscaler writes its state to kube-system/cluster-autoscaler-status. */
  Check autoscaler() {
    String item = "cluster autoscaler";
    try {
      ConfigMap status =
          client
              .configMaps()
              .inNamespace("kube-system")
              .withName("cluster-autoscaler-status")
              .get();
      if (status != null && status.getData() != null) {
        String text = String.join("\n", status.getData().values());
        String health =
            text.lines()
                .map(String::strip)
                .filter(l -> l.startsWith("Health:") || l.startsWith("health:"))
                .findFirst()
                .orElse("running");
        return Check.ok("autoscaler", item, "cluster-autoscaler-status: " + health, false);
      }
      return new Check(
          "autoscaler",
          item,
          CheckStatus.MISSING,
          "none found (kube-system/cluster-autoscaler-status): pods that fit no node wait for one"
              + " (optional)",
          "helm install cluster-autoscaler autoscaler/cluster-autoscaler -n kube-system (node"
              + " groups per pool, the GPU pool from 0)",
          false);
    } catch (KubernetesClientException e) {
      return ClusterChecker.unknown("autoscaler", item, e, false);
    }
  }
}

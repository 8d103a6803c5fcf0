package dev.mlscale.cluster;

import java.util.List;

/**
 * One kind of request mlscale makes to the API server, found by reading backend/kubernetes,
 * pipeline/ (Argo) and sweep/ClusterTrials. The one list behind both {@code cluster check} (a
 * SelfSubjectAccessReview per verb) and {@code cluster init} (the Role and ClusterRole it creates).
 *
 * @param group the API group ("" for the core group)
 * @param resource the resource, plural
 * @param subresource e.g. {@code log}, or "" for none
 * @param verbs the verbs mlscale uses on it
 * @param namespaced false for cluster-scoped resources (namespaces, nodes)
 * @param required false when mlscale works without it (it only says less)
 * @param why what mlscale does with it, in the user's words
 */
public record Access(
    String group,
    String resource,
    String subresource,
    List<String> verbs,
    boolean namespaced,
    boolean required,
    String why) {

  public Access {
    verbs = List.copyOf(verbs);
    if (verbs.isEmpty()) {
      throw new IllegalArgumentException("an access needs at least one verb");
    }
  }

  /** The resource as RBAC writes it: {@code pods/log}. */
  public String rbacResource() {
    return subresource.isEmpty() ? resource : resource + "/" + subresource;
  }

  /** As kubectl names it: {@code jobs.batch}, {@code pods/log}. */
  public String display() {
    return rbacResource() + (group.isEmpty() ? "" : "." + group);
  }

  /** Everything mlscale asks of the API server, the namespaced ones first. */
  public static final List<Access> MLSCALE =
      List.of(
          new Access(
              "batch",
              "jobs",
              "",
              List.of("create", "get", "list", "watch", "patch", "delete"),
              true,
              true,
              "runs, rows and sweep trials are Jobs"),
          new Access(
              "",
              "pods",
              "",
              List.of("get", "list", "watch", "delete"),
              true,
              true,
              "follow a run's pods; cancel deletes Argo's"),
          new Access("", "pods", "log", List.of("get"), true, true, "logs and live output"),
          new Access(
              "",
              "configmaps",
              "",
              List.of("create", "get", "list", "delete"),
              true,
              true,
              "a run's code and params, a sweep's spec"),
          new Access(
              "",
              "services",
              "",
              List.of("create", "get", "patch", "delete"),
              true,
              true,
              "the headless Service of a distributed run's workers"),
          new Access(
              "",
              "persistentvolumeclaims",
              "",
              List.of("get"),
              true,
              true,
              "check the model-storage claim before a run"),
          new Access(
              "argoproj.io",
              "workflows",
              "",
              List.of("create", "get", "list", "watch", "patch", "update", "delete"),
              true,
              true,
              "pipelines on Argo"),
          new Access(
              "metrics.k8s.io", "pods", "", List.of("get", "list"), true, false, "mlscale top"),
          new Access(
              "",
              "namespaces",
              "",
              List.of("get"),
              false,
              true,
              "check the namespace before a run"),
          new Access(
              "storage.k8s.io",
              "storageclasses",
              "",
              List.of("get", "list"),
              false,
              false,
              "cluster check: the RWX and the default class"),
          new Access(
              "",
              "persistentvolumes",
              "",
              List.of("list"),
              false,
              false,
              "cluster check: a static class's ReadWriteMany volumes"),
          new Access(
              "",
              "nodes",
              "",
              List.of("list"),
              false,
              false,
              "say which pool could fit a waiting pod"));
}

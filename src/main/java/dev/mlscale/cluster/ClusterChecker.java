package dev.mlscale.cluster;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import io.fabric8.kubernetes.api.model.APIResource;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClass;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code mlscale cluster check}: asks the cluster, read-only except for one probe Workflow, whether
 * mlscale and the workshop's add-ons can work there, and says for each thing what to run when it
 * cannot. The checks of the nodes are in {@link NodePools}, those of add-ons in {@link AddOns}.
 */
public final class ClusterChecker {
  static final String ARGO_INSTALL =
      "kubectl create namespace argo && kubectl apply -n argo -f"
          + " https://github.com/argoproj/argo-workflows/releases/download/v3.7.18/install.yaml";

  private final ClusterConnection cluster;
  private final KubernetesClient client;
  private final CheckOptions options;

  public ClusterChecker(ClusterConnection cluster, CheckOptions options) {
    this.cluster = cluster;
    this.client = cluster.client();
    this.options = options;
  }

  public CheckReport check() {
    String ns = cluster.namespace();
    String server = String.valueOf(client.getMasterUrl());
    List<Check> checks = new ArrayList<>();
    Check api = apiServer();
    checks.add(api);
    if (api.status() != CheckStatus.OK) {
      return CheckReport.of(cluster.context(), ns, server, "", checks, List.of());
    }
    String user = whoAmI();
    Check namespace = namespace(ns);
    checks.add(namespace);
    checks.addAll(permissions(ns, user));
    NodePools pools = NodePools.read(client);
    checks.addAll(pools.checks());
    checks.add(defaultStorageClass());
    checks.add(rwxStorageClass());
    checks.add(claim(ns, namespace.status() == CheckStatus.OK));
    AddOns addOns = new AddOns(client, ns, options);
    checks.addAll(addOns.argo(namespace.status() == CheckStatus.OK));
    checks.add(addOns.metricsServer());
    checks.add(addOns.kueue());
    checks.add(addOns.autoscaler());
    return CheckReport.of(cluster.context(), ns, server, user, checks, pools.pools());
  }

  private Check apiServer() {
    try {
      var v = client.getKubernetesVersion();
      return Check.ok("api", "API server", "reachable, Kubernetes " + v.getGitVersion(), true);
    } catch (KubernetesClientException e) {
      if (e.getCode() == 401) {
        return new Check(
            "api",
            "API server",
            CheckStatus.WRONG,
            "rejected the credentials of context " + cluster.context(),
            "log in again (refresh the kubeconfig's token or certificate)",
            true);
      }
      return new Check(
          "api",
          "API server",
          CheckStatus.MISSING,
          "cannot reach " + client.getMasterUrl() + ": " + rootMessage(e),
          "start the cluster or pick another context: kubectl config get-contexts",
          true);
    }
  }

  /** The user name the API server knows us by (SelfSubjectReview), or "" if it will not say. */
  private String whoAmI() {
    try {
      SelfSubjectReview r = client.resource(new SelfSubjectReview()).create();
      return r.getStatus().getUserInfo().getUsername();
    } catch (KubernetesClientException | NullPointerException e) {
      return "";
    }
  }

  private Check namespace(String ns) {
    try {
      if (client.namespaces().withName(ns).get() != null) {
        return Check.ok("namespace", ns, "exists", true);
      }
      return new Check(
          "namespace",
          ns,
          CheckStatus.MISSING,
          "does not exist",
          "kubectl create namespace " + ns + " && mlscale cluster init -n " + ns,
          true);
    } catch (KubernetesClientException e) {
      return unknown("namespace", ns, e, true);
    }
  }

  /** One line per resource: every verb mlscale uses on it, asked with SelfSubjectAccessReviews. */
  private List<Check> permissions(String ns, String user) {
    List<Check> out = new ArrayList<>();
    for (Access a : Access.MLSCALE) {
      List<String> denied = new ArrayList<>();
      try {
        for (String verb : a.verbs()) {
          if (!allowed(a, verb, ns)) {
            denied.add(verb);
          }
        }
      } catch (KubernetesClientException e) {
        out.add(unknown("rbac", a.display(), e, a.required()));
        continue;
      }
      String scope = a.namespaced() ? "in " + ns : "cluster-wide";
      if (denied.isEmpty()) {
        out.add(
            Check.ok(
                "rbac", a.display(), String.join(", ", a.verbs()) + " " + scope, a.required()));
      } else {
        out.add(
            new Check(
                "rbac",
                a.display(),
                CheckStatus.MISSING,
                "not allowed to " + String.join(", ", denied) + " " + scope + " (" + a.why() + ")",
                "an admin runs: mlscale cluster init -n " + ns + " " + subjectFlag(user, ns),
                a.required()));
      }
    }
    return out;
  }

  private boolean allowed(Access a, String verb, String ns) {
    var review =
        new SelfSubjectAccessReviewBuilder()
            .withNewSpec()
            .withNewResourceAttributes()
            .withGroup(a.group())
            .withResource(a.resource())
            .withSubresource(a.subresource())
            .withVerb(verb)
            .withNamespace(a.namespaced() ? ns : null)
            .endResourceAttributes()
            .endSpec()
            .build();
    var result = client.authorization().v1().selfSubjectAccessReview().create(review);
    return result.getStatus() != null && Boolean.TRUE.equals(result.getStatus().getAllowed());
  }

  /** The {@code cluster init} flag that binds this user: a ServiceAccount or a user name. */
  static String subjectFlag(String user, String ns) {
    String sa = "system:serviceaccount:";
    if (user.startsWith(sa)) {
      String[] p = user.substring(sa.length()).split(":", 2);
      return "--service-account " + (p[0].equals(ns) ? p[1] : p[0] + ":" + p[1]);
    }
    return "--user " + (user.isEmpty() ? "YOUR-USER-NAME" : user);
  }

  private Check defaultStorageClass() {
    try {
      Optional<StorageClass> def =
          client.storage().v1().storageClasses().list().getItems().stream()
              .filter(ClusterChecker::isDefault)
              .findFirst();
      if (def.isPresent()) {
        return Check.ok(
            "storage",
            "default StorageClass",
            def.get().getMetadata().getName() + " (" + def.get().getProvisioner() + ")",
            false);
      }
      return new Check(
          "storage",
          "default StorageClass",
          CheckStatus.MISSING,
          "none: claims that name no class stay Pending (mlscale's own claims name "
              + options.storageClass()
              + ")",
          "kubectl patch storageclass "
              + options.storageClass()
              + " -p '{\"metadata\":{\"annotations\":{\"storageclass.kubernetes.io/is-default-class\":\"true\"}}}'",
          false);
    } catch (KubernetesClientException e) {
      return unknown("storage", "default StorageClass", e, false);
    }
  }

  private static boolean isDefault(StorageClass sc) {
    Map<String, String> a = sc.getMetadata().getAnnotations();
    return a != null
        && ("true".equals(a.get("storageclass.kubernetes.io/is-default-class"))
            || "true".equals(a.get("storageclass.beta.kubernetes.io/is-default-class")));
  }

  private Check rwxStorageClass() {
    String name = options.storageClass();
    String item = "RWX StorageClass " + name;
    try {
      StorageClass sc = client.storage().v1().storageClasses().withName(name).get();
      if (sc == null) {
        return new Check(
            "storage",
            item,
            CheckStatus.MISSING,
            "no StorageClass "
                + name
                + ": models, Python environments and pipeline workspaces need a ReadWriteMany"
                + " volume",
            "install an NFS provisioner: helm install nfs"
                + " nfs-subdir-external-provisioner/nfs-subdir-external-provisioner --set"
                + " nfs.server=NFS-SERVER --set nfs.path=/export --set storageClass.name="
                + name
                + " (or name another RWX class with --storage-class)",
            true);
      }
      return StorageClasses.rwx(client, sc, item);
    } catch (KubernetesClientException e) {
      return unknown("storage", item, e, true);
    }
  }

  private Check claim(String ns, boolean namespaceExists) {
    String item = "claim " + options.claim();
    String fix = "mlscale cluster init -n " + ns + " --storage-class " + options.storageClass();
    if (!namespaceExists) {
      return new Check(
          "storage", item, CheckStatus.MISSING, "the namespace does not exist", fix, true);
    }
    try {
      PersistentVolumeClaim c =
          client.persistentVolumeClaims().inNamespace(ns).withName(options.claim()).get();
      if (c == null) {
        return new Check(
            "storage",
            item,
            CheckStatus.MISSING,
            "no claim " + options.claim() + " in " + ns + " (models and setup environments)",
            fix,
            true);
      }
      return StorageClasses.claim(c, item, ns);
    } catch (KubernetesClientException e) {
      return unknown("storage", item, e, true);
    }
  }

  static Check unknown(String area, String item, KubernetesClientException e, boolean required) {
    String why =
        e.getCode() == 403
            ? "not allowed to look (" + rootMessage(e) + ")"
            : "the API server answered: " + rootMessage(e);
    return new Check(
        area,
        item,
        CheckStatus.UNKNOWN,
        "cannot tell: " + why,
        e.getCode() == 403 ? "ask an admin for read access, or to run mlscale cluster check" : "",
        required);
  }

  static String rootMessage(Throwable e) {
    if (e instanceof KubernetesClientException k && k.getStatus() != null) {
      String m = k.getStatus().getMessage();
      if (m != null && !m.isBlank()) {
        return m;
      }
    }
    Throwable t = e;
    while (t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** The resources an API group version serves, or empty when it is not served. */
  static Optional<List<String>> served(KubernetesClient client, String groupVersion) {
    try {
      APIResourceList list = client.getApiResources(groupVersion);
      return list == null
          ? Optional.empty()
          : Optional.of(list.getResources().stream().map(APIResource::getName).toList());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 503) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Argo's probe: a Workflow whose entrypoint names no template, refused without any pod. */
  static GenericKubernetesResource probeWorkflow(String ns) {
    return new GenericKubernetesResourceBuilder()
        .withApiVersion("argoproj.io/v1alpha1")
        .withKind("Workflow")
        .withNewMetadata()
        .withGenerateName("mlscale-check-")
        .withNamespace(ns)
        .addToLabels("app.kubernetes.io/managed-by", "mlscale")
        .addToLabels("mlscale.dev/check", "argo")
        .endMetadata()
        .addToAdditionalProperties(
            "spec",
            Map.of(
                "entrypoint",
                "mlscale-check-no-such-template",
                "templates",
                List.of(Map.of("name", "main", "suspend", Map.of()))))
        .build();
  }

  static final ResourceDefinitionContext WORKFLOWS =
      new ResourceDefinitionContext.Builder()
          .withGroup("argoproj.io")
          .withVersion("v1alpha1")
          .withPlural("workflows")
          .withKind("Workflow")
          .withNamespaced(true)
          .build();

  /** Waits for Argo's controller to give the probe a phase; empty after the timeout. */
  static Optional<GenericKubernetesResource> awaitPhase(
      KubernetesClient client, GenericKubernetesResource wf, java.time.Duration timeout)
      throws InterruptedException {
    var resource =
        client
            .genericKubernetesResources(WORKFLOWS)
            .inNamespace(wf.getMetadata().getNamespace())
            .withName(wf.getMetadata().getName());
    try {
      return Optional.of(
          resource
              .informOnCondition(l -> !l.isEmpty() && AddOns.phase(l.get(0)) != null)
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .get(0));
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof KubernetesClientException k
          ? k
          : new IllegalStateException(e.getCause());
    }
  }
}

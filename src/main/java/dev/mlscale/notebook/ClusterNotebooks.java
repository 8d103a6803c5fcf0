package dev.mlscale.notebook;

import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.PodExplainer;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.error.UserError;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.Labels;
import dev.mlscale.render.NotebookRenderer;
import dev.mlscale.render.RenderInput;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.KubernetesClientTimeoutException;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Notebooks on the cluster: a pod per notebook (the job's image, resources, pool, GPUs and setup
 * environment with JupyterLab), its token in a Secret, a per-user workspace claim that outlives the
 * pod, reached through a port-forward via the API server.
 */
public final class ClusterNotebooks implements Notebooks {
  /** How long a notebook may take to be ready: pulling the image and building its environment. */
  static final Duration READY_TIMEOUT = Duration.ofMinutes(15);

  private final ClusterConnection cluster;
  private final String user;

  public ClusterNotebooks(ClusterConnection cluster, String user) {
    this.cluster = cluster;
    this.user = NotebookRequest.dnsName(user, "--user");
  }

  private KubernetesClient client() {
    return cluster.client();
  }

  private String ns() {
    return cluster.namespace();
  }

  /** The objects a request becomes, with this token (pure: see {@link NotebookRenderer}). */
  public NotebookRenderer.Rendered render(NotebookRequest r, String token) {
    return render(r, token, ns(), cluster.pip());
  }

  public static NotebookRenderer.Rendered render(
      NotebookRequest r, String token, String namespace, dev.mlscale.plan.PipSources pip) {
    if (r.plan().spec().image() == null) {
      throw dev.mlscale.spec.SpecLoader.errorAt(
          r.plan().specFile(),
          "/image",
          "a notebook on the cluster runs in the job's image, and this job names none: add"
              + " image: (e.g. image: python:3.11-slim, with Python and its venv module)");
    }
    RenderInput in =
        new RenderInput(
                r.plan(), namespace, CodeArchive.of(r.plan().workdir()), PythonHelper.source())
            .withPip(pip);
    return NotebookRenderer.render(
        in,
        new NotebookRenderer.Options(
            r.name(), r.user(), token, r.idleTimeout(), r.workspaceSize(), r.workspaceClass()),
        List.of(Jupyter.PACKAGE));
  }

  @Override
  public Session start(NotebookRequest r, Consumer<String> progress) throws InterruptedException {
    String base = NotebookRenderer.Options.base(r.user(), r.name());
    try {
      preflight(r);
      Pod pod = client().pods().inNamespace(ns()).withName(base).get();
      Secret secret = client().secrets().inNamespace(ns()).withName(base + "-token").get();
      if (pod != null && ended(pod)) {
        progress.accept("the notebook's last pod ended (" + endReason(pod) + "); starting anew");
        deleteAndWait(pod);
        pod = null;
      }
      String token = secret == null ? Jupyter.newToken() : tokenOf(secret);
      if (pod == null) {
        create(render(r, token), secret == null);
      } else {
        progress.accept("notebook " + r.name() + " runs already in pod " + base + "; connecting");
        keptIdleTimeout(pod, r).ifPresent(progress);
      }
      Pod ready = awaitReady(base, progress);
      int port = r.port() == 0 ? Jupyter.freePort() : r.port();
      LocalPortForward forward =
          client()
              .pods()
              .inNamespace(ns())
              .withName(base)
              .portForward(Jupyter.POD_PORT, InetAddress.getLoopbackAddress(), port);
      return new ClusterSession(ready, forward, "http://127.0.0.1:" + port + "/lab?token=" + token);
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "start notebook " + r.name());
    }
  }

  /**
   * A running pod keeps the idle timeout it was started with: says so when this request asks for
   * another, rather than dropping the request's silently.
   */
  static Optional<String> keptIdleTimeout(Pod pod, NotebookRequest r) {
    String asked = NotebookRenderer.idleAnnotation(r.idleTimeout());
    String kept =
        pod.getMetadata().getAnnotations() == null
            ? null
            : pod.getMetadata().getAnnotations().get(NotebookRenderer.IDLE_ANNOTATION);
    if (kept == null || kept.equals(asked)) {
      return Optional.empty();
    }
    return Optional.of(
        "it keeps the idle timeout it started with ("
            + kept
            + ", not "
            + asked
            + "); to change it: mlscale notebook stop "
            + r.name()
            + ", then start it again");
  }

  private void preflight(NotebookRequest r) {
    if (client().namespaces().withName(ns()).get() == null) {
      throw new UserError(
          "namespace '"
              + ns()
              + "' does not exist in context "
              + cluster.context()
              + "; create it (kubectl create namespace "
              + ns()
              + ") or pick another with -n");
    }
    var k = r.plan().spec().kubernetes();
    for (String claim : new java.util.TreeSet<>(List.of(k.modelStorage(), k.envStorage()))) {
      if (client().persistentVolumeClaims().inNamespace(ns()).withName(claim).get() == null) {
        throw new UserError(
            "the claim '"
                + claim
                + "' (the model store, and the cache of Python environments) does not exist in"
                + " namespace "
                + ns()
                + "; create an RWX PersistentVolumeClaim named "
                + claim
                + " (storageClassName: nfs-storage) or set kubernetes.model_storage");
      }
    }
  }

  /** Creates what is missing: the workspace claim (kept), the Secret, the files, the pod. */
  private void create(NotebookRenderer.Rendered rendered, boolean newSecret) {
    KubernetesClient c = client();
    PersistentVolumeClaim claim = rendered.claim();
    if (c.resource(claim).get() == null) {
      c.resource(claim).create();
    }
    if (newSecret) {
      c.resource(rendered.secret()).create();
    }
    for (HasMetadata o : rendered.podObjects()) {
      if (c.resource(o).get() != null) {
        c.resource(o).withGracePeriod(0).delete(); // the files of an earlier pod: immutable
        c.resource(o).waitUntilCondition(Objects::isNull, 30, TimeUnit.SECONDS);
      }
      c.resource(o).create();
    }
    Pod pod = c.resource(rendered.pod()).create();
    for (HasMetadata o : rendered.podObjects()) {
      if (o instanceof ConfigMap cm) {
        c.configMaps()
            .inNamespace(ns())
            .withName(cm.getMetadata().getName())
            .edit(
                x -> {
                  x.getMetadata()
                      .setOwnerReferences(
                          List.of(
                              new OwnerReferenceBuilder()
                                  .withApiVersion("v1")
                                  .withKind("Pod")
                                  .withName(pod.getMetadata().getName())
                                  .withUid(pod.getMetadata().getUid())
                                  .build()));
                  return x;
                });
      }
    }
  }

  /** Waits (with an informer) until the pod is ready; says each new state; fails if it ends. */
  private Pod awaitReady(String name, Consumer<String> progress) {
    String[] last = {""};
    Pod pod;
    try {
      pod =
          client()
              .pods()
              .inNamespace(ns())
              .withName(name)
              .waitUntilCondition(
                  p -> {
                    if (p == null) {
                      return true;
                    }
                    String now = PodExplainer.describe(p);
                    if (!now.equals(last[0])) {
                      last[0] = now;
                      progress.accept(now);
                    }
                    return ready(p) || ended(p) || now.startsWith("Failed");
                  },
                  READY_TIMEOUT.toSeconds(),
                  TimeUnit.SECONDS);
    } catch (KubernetesClientTimeoutException e) {
      throw new EnvironmentError(
          "notebook pod "
              + name
              + " in namespace "
              + ns()
              + " was not ready within "
              + READY_TIMEOUT.toMinutes()
              + " minutes (last: "
              + last[0]
              + "); see kubectl -n "
              + ns()
              + " describe pod "
              + name);
    }
    if (pod == null) {
      throw new EnvironmentError("notebook pod " + name + " was deleted while it started");
    }
    if (!ready(pod)) {
      throw new EnvironmentError(
          "notebook pod " + name + " did not start: " + PodExplainer.describe(pod));
    }
    return pod;
  }

  static boolean ready(Pod p) {
    return p.getStatus() != null
        && p.getStatus().getConditions() != null
        && p.getStatus().getConditions().stream()
            .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  static boolean ended(Pod p) {
    String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
    return "Succeeded".equals(phase) || "Failed".equals(phase);
  }

  /** Why the notebook's pod ended: the helper's termination message (culled), else its state. */
  static String endReason(Pod p) {
    if (p.getStatus() == null || p.getStatus().getContainerStatuses() == null) {
      return "deleted";
    }
    for (ContainerStatus s : p.getStatus().getContainerStatuses()) {
      var t = s.getState() == null ? null : s.getState().getTerminated();
      if (t != null) {
        String m = t.getMessage() == null ? "" : t.getMessage().strip();
        return m.isEmpty() ? "exit code " + t.getExitCode() : m;
      }
    }
    return p.getStatus().getPhase();
  }

  private static String tokenOf(Secret s) {
    String b64 = s.getData() == null ? null : s.getData().get(NotebookRenderer.TOKEN_KEY);
    if (b64 == null) {
      throw new UserError(
          "Secret "
              + s.getMetadata().getName()
              + " has no key '"
              + NotebookRenderer.TOKEN_KEY
              + "'; delete it (kubectl delete secret "
              + s.getMetadata().getName()
              + ") and start the notebook again");
    }
    return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
  }

  private void deleteAndWait(Pod pod) {
    client().resource(pod).withGracePeriod(0).delete();
    client()
        .pods()
        .inNamespace(ns())
        .withName(pod.getMetadata().getName())
        .waitUntilCondition(Objects::isNull, 60, TimeUnit.SECONDS);
  }

  /** A port-forward to a ready notebook pod; closing it leaves the pod running. */
  private final class ClusterSession implements Session {
    private final LocalPortForward forward;
    private final String url;
    private final CompletableFuture<List<Pod>> end;

    ClusterSession(Pod pod, LocalPortForward forward, String url) {
      this.forward = forward;
      this.url = url;
      this.end =
          client()
              .pods()
              .inNamespace(ns())
              .withName(pod.getMetadata().getName())
              .informOnCondition(pods -> pods.isEmpty() || ended(pods.get(0)));
    }

    @Override
    public String url() {
      return url;
    }

    /** Waits for the pod to end; the wait is the user's session, ended by Ctrl-C. */
    @Override
    public String awaitEnd() throws InterruptedException {
      try {
        List<Pod> pods = end.get();
        return pods.isEmpty() ? "the notebook's pod was deleted" : endReason(pods.get(0));
      } catch (ExecutionException e) {
        throw new EnvironmentError("lost the watch on the notebook's pod: " + e.getCause());
      }
    }

    @Override
    public void close() {
      end.cancel(true);
      try {
        forward.close();
      } catch (IOException e) {
        // the forward's sockets are gone either way
      }
    }
  }

  @Override
  public List<NotebookView> list() {
    try {
      Map<String, Pod> pods = new TreeMap<>();
      for (Pod p : labelled(client().pods().inNamespace(ns()))) {
        pods.put(p.getMetadata().getName(), p);
      }
      Map<String, PersistentVolumeClaim> claims = new TreeMap<>();
      for (PersistentVolumeClaim c :
          labelled(client().persistentVolumeClaims().inNamespace(ns()))) {
        claims.put(
            c.getMetadata().getLabels().get(NotebookRenderer.USER_LABEL)
                + "/"
                + c.getMetadata().getLabels().get(NotebookRenderer.NOTEBOOK_LABEL),
            c);
      }
      Map<String, NotebookView> views = new TreeMap<>();
      for (PersistentVolumeClaim c : claims.values()) {
        var l = c.getMetadata().getLabels();
        views.put(
            l.get(NotebookRenderer.USER_LABEL) + "/" + l.get(NotebookRenderer.NOTEBOOK_LABEL),
            new NotebookView(
                l.get(NotebookRenderer.NOTEBOOK_LABEL),
                l.get(NotebookRenderer.USER_LABEL),
                "Stopped",
                "",
                Instant.parse(c.getMetadata().getCreationTimestamp()),
                "pvc/" + c.getMetadata().getName(),
                "no pod; the workspace stays"));
      }
      for (Pod p : pods.values()) {
        var l = p.getMetadata().getLabels();
        String key =
            l.get(NotebookRenderer.USER_LABEL) + "/" + l.get(NotebookRenderer.NOTEBOOK_LABEL);
        String state =
            ended(p)
                ? endReason(p).startsWith("culled") ? "Culled" : "Stopped"
                : ready(p) ? "Running" : "Starting";
        views.put(
            key,
            new NotebookView(
                l.get(NotebookRenderer.NOTEBOOK_LABEL),
                l.get(NotebookRenderer.USER_LABEL),
                state,
                ready(p) ? "pod/" + p.getMetadata().getName() + ":" + Jupyter.POD_PORT : "",
                Instant.parse(p.getMetadata().getCreationTimestamp()),
                "pvc/" + p.getMetadata().getName() + "-workspace",
                ended(p) ? endReason(p) : PodExplainer.describe(p)));
      }
      List<NotebookView> out = new ArrayList<>(views.values());
      out.sort(Comparator.comparing(NotebookView::started).reversed());
      return out;
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "list notebooks");
    }
  }

  private static <
          T extends HasMetadata,
          L extends io.fabric8.kubernetes.api.model.KubernetesResourceList<T>>
      List<T> labelled(io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<T, L, ?> op) {
    return op.withLabel(Labels.MANAGED_BY, Labels.MLSCALE)
        .withLabel(NotebookRenderer.NOTEBOOK_LABEL)
        .list()
        .getItems();
  }

  private Optional<Pod> pod(String base) {
    return Optional.ofNullable(client().pods().inNamespace(ns()).withName(base).get());
  }

  @Override
  public String stop(String name) throws InterruptedException {
    String base = NotebookRenderer.Options.base(user, name);
    try {
      boolean claim =
          client().persistentVolumeClaims().inNamespace(ns()).withName(base + "-workspace").get()
              != null;
      Optional<Pod> pod = pod(base);
      if (pod.isEmpty() && !claim) {
        throw notFound(name);
      }
      pod.ifPresent(this::deleteAndWait);
      client().secrets().inNamespace(ns()).withName(base + "-token").delete();
      return (pod.isPresent() ? "stopped notebook " : "notebook was not running: ")
          + name
          + "; its workspace claim "
          + base
          + "-workspace stays in namespace "
          + ns();
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "stop notebook " + name);
    }
  }

  @Override
  public String delete(String name, boolean confirmed) throws InterruptedException {
    String base = NotebookRenderer.Options.base(user, name);
    try {
      var claim = client().persistentVolumeClaims().inNamespace(ns()).withName(base + "-workspace");
      if (claim.get() == null && pod(base).isEmpty()) {
        throw notFound(name);
      }
      if (!confirmed) {
        throw new UserError(
            "deleting notebook "
                + name
                + " removes its workspace claim "
                + base
                + "-workspace in namespace "
                + ns()
                + " and every file on it; add --yes to confirm");
      }
      pod(base).ifPresent(this::deleteAndWait);
      client().secrets().inNamespace(ns()).withName(base + "-token").delete();
      claim.delete();
      claim.waitUntilCondition(Objects::isNull, 60, TimeUnit.SECONDS);
      return "deleted notebook " + name + " and its workspace claim " + base + "-workspace";
    } catch (KubernetesClientException e) {
      throw cluster.explain(e, "delete notebook " + name);
    }
  }

  private NotFoundError notFound(String name) {
    return new NotFoundError(
        "notebook",
        name,
        "no notebook of user "
            + user
            + " in namespace "
            + ns()
            + "; list them: mlscale notebook"
            + " ls --target k8s -n "
            + ns());
  }

  @Override
  public void close() {
    client().close();
  }
}

package dev.mlscale.testenv;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.NamespacedKubernetesClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The test cluster of this JVM: control plane built from Go modules, nodes simulated by KWOK (see
 * testenv/README.md).
 *
 * <p>{@link #get()} runs {@code testenv/up.sh} once per JVM: it reuses a running cluster made from
 * the current configuration (about 0.5 s), and otherwise builds the binaries when they are not
 * cached (a cold build takes minutes) and (re)creates the cluster. The script's output goes to
 * {@code target/testenv/up.log}; the kubeconfig it prints is {@link #kubeconfig()}.
 */
public final class TestCluster {

  /** Label on a node that makes its simulated kubelet report Ready=False. */
  public static final String NOT_READY_LABEL = "sim.mlscale.dev/not-ready";

  /** Label that names a node's pool: train-cpu, train-mem, train-gpu or default. */
  public static final String ROLE_LABEL = "role";

  private static final Duration START_TIMEOUT = Duration.ofMinutes(80);
  private static final long NODE_TIMEOUT_SECONDS = 90;

  private static TestCluster instance;

  private final Path repoRoot;
  private final Path kubeconfig;
  private final KubernetesClient client;

  private TestCluster(Path repoRoot, Path kubeconfig, KubernetesClient client) {
    this.repoRoot = repoRoot;
    this.kubeconfig = kubeconfig;
    this.client = client;
  }

  /** Returns the cluster, starting it on first use in this JVM. */
  public static synchronized TestCluster get() {
    if (instance == null) {
      instance = connectOrStart();
      Runtime.getRuntime().addShutdownHook(new Thread(instance.client::close, "testenv-close"));
    }
    return instance;
  }

  /** The kubeconfig file of the cluster (admin credentials). */
  public Path kubeconfig() {
    return kubeconfig;
  }

  /** A cluster-wide admin client. Shared: do not close it. */
  public KubernetesClient client() {
    return client;
  }

  /** The repository root (the directory holding testenv/). */
  public Path repoRoot() {
    return repoRoot;
  }

  /** A client whose default namespace is {@code namespace}, sharing this cluster's connections. */
  public KubernetesClient clientFor(String namespace) {
    return client.adapt(NamespacedKubernetesClient.class).inNamespace(namespace);
  }

  /** Names of the nodes of a pool ({@code role} label), sorted. */
  public List<String> nodeNames(String role) {
    return client.nodes().withLabel(ROLE_LABEL, role).list().getItems().stream()
        .map(n -> n.getMetadata().getName())
        .sorted()
        .toList();
  }

  /**
   * Deletes a node as if its machine was lost, and waits until it is gone. First its running pods
   * are frozen (annotation {@code sim.mlscale.dev/frozen}; the simulated kubelet stops, so a pod
   * with a pending {@code duration} never finishes), then the Node object is deleted. The pods are
   * orphaned: the pod GC controller marks them Failed and deletes them after its quarantine (40-60
   * s). Returns a copy that {@link #recreateNode} accepts.
   */
  public Node deleteNode(String name) {
    Node node = client.nodes().withName(name).get();
    if (node == null) {
      throw new IllegalArgumentException("no node " + name + " in the test cluster");
    }
    Node copy = cleanCopy(node);
    freezePodsOn(name);
    client.nodes().withName(name).delete();
    client
        .nodes()
        .withName(name)
        .waitUntilCondition(n -> n == null, NODE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    return copy;
  }

  /** Freezes every running pod on the node and waits until the simulation acknowledged it. */
  private void freezePodsOn(String nodeName) {
    List<Pod> pods =
        client.pods().inAnyNamespace().withField("spec.nodeName", nodeName).list().getItems();
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null || !Sim.hasPhase(pod, "Running")) {
        continue;
      }
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .edit(
              p ->
                  new PodBuilder(p)
                      .editMetadata()
                      .addToAnnotations(Sim.FROZEN, "requested")
                      .endMetadata()
                      .build());
    }
    for (Pod pod : pods) {
      if (pod.getMetadata().getDeletionTimestamp() != null || !Sim.hasPhase(pod, "Running")) {
        continue;
      }
      client
          .pods()
          .inNamespace(pod.getMetadata().getNamespace())
          .withName(pod.getMetadata().getName())
          .waitUntilCondition(
              p ->
                  p == null
                      || !Sim.hasPhase(p, "Running")
                      || "true".equals(p.getMetadata().getAnnotations().get(Sim.FROZEN)),
              NODE_TIMEOUT_SECONDS,
              TimeUnit.SECONDS);
    }
  }

  /** Creates a node from a {@link #deleteNode} copy and waits until it is Ready. */
  public Node recreateNode(Node copy) {
    String name = copy.getMetadata().getName();
    if (client.nodes().withName(name).get() == null) {
      client.nodes().resource(cleanCopy(copy)).create();
    }
    waitForReady(name, true);
    return client
        .nodes()
        .withName(name)
        .waitUntilCondition(
            n -> n != null && isReady(n) && !hasLifecycleTaint(n),
            NODE_TIMEOUT_SECONDS,
            TimeUnit.SECONDS);
  }

  /** Makes the node's simulated kubelet report Ready=False and waits for it. */
  public Node makeNodeNotReady(String name) {
    client
        .nodes()
        .withName(name)
        .edit(
            n ->
                new NodeBuilder(n)
                    .editMetadata()
                    .addToLabels(NOT_READY_LABEL, "true")
                    .endMetadata()
                    .build());
    return waitForReady(name, false);
  }

  /**
   * Undoes {@link #makeNodeNotReady} and waits until the node is Ready and the node lifecycle
   * controller has removed its not-ready / unreachable taints.
   */
  public Node makeNodeReady(String name) {
    client
        .nodes()
        .withName(name)
        .edit(
            n ->
                new NodeBuilder(n)
                    .editMetadata()
                    .removeFromLabels(NOT_READY_LABEL)
                    .endMetadata()
                    .build());
    waitForReady(name, true);
    return client
        .nodes()
        .withName(name)
        .waitUntilCondition(
            n -> n != null && isReady(n) && !hasLifecycleTaint(n),
            NODE_TIMEOUT_SECONDS,
            TimeUnit.SECONDS);
  }

  /**
   * True when the node carries a not-ready or unreachable taint of the node lifecycle controller.
   */
  public static boolean hasLifecycleTaint(Node node) {
    return node.getSpec() != null
        && node.getSpec().getTaints() != null
        && node.getSpec().getTaints().stream()
            .anyMatch(
                t ->
                    "node.kubernetes.io/not-ready".equals(t.getKey())
                        || "node.kubernetes.io/unreachable".equals(t.getKey()));
  }

  /** True when the node's Ready condition is True. */
  public static boolean isReady(Node node) {
    return readyCondition(node).map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static Optional<NodeCondition> readyCondition(Node node) {
    if (node == null || node.getStatus() == null || node.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return node.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .findFirst();
  }

  private Node waitForReady(String name, boolean ready) {
    return client
        .nodes()
        .withName(name)
        .waitUntilCondition(
            n ->
                n != null
                    && readyCondition(n)
                        .map(c -> (ready ? "True" : "False").equals(c.getStatus()))
                        .orElse(false),
            NODE_TIMEOUT_SECONDS,
            TimeUnit.SECONDS);
  }

  /** Metadata, taints and capacity of a node: what the node manifest in testenv/ declares. */
  private static Node cleanCopy(Node node) {
    Map<String, String> labels =
        new HashMap<>(Optional.ofNullable(node.getMetadata().getLabels()).orElse(Map.of()));
    labels.remove(NOT_READY_LABEL);
    return new NodeBuilder()
        .withNewMetadata()
        .withName(node.getMetadata().getName())
        .withLabels(labels)
        .withAnnotations(filterAnnotations(node.getMetadata().getAnnotations()))
        .endMetadata()
        .withNewSpec()
        .withTaints(
            node.getSpec() == null || node.getSpec().getTaints() == null
                ? List.of()
                : node.getSpec().getTaints().stream()
                    .filter(t -> !t.getKey().startsWith("node.kubernetes.io/"))
                    .toList())
        .endSpec()
        .withNewStatus()
        .withCapacity(node.getStatus().getCapacity())
        .withAllocatable(node.getStatus().getAllocatable())
        .endStatus()
        .build();
  }

  private static Map<String, String> filterAnnotations(Map<String, String> annotations) {
    Map<String, String> kept = new HashMap<>();
    if (annotations != null) {
      annotations.forEach(
          (k, v) -> {
            if (k.startsWith("kwok.x-k8s.io/") || k.startsWith("node.alpha.kubernetes.io/")) {
              kept.put(k, v);
            }
          });
    }
    return kept;
  }

  // ------------------------------------------------------------------ start-up

  /** Where testenv/up.sh writes the kubeconfig (same rules as testenv/versions.sh). */
  public static Path defaultKubeconfig() {
    String explicit = System.getenv("MLSCALE_KUBECONFIG");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    return dev.mlscale.testenv.infra.Scripts.testenvHome().resolve("kubeconfig");
  }

  private static TestCluster connectOrStart() {
    Path root = findRepoRoot();
    // up.sh is cheap (~0.5 s) when the cluster runs, and it also recreates a cluster that was
    // made from an older kwok.yaml / manifests / binaries, so it runs once per JVM.
    Path kubeconfig = runUpScript(root);
    if (!answers(kubeconfig)) {
      throw new IllegalStateException(
          "testenv/up.sh finished but the API server does not answer with "
              + kubeconfig
              + "; see "
              + upLog(root));
    }
    Config config =
        new ConfigBuilder(Config.fromKubeconfig(kubeconfig.toFile()))
            .withMaxConcurrentRequests(128)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(config).build();
    return new TestCluster(root, kubeconfig, client);
  }

  private static boolean answers(Path kubeconfig) {
    if (!Files.isRegularFile(kubeconfig)) {
      return false;
    }
    Config config =
        new ConfigBuilder(Config.fromKubeconfig(kubeconfig.toFile()))
            .withRequestRetryBackoffLimit(0)
            .withConnectionTimeout(3_000)
            .withRequestTimeout(5_000)
            .build();
    try (KubernetesClient probe = new KubernetesClientBuilder().withConfig(config).build()) {
      return probe.getKubernetesVersion() != null && !probe.nodes().list().getItems().isEmpty();
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Path upLog(Path root) {
    return root.resolve("target").resolve("testenv").resolve("up.log");
  }

  private static Path runUpScript(Path root) {
    Path log = upLog(root);
    Path out = log.resolveSibling("up.out");
    try {
      Files.createDirectories(log.getParent());
      System.err.printf("[testenv] testenv/up.sh (log: %s)%n", log);
      long start = System.nanoTime();
      Process process =
          new ProcessBuilder(root.resolve("testenv").resolve("up.sh").toString())
              .directory(root.toFile())
              .redirectOutput(out.toFile())
              .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      process.getOutputStream().close();
      if (!process.waitFor(START_TIMEOUT.toMinutes(), TimeUnit.MINUTES)) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "testenv/up.sh did not finish in " + START_TIMEOUT + "; log tail:\n" + tail(log));
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "testenv/up.sh exited with " + process.exitValue() + "; log tail:\n" + tail(log));
      }
      List<String> lines =
          Files.readAllLines(out, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .toList();
      if (lines.isEmpty()) {
        throw new IllegalStateException(
            "testenv/up.sh printed no kubeconfig path; log tail:\n" + tail(log));
      }
      System.err.printf(
          "[testenv] test cluster ready in %d s%n",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start));
      return Path.of(lines.get(lines.size() - 1).trim());
    } catch (IOException e) {
      throw new IllegalStateException("cannot run testenv/up.sh: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the test cluster", e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static Path findRepoRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("testenv").resolve("up.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "testenv/up.sh not found in " + dir + " or any parent directory");
  }
}

package dev.mlscale.testenv.infra;

import dev.mlscale.testenv.TestCluster;
import java.time.Duration;
import java.util.Map;

/**
 * Argo Workflows in the test cluster (testenv/argo/). {@link #crds()} loads Argo's CRDs with their
 * full validation schema (enough for server-side dry runs); {@link #controller()} also runs the
 * real workflow-controller (built from its Go module; about 5 minutes cold) as a local process,
 * cluster-wide, plus the simulated executor that reports {@code sim.mlscale.dev/argo-outputs}.
 * Workflow pods need a {@code sim.mlscale.dev/*} annotation to finish (e.g. {@code
 * spec.podMetadata.annotations: {sim.mlscale.dev/duration: "1s"}}); see testenv/argo/README.md.
 */
public final class ArgoTestEnv {

  /** The Workflow API: group/version and kind, for Fabric8's generic resources. */
  public static final String API_VERSION = "argoproj.io/v1alpha1";

  public static final String KIND = "Workflow";

  private static final Duration TIMEOUT = Duration.ofMinutes(30);
  private static boolean crdsLoaded;
  private static ArgoTestEnv controller;

  private final String version;
  private final String namespace;

  private ArgoTestEnv(String version, String namespace) {
    this.version = version;
    this.namespace = namespace;
  }

  /** Loads the CRDs into the test cluster once per JVM (starting the cluster if needed). */
  public static synchronized void crds() {
    if (!crdsLoaded) {
      TestCluster.get();
      Scripts.run("argo/crds.sh", "argo-crds.log", TIMEOUT);
      crdsLoaded = true;
    }
  }

  /** Starts (or reuses) the controller once per JVM; loads the CRDs first. */
  public static synchronized ArgoTestEnv controller() {
    if (controller == null) {
      TestCluster.get();
      Scripts.run("argo/up.sh", "argo-up.log", TIMEOUT);
      crdsLoaded = true;
      Map<String, String> env = Scripts.readEnv(Scripts.testenvHome().resolve("argo.env"));
      controller =
          new ArgoTestEnv(
              env.get("MLSCALE_TEST_ARGO_VERSION"), env.get("MLSCALE_TEST_ARGO_NAMESPACE"));
    }
    return controller;
  }

  /** The Argo version, e.g. v3.7.18. */
  public String version() {
    return version;
  }

  /** The controller's own namespace (its ConfigMap); Workflows may run in any namespace. */
  public String namespace() {
    return namespace;
  }
}

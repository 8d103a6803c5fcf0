package dev.mlscale.testenv.infra;

import dev.mlscale.testenv.TestCluster;
import java.time.Duration;
import java.util.Map;

/**
 * Kueue in the test cluster (testenv/kueue/): the real controller manager, built from its Go module
 * (sigs.k8s.io/kueue), running as a local process with its webhooks on loopback. Only Jobs labelled
 * kueue.x-k8s.io/queue-name are Kueue's (manageJobsWithoutQueueName is false, and the Job webhooks
 * select on the label), so other tests' Jobs behave as without it.
 */
public final class KueueTestEnv {
  private static final Duration TIMEOUT = Duration.ofMinutes(40);
  private static KueueTestEnv controller;

  private final String version;

  private KueueTestEnv(String version) {
    this.version = version;
  }

  /** Starts (or reuses) the controller once per JVM. */
  public static synchronized KueueTestEnv controller() {
    if (controller == null) {
      TestCluster.get();
      Scripts.run("kueue/up.sh", "kueue-up.log", TIMEOUT);
      Map<String, String> env = Scripts.readEnv(Scripts.testenvHome().resolve("kueue.env"));
      controller = new KueueTestEnv(env.get("MLSCALE_TEST_KUEUE_VERSION"));
    }
    return controller;
  }

  /** The Kueue version, e.g. v0.17.0. */
  public String version() {
    return version;
  }
}

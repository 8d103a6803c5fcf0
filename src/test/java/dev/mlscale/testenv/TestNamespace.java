package dev.mlscale.testenv;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Objects;

/**
 * The throwaway namespace of one test.
 *
 * @param name the namespace name, {@code t-<test>-<random>}
 * @param client a client whose default namespace is {@code name}; shares the cluster client's
 *     connections, do not close it
 */
public record TestNamespace(String name, KubernetesClient client) {
  public TestNamespace {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(client, "client");
  }
}

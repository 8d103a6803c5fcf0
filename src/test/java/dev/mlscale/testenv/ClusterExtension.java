package dev.mlscale.testenv;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.security.SecureRandom;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension behind {@link ClusterTest}: one cluster per JVM ({@link TestCluster#get()}),
 * one fresh namespace per test, deleted afterwards, and nodes restored.
 *
 * <p>Injectable parameters: {@link TestNamespace}, {@link KubernetesClient} (default namespace =
 * the test's namespace), {@link TestCluster}, {@link NodeControl}. Set the environment variable
 * {@code MLSCALE_KEEP_NAMESPACES=true} to keep namespaces for debugging.
 */
public final class ClusterExtension
    implements BeforeEachCallback, AfterEachCallback, ParameterResolver {

  /** Label on every namespace made by this extension. */
  public static final String NAMESPACE_LABEL = "testenv.mlscale.dev/test";

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

  private static final String NAMESPACE_KEY = "namespace";
  private static final String NODES_KEY = "nodes";

  @Override
  public void beforeEach(ExtensionContext context) {
    TestCluster cluster = TestCluster.get();
    String name = namespaceName(context.getRequiredTestMethod().getName());
    KubernetesClient client = cluster.client();
    client
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels(NAMESPACE_LABEL, "true")
                .endMetadata()
                .build())
        .create();
    // Pods need the namespace's default ServiceAccount; the service account controller adds it.
    client
        .serviceAccounts()
        .inNamespace(name)
        .withName("default")
        .waitUntilCondition(Objects::nonNull, 60, TimeUnit.SECONDS);
    store(context).put(NAMESPACE_KEY, new TestNamespace(name, cluster.clientFor(name)));
    store(context).put(NODES_KEY, new NodeControl(cluster));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    NodeControl nodes = store(context).remove(NODES_KEY, NodeControl.class);
    TestNamespace namespace = store(context).remove(NAMESPACE_KEY, TestNamespace.class);
    try {
      if (nodes != null) {
        nodes.restore();
      }
    } finally {
      if (namespace != null && !"true".equals(System.getenv("MLSCALE_KEEP_NAMESPACES"))) {
        TestCluster.get().client().namespaces().withName(namespace.name()).delete();
      }
    }
  }

  @Override
  public boolean supportsParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    Class<?> type = parameterContext.getParameter().getType();
    return type == TestNamespace.class
        || type == KubernetesClient.class
        || type == TestCluster.class
        || type == NodeControl.class;
  }

  @Override
  public Object resolveParameter(
      ParameterContext parameterContext, ExtensionContext extensionContext) {
    Class<?> type = parameterContext.getParameter().getType();
    if (type == TestCluster.class) {
      return TestCluster.get();
    }
    if (type == NodeControl.class) {
      return require(store(extensionContext).get(NODES_KEY, NodeControl.class), type);
    }
    TestNamespace namespace =
        require(store(extensionContext).get(NAMESPACE_KEY, TestNamespace.class), type);
    return type == TestNamespace.class ? namespace : namespace.client();
  }

  private static <T> T require(T value, Class<?> type) {
    if (value == null) {
      throw new ParameterResolutionException(
          type.getSimpleName()
              + " is only available to test methods (not to constructors or @BeforeAll)");
    }
    return value;
  }

  private static ExtensionContext.Store store(ExtensionContext context) {
    return context.getStore(
        ExtensionContext.Namespace.create(ClusterExtension.class, context.getUniqueId()));
  }

  /** {@code t-<method>-<5 random>}, a valid DNS label of at most 63 characters. */
  static String namespaceName(String method) {
    String base =
        method.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-+|-+$)", "");
    if (base.length() > 40) {
      base = base.substring(0, 40).replaceAll("-+$", "");
    }
    StringBuilder suffix = new StringBuilder();
    for (int i = 0; i < 5; i++) {
      suffix.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return "t-" + (base.isEmpty() ? "test" : base) + "-" + suffix;
  }
}

package dev.mlscale.testenv;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that runs against the real test cluster (testenv/).
 *
 * <p>Tagged {@code cluster}: excluded from the default build, run alone with {@code ./mvnw
 * -Pcluster test}. The {@link ClusterExtension} starts the cluster once per JVM (reusing one that
 * is already up), gives each test a fresh namespace and injects {@link TestNamespace}, a
 * namespace-scoped {@link io.fabric8.kubernetes.client.KubernetesClient}, {@link TestCluster} and
 * {@link NodeControl} parameters.
 */
@Documented
@Target({ElementType.TYPE, ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Tag("cluster")
@ExtendWith(ClusterExtension.class)
public @interface ClusterTest {}

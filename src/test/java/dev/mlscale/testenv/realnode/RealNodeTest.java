package dev.mlscale.testenv.realnode;

import dev.mlscale.testenv.ClusterTest;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test whose pods run as real containers on the test cluster's real node ({@link RealNode}): a
 * {@link ClusterTest} tagged {@code real-node} as well.
 */
@Documented
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ClusterTest
@Tag("real-node")
public @interface RealNodeTest {}

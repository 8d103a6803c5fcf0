package dev.mlscale.render;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.Map;

/** The labels and annotations that mark what mlscale owns on a cluster. */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MLSCALE = "mlscale";
  public static final String RUN = "mlscale.dev/run";
  public static final String JOB_NAME = "mlscale.dev/job";
  public static final String ATTEMPT = "mlscale.dev/attempt";
  public static final String PARAMS = "mlscale.dev/params";
  public static final String SPEC_FILE = "mlscale.dev/spec-file";
  public static final String ROWS = "mlscale.dev/rows";
  public static final String MODEL = "mlscale.dev/model";

  private Labels() {}

  /** The metadata of a namespaced object mlscale creates: its name, namespace and labels. */
  public static ObjectMeta meta(String name, String namespace, Map<String, String> labels) {
    return new ObjectMetaBuilder()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(labels)
        .build();
  }
}

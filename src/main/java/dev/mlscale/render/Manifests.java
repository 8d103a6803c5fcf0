package dev.mlscale.render;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/** Prints rendered objects as multi-document YAML or as a JSON {@code List}. */
public final class Manifests {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Manifests() {}

  public static String yaml(List<HasMetadata> objects) {
    StringBuilder sb = new StringBuilder();
    for (HasMetadata o : objects) {
      String doc = SERIALIZATION.asYaml(o);
      sb.append(doc.startsWith("---") ? doc : "---\n" + doc);
      if (!doc.endsWith("\n")) {
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  public static String json(List<HasMetadata> objects) {
    return SERIALIZATION.asJson(new KubernetesListBuilder().withItems(objects).build());
  }
}

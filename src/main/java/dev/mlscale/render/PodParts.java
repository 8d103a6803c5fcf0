package dev.mlscale.render;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The parts of a pod that rendering steps build up, plus the extra objects (ConfigMaps) the pod
 * needs. Immutable: each step returns a new value.
 */
public record PodParts(
    Container main,
    List<Container> initContainers,
    List<Volume> volumes,
    Map<String, String> nodeSelector,
    List<Toleration> tolerations,
    List<HasMetadata> extraObjects) {
  public PodParts {
    initContainers = List.copyOf(initContainers);
    volumes = List.copyOf(volumes);
    nodeSelector = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(nodeSelector));
    tolerations = List.copyOf(tolerations);
    extraObjects = List.copyOf(extraObjects);
  }

  PodParts withMain(UnaryOperator<Container> change) {
    return new PodParts(
        change.apply(main), initContainers, volumes, nodeSelector, tolerations, extraObjects);
  }

  PodParts plusInit(Container c) {
    return new PodParts(
        main, append(initContainers, c), volumes, nodeSelector, tolerations, extraObjects);
  }

  PodParts plusVolume(Volume v) {
    return new PodParts(
        main, initContainers, append(volumes, v), nodeSelector, tolerations, extraObjects);
  }

  PodParts plusSelector(String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(nodeSelector);
    m.put(key, value);
    return new PodParts(main, initContainers, volumes, m, tolerations, extraObjects);
  }

  PodParts plusToleration(Toleration t) {
    return new PodParts(
        main, initContainers, volumes, nodeSelector, append(tolerations, t), extraObjects);
  }

  PodParts plusObject(HasMetadata o) {
    return new PodParts(
        main, initContainers, volumes, nodeSelector, tolerations, append(extraObjects, o));
  }

  private static <T> List<T> append(List<T> list, T item) {
    List<T> out = new ArrayList<>(list);
    out.add(item);
    return out;
  }
}

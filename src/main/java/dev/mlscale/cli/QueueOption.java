package dev.mlscale.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * A job's overrides: {@code --set KEY=VALUE} and {@code --queue NAME}, which is the same as {@code
 * --set kubernetes.queue=NAME} after the others.
 */
final class QueueOption {
  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Override a spec field, e.g. --set params.lr=0.01 --set resources.memory=2Gi.")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--queue",
      paramLabel = "LOCALQUEUE",
      description =
          "On Kubernetes: wait in this Kueue LocalQueue (as kubernetes.queue); Kueue starts the"
              + " jobs when the queue's quota allows.")
  String queue;

  /** The overrides, {@code --queue} last. */
  List<String> all() {
    return withQueue(overrides, queue);
  }

  static List<String> withQueue(List<String> overrides, String queue) {
    if (queue == null) {
      return overrides;
    }
    List<String> all = new ArrayList<>(overrides);
    all.add("kubernetes.queue=" + queue);
    return List.copyOf(all);
  }
}

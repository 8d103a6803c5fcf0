package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Option;

/** {@code --queue} on sweep run/resume: the trials wait in a Kueue LocalQueue. */
final class SweepQueue {
  @Option(
      names = "--queue",
      paramLabel = "LOCALQUEUE",
      description =
          "On Kubernetes: the trials wait in this Kueue LocalQueue (as the job's"
              + " kubernetes.queue).")
  String queue;

  /** The overrides of the trials' job spec: none, or {@code kubernetes.queue}. */
  List<String> jobOverrides() {
    return QueueOption.withQueue(List.of(), queue);
  }
}

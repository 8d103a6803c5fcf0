package dev.mlscale.top;

import java.util.List;

/** {@code mlscale top}'s service: the live usage of the running runs of one target. */
public interface RunUsage {
  /** One row per running pod or process group, by run then row. */
  List<Usage> sample() throws InterruptedException;
}

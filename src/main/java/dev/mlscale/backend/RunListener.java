package dev.mlscale.backend;

import dev.mlscale.metrics.Metric;
import dev.mlscale.store.RunState;
import java.util.List;

/** What a backend tells the CLI while runs progress; called from backend threads. */
public interface RunListener {
  void stateChanged(String runId, String name, RunState state, String message);

  void output(String runId, String name, String line);

  default void metrics(String runId, String name, List<Metric> metrics) {}

  RunListener SILENT =
      new RunListener() {
        @Override
        public void stateChanged(String runId, String name, RunState state, String message) {}

        @Override
        public void output(String runId, String name, String line) {}
      };
}

package dev.mlscale.cli;

import dev.mlscale.backend.kubernetes.ClusterConnection;

/** Closes a cluster connection's client at the end of a command. */
record AutoClose(ClusterConnection get) implements AutoCloseable {
  @Override
  public void close() {
    get.client().close();
  }
}

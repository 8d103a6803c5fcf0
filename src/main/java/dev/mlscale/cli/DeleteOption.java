package dev.mlscale.cli;

import java.util.List;
import picocli.CommandLine.Option;

/** {@code --[no-]wait} of the commands that delete from the cluster, and their loop (a mixin). */
final class DeleteOption {
  @Option(
      names = "--wait",
      defaultValue = "true",
      negatable = true,
      description = "Wait until everything is gone. Default: ${DEFAULT-VALUE}.")
  boolean await;

  /** Deletes one thing by id; waits until it is gone when {@code await}. */
  @FunctionalInterface
  interface Delete {
    void delete(String id, boolean await) throws InterruptedException;
  }

  /** Deletes each of {@code ids} in turn and says so for each. */
  void deleteAll(Context ctx, List<String> ids, Delete delete) throws InterruptedException {
    for (String id : ids) {
      delete.delete(id, await);
      ctx.out().println("deleted " + id);
    }
  }
}

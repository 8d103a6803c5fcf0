package dev.mlscale.cli;

import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.notebook.Notebooks;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The notebook that {@code notebook stop} and {@code notebook delete} act on, as a mixin. */
final class NotebookRef {
  @Parameters(paramLabel = "NAME", description = "The notebook.")
  String name;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--user", description = "Whose notebook. Default: $USER.")
  String user;

  /** What a command does to the notebook; says what happened, in words. */
  @FunctionalInterface
  interface Action {
    String apply(Notebooks notebooks, String name) throws InterruptedException;
  }

  /** Opens the notebooks of the target and does {@code action} to this one. */
  String apply(Context ctx, Action action) throws InterruptedException {
    try (Notebooks notebooks =
        NotebookCommand.open(ctx, cluster, NotebookLs.user(ctx, user), List.of())) {
      return action.apply(notebooks, NotebookRequest.dnsName(name, "NAME"));
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.notebook.Notebooks;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "delete",
    description = "Remove a notebook and its workspace with every file in it (needs --yes).")
final class NotebookDelete extends CliCommand {
  @Parameters(paramLabel = "NAME", description = "The notebook.")
  String name;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--user", description = "Whose notebook. Default: $USER.")
  String user;

  @Option(names = "--yes", description = "Confirm that the workspace and its files go too.")
  boolean yes;

  @Override
  public Integer call() throws InterruptedException {
    try (Notebooks notebooks =
        NotebookCommand.open(ctx, cluster, NotebookLs.user(ctx, user), List.of())) {
      ctx.out().println(notebooks.delete(NotebookRequest.dnsName(name, "NAME"), yes));
    }
    return 0;
  }
}

package dev.mlscale.cli;

import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.notebook.Notebooks;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "stop",
    description = "Stop a notebook's server (and its kernels); its workspace stays.")
final class NotebookStop extends CliCommand {
  @Parameters(paramLabel = "NAME", description = "The notebook.")
  String name;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Option(names = "--user", description = "Whose notebook. Default: $USER.")
  String user;

  @Override
  public Integer call() throws InterruptedException {
    try (Notebooks notebooks =
        NotebookCommand.open(ctx, cluster, NotebookLs.user(ctx, user), List.of())) {
      ctx.out().println(notebooks.stop(NotebookRequest.dnsName(name, "NAME")));
    }
    return 0;
  }
}

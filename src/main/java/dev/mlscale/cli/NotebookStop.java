package dev.mlscale.cli;

import dev.mlscale.notebook.Notebooks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "stop",
    description = "Stop a notebook's server (and its kernels); its workspace stays.")
final class NotebookStop extends CliCommand {
  @Mixin NotebookRef notebook = new NotebookRef();

  @Override
  public Integer call() throws InterruptedException {
    ctx.out().println(notebook.apply(ctx, Notebooks::stop));
    return 0;
  }
}

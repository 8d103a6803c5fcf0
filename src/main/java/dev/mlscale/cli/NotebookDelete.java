package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "delete",
    description = "Remove a notebook and its workspace with every file in it (needs --yes).")
final class NotebookDelete extends CliCommand {
  @Mixin NotebookRef notebook = new NotebookRef();

  @Option(names = "--yes", description = "Confirm that the workspace and its files go too.")
  boolean yes;

  @Override
  public Integer call() throws InterruptedException {
    ctx.out().println(notebook.apply(ctx, (notebooks, name) -> notebooks.delete(name, yes)));
    return 0;
  }
}

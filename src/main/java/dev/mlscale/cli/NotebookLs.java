package dev.mlscale.cli;

import dev.mlscale.notebook.NotebookView;
import dev.mlscale.notebook.Notebooks;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "ls", description = "List notebooks.")
final class NotebookLs extends CliCommand {
  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Mixin OutputOption output = new OutputOption();

  @Option(names = "--user", description = "Whose notebooks. Default: $USER.")
  String user;

  @Override
  public Integer call() {
    List<NotebookView> views;
    try (Notebooks notebooks = NotebookCommand.open(ctx, cluster, user(ctx, user), List.of())) {
      views = notebooks.list();
    }
    if (output.print(ctx.out(), views)) {
      return 0;
    }
    Table t = new Table("NAME", "USER", "STATE", "STARTED", "URL", "WORKSPACE", "MESSAGE");
    for (NotebookView v : views) {
      t.row(
          v.name(),
          v.user().isEmpty() ? "-" : v.user(),
          v.state(),
          v.started() == null ? "-" : Format.ago(v.started(), ctx.clock().instant()),
          v.url().isEmpty() ? "-" : v.url(),
          v.workspace(),
          v.reason());
    }
    t.print(ctx.out(), "");
    return 0;
  }

  static String user(Context ctx, String flag) {
    return flag != null
        ? flag
        : ctx.env().getOrDefault("USER", System.getProperty("user.name", "user"));
  }
}

package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Is a cluster ready for mlscale (check), and make a namespace ready (init).",
    subcommands = {ClusterCheck.class, ClusterInit.class})
final class ClusterCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}

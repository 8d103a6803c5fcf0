package dev.mlscale.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

@Command(
    name = "cluster",
    description = "Is a cluster ready for mlscale (check), and make a namespace ready (init).",
    subcommands = {ClusterCheck.class, ClusterInit.class})
final class ClusterCommand extends CommandGroup {
  /** cluster check and init always talk to the kubeconfig's cluster: --target means nothing. */
  static void refuseTarget(CommandSpec command) {
    if (command.commandLine().getParseResult().hasMatchedOption("--target")) {
      throw new dev.mlscale.error.UserError(
          "mlscale cluster "
              + command.name()
              + " always works on the cluster of the kubeconfig context; drop --target (pick the"
              + " cluster with --context)");
    }
  }
}

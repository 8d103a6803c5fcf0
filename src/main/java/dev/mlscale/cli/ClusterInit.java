package dev.mlscale.cli;

import dev.mlscale.cluster.ClusterInitializer;
import dev.mlscale.cluster.InitInput;
import dev.mlscale.cluster.InitRenderer;
import dev.mlscale.error.UserError;
import dev.mlscale.render.Manifests;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "init",
    description = {
      "Create what mlscale needs in a namespace, idempotently (server-side apply): the namespace,",
      "the RWX model-storage claim, the Role 'mlscale' (and ClusterRole 'mlscale-cluster') bound",
      "to the users you name, Argo's executor role for the namespace's pods, and the Secrets",
      "s3-credentials (from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) and slack-webhook (from",
      "SLACK_WEBHOOK_URL) when those are set."
    })
final class ClusterInit extends CliCommand {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec command;

  @Mixin ClusterOptions cluster = new ClusterOptions();

  @Mixin ClaimOptions storage = new ClaimOptions();

  @Option(
      names = "--size",
      defaultValue = "50Gi",
      description = "The claim's size. Default: ${DEFAULT-VALUE}.")
  String size;

  @Option(
      names = "--user",
      paramLabel = "NAME",
      description = "A user to bind the Role to (repeatable).")
  List<String> users = new ArrayList<>();

  @Option(
      names = "--group",
      paramLabel = "NAME",
      description = "A group to bind the Role to (repeatable).")
  List<String> groups = new ArrayList<>();

  @Option(
      names = "--service-account",
      paramLabel = "[NS:]NAME",
      description = "A ServiceAccount to bind the Role to (repeatable).")
  List<String> serviceAccounts = new ArrayList<>();

  @Option(
      names = "--dry-run",
      description = "Print the objects as YAML (Secret values left out); change nothing.")
  boolean dryRun;

  @Override
  public Integer call() {
    ClusterCommand.refuseTarget(command);
    if (cluster.namespace == null) {
      throw new UserError("name the namespace to prepare with -n NAMESPACE");
    }
    var input =
        new InitInput(
            cluster.namespace,
            storage.storageClass,
            storage.claim,
            size,
            users,
            groups,
            serviceAccounts,
            ctx.env());
    var objects = InitRenderer.render(input);
    if (dryRun) {
      ctx.out().print(Manifests.yaml(InitRenderer.redacted(objects)));
      return 0;
    }
    List<ClusterInitializer.Applied> applied;
    try (var connection = new AutoClose(cluster.connect(ctx))) {
      applied = new ClusterInitializer(connection.get()).apply(objects);
    }
    Table t = new Table("KIND", "NAME", "RESULT");
    applied.forEach(a -> t.row(a.kind(), a.name(), a.result()));
    t.print(ctx.out(), "");
    if (users.isEmpty() && groups.isEmpty() && serviceAccounts.isEmpty()) {
      ctx.out()
          .println(
              ctx.style()
                  .dim("no --user, --group or --service-account: the Role is bound to nobody yet"));
    }
    InitRenderer.secretSources()
        .forEach(
            (secret, vars) -> {
              if (vars.stream().anyMatch(v -> ctx.env().getOrDefault(v, "").isEmpty())) {
                ctx.out()
                    .println(
                        ctx.style()
                            .dim(
                                "Secret "
                                    + secret
                                    + " skipped: set "
                                    + String.join(" and ", vars)));
              }
            });
    ctx.out().println("next: mlscale cluster check -n " + cluster.namespace);
    return 0;
  }
}

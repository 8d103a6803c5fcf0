package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import dev.mlscale.notebook.NotebookRequest;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.DurationValue;
import dev.mlscale.spec.FieldSupport;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What {@code notebook} and {@code notebook render} share: the job spec and the settings. */
final class NotebookOptions {
  @Parameters(
      paramLabel = "JOB_SPEC",
      arity = "0..1",
      description =
          "The job whose environment, params, code and resources the notebook gets. Without it:"
              + " a notebook of its own in the current directory (image python:3.11-slim).")
  Path spec;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a spec field.")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--name", description = "The notebook's name. Default: the job's name.")
  String name;

  @Option(
      names = "--user",
      description = "Whose notebook (the workspace is per user). Default: $USER.")
  String user;

  @Option(
      names = "--idle-timeout",
      defaultValue = "1h",
      description =
          "Stop the server after this long without activity (no request, no busy kernel);"
              + " 0: never. Default: ${DEFAULT-VALUE}.")
  String idleTimeout;

  @Option(
      names = "--workspace-size",
      defaultValue = "10Gi",
      description = "The workspace claim's size on the cluster. Default: ${DEFAULT-VALUE}.")
  String workspaceSize;

  @Option(
      names = "--workspace-class",
      description = "The workspace claim's storage class. Default: the cluster's default.")
  String workspaceClass;

  String user(Context ctx) {
    return NotebookLs.user(ctx, user);
  }

  /** The job spec (or the default one), checked for the target. */
  JobSpec job(Context ctx, FieldSupport.Target target) {
    if (spec == null) {
      if (!overrides.isEmpty()) {
        throw new UserError("--set needs a JOB_SPEC to override");
      }
      return JobSpec.ofCommand("notebook", "python:3.11-slim", ".", List.of("python3"));
    }
    JobSpec job = new SpecLoader().loadJob(spec, overrides);
    FieldSupport.print(ctx.err(), FieldSupport.checkJob(spec, overrides, target, null));
    NotebookRequest.unusedFieldsNote(spec, overrides).ifPresent(ctx.err()::println);
    return job;
  }

  NotebookRequest request(Context ctx, JobSpec job, int port) {
    Path file = spec != null ? spec : Path.of("notebook.yaml").toAbsolutePath();
    String n = name != null ? name : job.name();
    RunPlan plan = Planner.plan("notebook-" + NotebookRequest.dnsName(n, "--name"), job, file);
    return new NotebookRequest(n, user(ctx), plan, idle(), port, workspaceSize, workspaceClass);
  }

  private Duration idle() {
    if (idleTimeout.strip().equals("0")) {
      return Duration.ZERO;
    }
    try {
      return DurationValue.parse(idleTimeout).duration();
    } catch (IllegalArgumentException e) {
      throw new UserError("--idle-timeout: " + e.getMessage() + "; or 0 for never");
    }
  }
}

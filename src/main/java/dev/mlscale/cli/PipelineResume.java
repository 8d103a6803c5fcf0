package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "resume",
    description = {
      "Continue a local pipeline run whose mlscale process died (shown Interrupted), under the"
          + " same id: what ended stays, the tasks that were running run again from the start"
          + " (what is left of them is stopped first), then the rest and the exit task."
    })
final class PipelineResume extends CliCommand {
  @Parameters(paramLabel = "PIPELINE_RUN", description = "The pipeline run's id or a prefix.")
  String id;

  @Mixin PipelineOutput shown = new PipelineOutput();

  @Override
  public Integer call() throws InterruptedException {
    String runId = ctx.pipelines().get(id).id();
    // first the lock: of two resumes one goes on, the other is told who runs it
    try (var owner = PipelineOwners.own(ctx, runId)) {
      var record = ctx.pipelines().get(runId);
      if (!record.state().equals("Running")) {
        throw new UserError(
            "pipeline run "
                + runId
                + " has ended ("
                + record.state()
                + "); resume continues a run whose mlscale process died"
                + (record.state().equals("Succeeded")
                    ? ""
                    : ", 'mlscale pipeline retry " + runId + "' runs what did not succeed again"));
      }
      Long was = record.ownerPid();
      if (was != null
          && was != ProcessHandle.current().pid()
          && ProcessHandle.of(was).map(ProcessHandle::isAlive).orElse(false)) {
        throw new UserError(
            "pipeline run "
                + runId
                + " is still running in process "
                + was
                + "; stop that one first, or follow it with 'mlscale pipeline status "
                + runId
                + " -w'");
      }
      var stored = PipelineConsole.Stored.of(ctx, record);
      ctx.err()
          .println(
              ctx.style().bold("▶ resuming pipeline " + runId)
                  + "  what ended is kept, workspace "
                  + stored.workspace());
      return PipelineConsole.run(
          ctx,
          runId,
          stored.spec(),
          stored.dag(),
          shown,
          (runner, listener, output) ->
              runner.resume(
                  runId, stored.spec(), stored.file(), stored.workspace(), listener, output));
    }
  }
}

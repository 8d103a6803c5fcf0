package dev.mlscale.cli;

import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.JobRenderer;
import dev.mlscale.render.Manifests;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "render",
    mixinStandardHelpOptions = true,
    description = {
      "Print the Kubernetes objects a job spec becomes, without touching a cluster:",
      "a ConfigMap with the code, params and helper, and a batch/v1 Job. For review and GitOps."
    })
final class RenderCommand implements Callable<Integer> {
  private final Context ctx;

  @Parameters(paramLabel = "SPEC", description = "The job spec (YAML).")
  Path spec;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a spec field.")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = {"-n", "--namespace"},
      description =
          "The namespace of the objects. Default: the spec's kubernetes.namespace, else"
              + " 'default'.")
  String namespace;

  @Option(names = "--run-id", description = "Use this run id instead of a new random one.")
  String runId;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "yaml",
      description = "yaml or json. Default: ${DEFAULT-VALUE}.")
  OutputFormat output;

  RenderCommand(Context ctx) {
    this.ctx = ctx;
  }

  @Override
  public Integer call() {
    JobSpec job = new SpecLoader().loadJob(spec, overrides);
    RunPlan plan = Planner.plan(runId == null ? Planner.newRunId(job.name()) : runId, job, spec);
    String ns =
        namespace != null
            ? namespace
            : job.kubernetes().namespace() != null ? job.kubernetes().namespace() : "default";
    var rendered =
        JobRenderer.render(
            new RenderInput(plan, ns, CodeArchive.of(plan.workdir()), PythonHelper.source()));
    ctx.out()
        .print(
            output == OutputFormat.JSON
                ? Manifests.json(rendered.objects()) + "\n"
                : Manifests.yaml(rendered.objects()));
    return 0;
  }
}

package dev.mlscale.pipeline;

import dev.mlscale.error.UserError;
import dev.mlscale.plan.AttemptPolicy;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.JobRenderer;
import dev.mlscale.render.Labels;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.MemorySize;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Compiles a pipeline into an Argo Workflows {@code Workflow} (pure code): one DAG template whose
 * tasks mirror the pipeline's nodes, one container template per node built by the same pod steps as
 * a Job (resources, GPUs, pools, params, code, secrets, model storage), a per-run RWX workspace
 * from {@code volumeClaimTemplates}, {@code retryStrategy} from retries, and the exit task as
 * {@code onExit}. Each job node's code and params travel in its own ConfigMap.
 */
public final class ArgoCompiler {
  public static final String API_VERSION = "argoproj.io/v1alpha1";

  /** What Argo accepts for one Workflow object (its node status is capped at 1 MiB too). */
  public static final long MAX_BYTES = 1 << 20;

  /**
   * The volume (a claim per run, from volumeClaimTemplates) shared by all the run's tasks. Not
   * "workspace": a job's pod already has an emptyDir of that name for its code, and a template's
   * volume of the same name hides the Workflow's claim, so each task saw an empty directory of its
   * own (found on the real node; simulated pods never read a file).
   */
  static final String RUN_WORKSPACE = "run-workspace";

  static final String WORKSPACE = "/mlscale/workspace";
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private ArgoCompiler() {}

  /**
   * The Workflow, the ConfigMaps its templates mount and the headless Services of its distributed
   * tasks' workers ({@link ArgoGang}); all made before the Workflow and then owned by it.
   */
  public record Compiled(
      GenericKubernetesResource workflow, List<ConfigMap> configMaps, List<Service> services) {
    public Compiled(GenericKubernetesResource workflow, List<ConfigMap> configMaps) {
      this(workflow, configMaps, List.of());
    }

    /** What is created before the Workflow, and owned by it once it exists. */
    public List<HasMetadata> owned() {
      List<HasMetadata> all = new ArrayList<>(configMaps);
      all.addAll(services);
      return all;
    }

    public List<HasMetadata> objects() {
      List<HasMetadata> all = owned();
      all.add(workflow);
      return all;
    }
  }

  /** Compiles a pipeline file: reads it and its job files, packs each workdir once. */
  public static Compiled compileFile(
      Path file, List<String> overrides, String id, String namespace) {
    return compileFile(file, overrides, id, namespace, dev.mlscale.plan.PipSources.NONE);
  }

  /**
   * As above; {@code pip} names the package indexes that job tasks' {@code setup} uses when their
   * spec names none (the user's pip configuration).
   */
  public static Compiled compileFile(
      Path file,
      List<String> overrides,
      String id,
      String namespace,
      dev.mlscale.plan.PipSources pip) {
    PipelineSpec spec =
        new dev.mlscale.spec.SpecLoader().load(file, PipelineSpec.class, overrides).spec();
    Map<Path, CodeArchive> cache = new LinkedHashMap<>();
    return compile(
        id == null ? Planner.newRunId(spec.name()) : id,
        namespace,
        spec,
        file,
        dev.mlscale.backend.local.PythonHelper.source(),
        dir -> cache.computeIfAbsent(dir, CodeArchive::of),
        pip);
  }

  /**
   * A job task with {@code for_each} compiles to ONE template and ONE DAG task with {@code
   * withSequence}: each item is a row of the template's rows file (the row launcher of Indexed
   * Jobs), so a 1,000-way fan-out costs one template, not 1,000. Its nodes show in Argo as {@code
   * train(0:0)}, which {@link #nodeName} turns back into {@code train-0}.
   *
   * @param file the pipeline file; job files and workdirs are relative to it
   */
  public static Compiled compile(
      String id,
      String namespace,
      PipelineSpec spec,
      Path file,
      byte[] helper,
      Function<Path, CodeArchive> archives) {
    return compile(id, namespace, spec, file, helper, archives, dev.mlscale.plan.PipSources.NONE);
  }

  /** As above, with the package indexes for job tasks' {@code setup} (see {@link #compileFile}). */
  public static Compiled compile(
      String id,
      String namespace,
      PipelineSpec spec,
      Path file,
      byte[] helper,
      Function<Path, CodeArchive> archives,
      dev.mlscale.plan.PipSources pip) {
    Dag dag = Dag.of(file.toString(), spec);
    List<ConfigMap> configMaps = new ArrayList<>();
    List<Service> services = new ArrayList<>();
    List<Map<String, Object>> templates = new ArrayList<>();
    List<Map<String, Object>> tasks = new ArrayList<>();
    java.util.Set<String> compacted = new java.util.HashSet<>();
    for (Dag.Node n : dag.nodes()) {
      boolean fanOut = compact(n.task());
      if (fanOut && !compacted.add(n.task().name())) {
        continue;
      }
      String name = fanOut ? n.task().name() : n.name();
      Map<String, Object> task = new LinkedHashMap<>();
      task.put("name", name);
      task.put("template", name);
      List<String> deps =
          n.depends().stream()
              .map(d -> compact(dag.node(d).task()) ? dag.node(d).task().name() : d)
              .distinct()
              .toList();
      if (!deps.isEmpty()) {
        task.put("dependencies", deps);
      }
      Path jobFile = LocalPipelineRunner.fileOf(n, file);
      Map<String, Object> t;
      if (fanOut) {
        int count = n.task().forEach().size();
        task.put(
            "arguments",
            ordered("parameters", List.of(ordered("name", "row", "value", "{{item}}"))));
        task.put("withSequence", ordered("count", Integer.toString(count)));
        Dag.Node base = new Dag.Node(name, n.task(), Map.of(), n.depends());
        JobSpec job = LocalPipelineRunner.jobOf(base, spec, file);
        t =
            template(
                id,
                namespace,
                base,
                withWorkspace(job, id).withRows(n.task().forEach()),
                jobFile,
                helper,
                archives,
                pip,
                configMaps,
                services,
                null,
                false,
                dag.nodes().size());
      } else {
        t =
            n.task()
                .kind()
                .accept(
                    new TaskKind.Handler<Map<String, Object>>() {
                      @Override
                      public Map<String, Object> job() {
                        return template(
                            id,
                            namespace,
                            n,
                            LocalPipelineRunner.jobOf(n, spec, file),
                            jobFile,
                            helper,
                            archives,
                            pip,
                            configMaps,
                            services,
                            null,
                            false,
                            dag.nodes().size());
                      }

                      @Override
                      public Map<String, Object> slack(TaskSpec.SlackTask message) {
                        return job(); // the template makes the helper's Slack pod
                      }

                      @Override
                      public Map<String, Object> s3(S3Transfer transfer, boolean download) {
                        Map<String, Object> s3 = new LinkedHashMap<>();
                        s3.put("name", n.name());
                        s3.put(
                            "container",
                            map(
                                s3Container(
                                    download,
                                    LocalPipelineRunner.transferOf(n, spec, file),
                                    n.task().image(),
                                    spec.kubernetes() == null
                                        ? null
                                        : spec.kubernetes().awsCliImage())));
                        return s3;
                      }

                      @Override
                      public Map<String, Object> registerModel(TaskSpec.RegisterModel model) {
                        return registerTemplate(
                            id, namespace, dag, n, spec, file, helper, configMaps);
                      }
                    });
      }
      tasks.add(task);
      templates.add(t);
    }
    Map<String, Object> main = new LinkedHashMap<>();
    main.put("name", "main");
    main.put("dag", ordered("tasks", tasks));
    templates.add(0, main);
    if (spec.onExit() != null) {
      Dag.Node exit = new Dag.Node(spec.onExit().name(), spec.onExit(), ordered(), List.of());
      templates.add(
          template(
              id,
              namespace,
              exit,
              LocalPipelineRunner.jobOf(exit, spec, file),
              LocalPipelineRunner.fileOf(exit, file),
              helper,
              archives,
              pip,
              configMaps,
              services,
              null,
              true,
              dag.nodes().size()));
    }
    Map<String, Object> workflowSpec = new LinkedHashMap<>();
    workflowSpec.put("entrypoint", "main");
    if (spec.onExit() != null) {
      workflowSpec.put("onExit", spec.onExit().name());
    }
    workflowSpec.put("parallelism", spec.parallelism());
    if (spec.kubernetes() != null) {
      PipelinePlacement where = spec.kubernetes();
      if (!where.selector().isEmpty()) {
        workflowSpec.put("nodeSelector", where.selector());
      }
      if (!where.tolerations().isEmpty()) {
        workflowSpec.put(
            "tolerations",
            where.tolerations().stream()
                .map(
                    t -> {
                      Map<String, Object> m = new LinkedHashMap<>();
                      m.put("key", t.key());
                      m.put("operator", t.operator());
                      if (t.value() != null) {
                        m.put("value", t.value());
                      }
                      if (t.effect() != null) {
                        m.put("effect", t.effect());
                      }
                      return m;
                    })
                .toList());
      }
      if (where.serviceAccount() != null) {
        workflowSpec.put("serviceAccountName", where.serviceAccount());
      }
    }
    workflowSpec.put(
        "podMetadata",
        ordered("labels", ordered(Labels.MANAGED_BY, Labels.MLSCALE, Labels.RUN, id)));
    workflowSpec.put(
        "volumeClaimTemplates",
        List.of(
            ordered(
                "metadata", ordered("name", RUN_WORKSPACE),
                "spec",
                    ordered(
                        "accessModes",
                        List.of("ReadWriteMany"),
                        "storageClassName",
                        "nfs-storage",
                        "resources",
                        ordered("requests", ordered("storage", "1Gi"))))));
    // Argo deletes the claim when the Workflow ends; a failed run keeps it for 'pipeline retry'
    // (the claim is owned by the Workflow, so it goes when the Workflow is deleted)
    workflowSpec.put("volumeClaimGC", ordered("strategy", "OnWorkflowSuccess"));
    workflowSpec.put("templates", templates);
    workflowSpec.put("ttlStrategy", ordered("secondsAfterCompletion", 86_400));
    GenericKubernetesResource wf =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(API_VERSION)
            .withKind("Workflow")
            .withNewMetadata()
            .withName(id)
            .withNamespace(namespace)
            .addToLabels(Labels.MANAGED_BY, Labels.MLSCALE)
            .addToLabels(Labels.RUN, id)
            .addToLabels("mlscale.dev/pipeline", spec.name())
            .endMetadata()
            .addToAdditionalProperties("spec", workflowSpec)
            .build();
    long size = SERIALIZATION.asJson(wf).getBytes(StandardCharsets.UTF_8).length;
    if (size > MAX_BYTES) {
      throw new UserError(
          "pipeline "
              + spec.name()
              + " compiles to a Workflow of "
              + MemorySize.human(size)
              + " ("
              + dag.nodes().size()
              + " tasks), more than the "
              + MemorySize.human(MAX_BYTES)
              + " that Argo and etcd accept for one object; write many similar tasks as one"
              + " task with for_each (it compiles to a single template), or split the pipeline");
    }
    return new Compiled(wf, List.copyOf(configMaps), List.copyOf(services));
  }

  private static Map<String, Object> template(
      String id,
      String namespace,
      Dag.Node n,
      JobSpec job,
      Path file,
      byte[] helper,
      Function<Path, CodeArchive> archives,
      dev.mlscale.plan.PipSources pip,
      List<ConfigMap> configMaps,
      List<Service> services,
      S3Transfer transfer,
      boolean exitTask,
      int taskCount) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("name", n.name());
    if (transfer != null) {
      t.put(
          "container",
          map(
              s3Container(
                  n.task().kind() instanceof TaskKind.S3Download,
                  transfer,
                  n.task().image(),
                  null)));
      return t;
    }
    if (n.task().kind() instanceof TaskKind.Slack) {
      String lib = libConfigMap(id, namespace, helper, configMaps);
      var slack = n.task().slack();
      // {{tasks}} and {{best}} are filled in by the helper in the pod (from workflow.failures and
      // the metrics the runs left in the workspace); Argo must not see them as its variables.
      String text =
          slack
              .text()
              .replace("{{pipeline}}", "{{workflow.name}}")
              .replace("{{status}}", "{{workflow.status}}")
              .replace("{{duration}}", "{{workflow.duration}}s")
              .replace("{{tasks}}", "@@tasks@@")
              .replace("{{best}}", "@@best@@");
      Map<String, String> env = new LinkedHashMap<>();
      env.put("PYTHONPATH", "/etc/mlscale/lib");
      env.put("MLSCALE_SLACK_TEXT", text);
      env.put("MLSCALE_WORKSPACE", WORKSPACE);
      env.put("MLSCALE_PIPELINE_RUN", id);
      env.put("MLSCALE_SLACK_TASKS", Integer.toString(taskCount));
      if (exitTask) {
        env.put("MLSCALE_SLACK_FAILURES", "{{workflow.failures}}");
      }
      if (slack.bestMetric() != null) {
        env.put("MLSCALE_SLACK_BEST_METRIC", slack.bestMetric());
        env.put("MLSCALE_SLACK_GOAL", slack.goal());
      }
      Container c =
          helperContainer("slack", env)
              .addNewEnv()
              .withName("MLSCALE_SLACK_URL")
              .withNewValueFrom()
              .withNewSecretKeyRef(
                  slack.webhookSecret().key(), slack.webhookSecret().secret(), false)
              .endValueFrom()
              .endEnv()
              .build();
      t.put("container", map(c));
      t.put("volumes", List.of(ordered("name", "lib", "configMap", ordered("name", lib))));
      return t;
    }
    if (job.image() == null) {
      throw new UserError(
          "task '"
              + n.name()
              + "' has no image; on Kubernetes every task runs in"
              + " a container: add image: (e.g. python:3.11-slim) to the task, or once at the"
              + " top of the pipeline for all its tasks");
    }
    RenderInput input;
    if (job.rows().isEmpty()) {
      RunPlan plan = Planner.plan(id + "-" + n.name(), withWorkspace(job, id), file);
      input = new RenderInput(plan, namespace, archives.apply(plan.workdir()), helper).withPip(pip);
      if (job.distributedOpt().isPresent()) {
        if (exitTask) {
          throw new UserError(
              "the exit task '"
                  + n.name()
                  + "' runs a distributed job, which a pipeline on Argo cannot do: make it a"
                  + " task of the dag and keep the exit task a single worker");
        }
        return ArgoGang.template(n.name(), id, input, job, configMaps, services);
      }
    } else {
      // one run per row, named as the local runner names them: ID-train-0, ID-train-1, ...
      String group = id + "-" + n.name();
      List<RunPlan> runs = new ArrayList<>();
      for (int i = 0; i < job.rows().size(); i++) {
        runs.add(Planner.plan(group + "-" + i, job.forRow(job.rows().get(i)), file));
      }
      var submission = new dev.mlscale.plan.Submission(group, job, runs, true, runs.size());
      input =
          RenderInput.of(submission, namespace, archives.apply(runs.get(0).workdir()), helper)
              .withPip(pip);
    }
    var rendered = JobRenderer.render(input);
    configMaps.add((ConfigMap) rendered.objects().get(0));
    PodSpec pod = rendered.job().getSpec().getTemplate().getSpec();
    ContainerBuilder mainBuilder =
        new ContainerBuilder(pod.getContainers().get(0))
            .addNewVolumeMount()
            .withName(RUN_WORKSPACE)
            .withMountPath(WORKSPACE)
            .endVolumeMount();
    if (!job.rows().isEmpty()) {
      // the row launcher reads its row by index, as in an Indexed Job
      t.put("inputs", ordered("parameters", List.of(ordered("name", "row"))));
      mainBuilder
          .addNewEnv()
          .withName("JOB_COMPLETION_INDEX")
          .withValue("{{inputs.parameters.row}}")
          .endEnv();
      // A row's model sub-path names its index. An Indexed Job expands $(JOB_COMPLETION_INDEX)
      // in subPathExpr; here Argo puts the row in (its wait container mirrors the main
      // container's mounts without its environment, so an expression fails to start there: found
      // on the real node).
      List<io.fabric8.kubernetes.api.model.VolumeMount> mounts = new ArrayList<>();
      for (var m : mainBuilder.buildVolumeMounts()) {
        if (m.getSubPathExpr() != null) {
          m =
              new io.fabric8.kubernetes.api.model.VolumeMountBuilder(m)
                  .withSubPath(
                      m.getSubPathExpr()
                          .replace("$(JOB_COMPLETION_INDEX)", "{{inputs.parameters.row}}"))
                  .withSubPathExpr(null)
                  .build();
        }
        mounts.add(m);
      }
      mainBuilder.withVolumeMounts(mounts);
    }
    if (exitTask) {
      // as locally: the exit task knows how the pipeline ended (found by a real container; the
      // simulated pods never read their environment)
      mainBuilder
          .addNewEnv()
          .withName("MLSCALE_PIPELINE_STATUS")
          .withValue("{{workflow.status}}")
          .endEnv();
    }
    Container main = mainBuilder.build();
    Map<String, String> annotations = job.kubernetes().podAnnotations();
    if (!annotations.isEmpty()) {
      t.put("metadata", ordered("annotations", annotations));
    }
    t.put("container", map(main));
    t.put("initContainers", pod.getInitContainers().stream().map(ArgoCompiler::map).toList());
    t.put("volumes", pod.getVolumes().stream().map(ArgoCompiler::map).toList());
    if (pod.getServiceAccountName() != null) {
      t.put("serviceAccountName", pod.getServiceAccountName());
    }
    if (pod.getNodeSelector() != null && !pod.getNodeSelector().isEmpty()) {
      t.put("nodeSelector", pod.getNodeSelector());
    }
    if (!pod.getTolerations().isEmpty()) {
      t.put("tolerations", pod.getTolerations().stream().map(ArgoCompiler::map).toList());
    }
    job.timeoutOpt().ifPresent(d -> t.put("activeDeadlineSeconds", d.seconds()));
    List<String> ladder = oomLadder(job);
    int oomSteps = Math.max(0, ladder.size() - 1);
    int limit = job.retries().limit() + oomSteps;
    if (limit > 0) {
      Map<String, Object> retry =
          ordered("limit", Integer.toString(limit), "retryPolicy", "Always");
      if (oomSteps > 0) {
        // an OOMKilled try is retried (with more memory) up to the ladder's end; any other
        // failure only while fewer than `retries` tries were made (each try, whatever failed it,
        // gets the next memory step: Argo numbers tries, not their reasons)
        String oom = "lastRetry.message contains 'OOMKilled' || lastRetry.exitCode == '137'";
        retry.put(
            "expression",
            job.retries().limit() == 0
                ? oom
                : oom + " || asInt(retries) < " + job.retries().limit());
      }
      if (job.retries().limit() > 0) {
        retry.put(
            "backoff",
            ordered(
                "duration",
                job.retries().backoff().toString(),
                "factor",
                "2",
                "maxDuration",
                job.retries().maxBackoff().toString()));
      }
      t.put("retryStrategy", retry);
    }
    if (ladder.size() > 1) {
      // try N runs with the N-th memory of the ladder (the last one for any further try)
      List<String> steps = new ArrayList<>(ladder);
      while (steps.size() <= limit) {
        steps.add(ladder.get(ladder.size() - 1));
      }
      String memory =
          "{{=["
              + String.join(",", steps.stream().map(q -> "'" + q + "'").toList())
              + "][asInt(retries)]}}";
      t.put(
          "podSpecPatch",
          SERIALIZATION.asJson(
              ordered(
                  "containers",
                  List.of(
                      ordered(
                          "name",
                          "main",
                          "resources",
                          ordered(
                              "requests",
                              ordered("memory", memory),
                              "limits",
                              ordered("memory", memory)))))));
    }
    return t;
  }

  /**
   * The memory of each try under {@code on_oom}: the job's, then {@code increase} times more each
   * time, up to {@code max}; just the job's own without on_oom.
   */
  static List<String> oomLadder(JobSpec job) {
    return AttemptPolicy.of(job).memorySteps(job.resources().memory()).stream()
        .map(MemorySize::toQuantity)
        .toList();
  }

  /** The AWS CLI copies between the bucket and the workspace; keys come from a Secret. */
  /** The AWS CLI's image for S3 tasks that name none (a task's {@code image} replaces it). */
  static final String AWS_CLI_IMAGE = "amazon/aws-cli:2.17.0";

  private static Container s3Container(
      boolean down, S3Transfer s, String image, String pipelineImage) {
    if (s.createBucket()) {
      throw new UserError(
          "s3_upload to bucket "
              + s.bucket()
              + " has create_bucket: true, which works on this machine only; on the cluster"
              + " create the bucket first and remove create_bucket");
    }
    List<String> argv = new ArrayList<>(List.of("aws"));
    if (s.endpoint() != null) {
      argv.addAll(List.of("--endpoint-url", s.endpoint()));
    }
    argv.addAll(List.of("--region", s.region(), "s3", "cp"));
    String remote = "s3://" + s.bucket() + "/" + (down && s.key() != null ? s.key() : s.prefix());
    String local =
        WORKSPACE
            + "/"
            + (down ? (s.to() == null ? "" : s.to()) : (s.from() == null ? "" : s.from()));
    boolean recursive = !down || s.key() == null;
    argv.addAll(down ? List.of(remote, local) : List.of(local, remote));
    if (recursive) {
      argv.add("--recursive");
    }
    return new ContainerBuilder()
        .withName("main")
        .withImage(image != null ? image : pipelineImage != null ? pipelineImage : AWS_CLI_IMAGE)
        .withCommand(argv)
        .addNewEnv()
        .withName("AWS_ACCESS_KEY_ID")
        .withNewValueFrom()
        .withNewSecretKeyRef("access-key", s.credentialsSecret(), false)
        .endValueFrom()
        .endEnv()
        .addNewEnv()
        .withName("AWS_SECRET_ACCESS_KEY")
        .withNewValueFrom()
        .withNewSecretKeyRef("secret-key", s.credentialsSecret(), false)
        .endValueFrom()
        .endEnv()
        .addNewVolumeMount()
        .withName(RUN_WORKSPACE)
        .withMountPath(WORKSPACE)
        .endVolumeMount()
        .build();
  }

  /** The ConfigMap with the Python helper that built-in task pods run (made once per run). */
  private static String libConfigMap(
      String id, String namespace, byte[] helper, List<ConfigMap> configMaps) {
    String lib = id + "-lib";
    if (configMaps.stream().noneMatch(c -> c.getMetadata().getName().equals(lib))) {
      configMaps.add(
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(lib)
              .withNamespace(namespace)
              .addToLabels(Labels.MANAGED_BY, Labels.MLSCALE)
              .addToLabels(Labels.RUN, id)
              .endMetadata()
              .withImmutable(true)
              .addToData("mlscale.py", new String(helper, StandardCharsets.UTF_8))
              .build());
    }
    return lib;
  }

  static final String MODELS_ROOT = "/mlscale/models";

  /**
   * The container of a built-in task run by the Python helper ({@code python3 -m mlscale
   * SUBCOMMAND}): {@code env} in order, the helper (ConfigMap "lib") and the run's workspace
   * mounted.
   */
  private static ContainerBuilder helperContainer(String subcommand, Map<String, String> env) {
    ContainerBuilder cb =
        new ContainerBuilder()
            .withName("main")
            .withImage("python:3.11-slim")
            .withCommand("python3", "-m", "mlscale", subcommand);
    env.forEach((k, v) -> cb.addNewEnv().withName(k).withValue(v).endEnv());
    return cb.addNewVolumeMount()
        .withName("lib")
        .withMountPath("/etc/mlscale/lib")
        .endVolumeMount()
        .addNewVolumeMount()
        .withName(RUN_WORKSPACE)
        .withMountPath(WORKSPACE)
        .endVolumeMount();
  }

  /**
   * A register_model task: the helper picks the best run by the metrics the runs left in the
   * workspace and copies its model (from the model storage, where each run's job saved it) to
   * models/NAME/RUN there.
   */
  private static Map<String, Object> registerTemplate(
      String id,
      String namespace,
      Dag dag,
      Dag.Node n,
      PipelineSpec spec,
      Path file,
      byte[] helper,
      List<ConfigMap> configMaps) {
    TaskSpec.RegisterModel r = n.task().registerModel();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PYTHONPATH", "/etc/mlscale/lib");
    env.put("MLSCALE_WORKSPACE", WORKSPACE);
    env.put("MLSCALE_MODELS_ROOT", MODELS_ROOT);
    env.put("MLSCALE_PIPELINE_RUN", id);
    env.put("MLSCALE_MODEL_NAME", r.name());
    String claim = "model-storage";
    if (r.bestOf() != null) {
      Dag.Node first =
          dag.nodes().stream()
              .filter(m -> m.task().name().equals(r.bestOf()))
              .findFirst()
              .orElseThrow();
      JobSpec job = LocalPipelineRunner.jobOf(first, spec, file);
      if (job == null || job.outputsOpt().isEmpty()) {
        throw new UserError(
            file
                + ": task '"
                + n.name()
                + "' takes the best model of '"
                + r.bestOf()
                + "', whose job saves no model; give it outputs: {model: NAME}");
      }
      claim = job.kubernetes().modelStorage();
      String folder = "models/" + job.outputsOpt().get().model() + "/" + id + "-" + r.bestOf();
      if (compact(first.task())) {
        // run ID-train-I saved its model in FOLDER-rI (the row's subPathExpr); one line for N
        env.put(
            "MLSCALE_BEST_SEQUENCE",
            SERIALIZATION.asJson(
                ordered(
                    "run",
                    id + "-" + r.bestOf() + "-",
                    "folder",
                    folder + "-r",
                    "count",
                    first.task().forEach().size())));
      } else {
        env.put("MLSCALE_BEST_RUNS", SERIALIZATION.asJson(ordered(id + "-" + r.bestOf(), folder)));
      }
      env.put("MLSCALE_BEST_METRIC", r.metric());
      env.put("MLSCALE_BEST_GOAL", r.goal());
    } else {
      env.put("MLSCALE_MODEL_FROM", r.from());
    }
    if (r.to() != null) {
      env.put("MLSCALE_MODEL_TO", r.to());
    }
    String lib = libConfigMap(id, namespace, helper, configMaps);
    Container c =
        helperContainer("register-model", env)
            .addNewVolumeMount()
            .withName("model-storage")
            .withMountPath(MODELS_ROOT)
            .endVolumeMount()
            .build();
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("name", n.name());
    t.put("container", map(c));
    t.put(
        "volumes",
        List.of(
            ordered("name", "lib", "configMap", ordered("name", lib)),
            ordered(
                "name", "model-storage", "persistentVolumeClaim", ordered("claimName", claim))));
    return t;
  }

  /** Whether a task's fan-out compiles to one template with withSequence (job tasks do). */
  static boolean compact(TaskSpec task) {
    return !task.forEach().isEmpty() && task.kind().isJob();
  }

  private static final java.util.regex.Pattern RETRY =
      java.util.regex.Pattern.compile("(.+)\\((\\d+)\\)");
  private static final java.util.regex.Pattern ITEM =
      java.util.regex.Pattern.compile("(.+?)\\((\\d+):.*\\)");

  /**
   * The pipeline's name for an Argo node's display name: {@code train(3:3)} is {@code train-3}; a
   * retry's {@code train(1)} is {@code train (try 2)}.
   */
  public static String nodeName(String displayName) {
    java.util.regex.Matcher retry = RETRY.matcher(displayName);
    if (retry.matches()) {
      return nodeName(retry.group(1)) + " (try " + (Integer.parseInt(retry.group(2)) + 1) + ")";
    }
    java.util.regex.Matcher item = ITEM.matcher(displayName);
    return item.matches() ? item.group(1) + "-" + item.group(2) : displayName;
  }

  private static JobSpec withWorkspace(JobSpec job, String id) {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("MLSCALE_WORKSPACE", WORKSPACE);
    env.put("MLSCALE_PIPELINE_RUN", id);
    return job.withEnv(env);
  }

  /** A map that keeps the order written, so that the output is deterministic. */
  private static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object o) {
    return SERIALIZATION.convertValue(o, Map.class);
  }
}

package dev.mlscale.render;

import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.KubernetesOptions;
import dev.mlscale.spec.Resources;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The features of a job, each a small pure step from pod parts to new pod parts, in the order the
 * renderer applies them. No step changes its input.
 */
final class PodSteps {
  static final String MAIN = "main";
  static final String WORKSPACE = "/workspace";
  static final String FILES = "/etc/mlscale/files";
  static final String LIB = "/etc/mlscale/lib";
  static final String OUTPUT = "/mlscale/output";
  static final String ENVS = "/mlscale/envs";
  static final String SETUP = "setup-env";

  /** The setup container's exit code when the environment cannot be built (pip failed, ...). */
  static final int SETUP_FAILED_EXIT = 3;

  /** PATH in the job's containers when it has a setup: the environment first, then the usual. */
  static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

  static final String GPU = "nvidia.com/gpu";
  static final String GPU_PRODUCT = "nvidia.com/gpu.product";

  /**
   * For rows, the container starts the helper, which reads its row (by {@code
   * JOB_COMPLETION_INDEX}) from rows.json, writes the row's params file and execs the row's
   * argument vector: no shell, and one pod template serves every row.
   */
  static final List<String> ROW_LAUNCHER = List.of("python3", "-m", "mlscale", "row");

  private PodSteps() {}

  interface Step {
    PodParts apply(PodParts parts, RenderInput in);
  }

  static List<Step> all() {
    return List.of(
        PodSteps::command,
        PodSteps::files,
        PodSteps::setup,
        PodSteps::resources,
        PodSteps::gpus,
        PodSteps::placement,
        PodSteps::modelStorage,
        Gang::step);
  }

  /** The program, its arguments and environment, as an argument vector (never a shell string). */
  static PodParts command(PodParts parts, RenderInput in) {
    RunPlan plan = in.plan();
    List<EnvVar> env = new ArrayList<>();
    Map<String, String> vars = new LinkedHashMap<>();
    if (in.rowsOpt().isPresent()) {
      vars.put("MLSCALE_GROUP", in.runId());
    } else {
      vars.put("MLSCALE_RUN_ID", plan.runId());
    }
    vars.put("PYTHONUNBUFFERED", "1");
    vars.put("MLSCALE_TERMINATION_LOG", "/dev/termination-log");
    vars.putAll(new java.util.TreeMap<>(plan.env()));
    vars.forEach((k, v) -> env.add(new EnvVar(k, v, null)));
    new java.util.TreeMap<>(plan.spec().secrets())
        .forEach(
            (name, ref) ->
                env.add(
                    new io.fabric8.kubernetes.api.model.EnvVarBuilder()
                        .withName(name)
                        .withNewValueFrom()
                        .withNewSecretKeyRef(ref.key(), ref.secret(), false)
                        .endValueFrom()
                        .build()));
    return parts.withMain(
        c ->
            new ContainerBuilder(c)
                .withImage(plan.spec().image())
                .withCommand(in.rowsOpt().isPresent() ? ROW_LAUNCHER : plan.argv())
                .withWorkingDir(WORKSPACE)
                .addAllToEnv(env)
                .withTerminationMessagePolicy("FallbackToLogsOnError")
                .build());
  }

  /**
   * Code, parameters and the Python helper travel in one immutable ConfigMap: the workdir as a
   * tar.gz unpacked by an init container (with Python's own tarfile module, so no shell), the
   * params as the JSON file {@code $MLSCALE_PARAMS_FILE}, the helper on {@code PYTHONPATH}.
   */
  static PodParts files(PodParts parts, RenderInput in) {
    String name = in.objectsName() + "-files";
    var cm =
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(in.namespace())
            .withLabels(JobRenderer.labels(in.runId(), in.plan().name()))
            .endMetadata()
            .withImmutable(true)
            .addToData("params.json", in.plan().paramsJson())
            .addToData(in.rowsOpt().map(PodSteps::rowsJson).orElse(Map.of()))
            .addToData("mlscale.py", new String(in.helperSource(), StandardCharsets.UTF_8))
            .addToBinaryData("code.tar.gz", Base64.getEncoder().encodeToString(in.code().bytes()))
            .build();
    Container unpack =
        new ContainerBuilder()
            .withName("unpack-code")
            .withImage(in.plan().spec().image())
            .withCommand("python3", "-m", "tarfile", "-e", FILES + "/code.tar.gz", WORKSPACE)
            .addNewVolumeMount()
            .withName("files")
            .withMountPath(FILES)
            .withReadOnly(true)
            .endVolumeMount()
            .addNewVolumeMount()
            .withName("workspace")
            .withMountPath(WORKSPACE)
            .endVolumeMount()
            .withNewResources()
            .addToRequests("cpu", new Quantity("100m"))
            .addToRequests("memory", new Quantity("64Mi"))
            .addToLimits("memory", new Quantity("256Mi"))
            .endResources()
            .build();
    return parts
        .plusObject(cm)
        .plusVolume(
            new VolumeBuilder()
                .withName("files")
                .withNewConfigMap()
                .withName(name)
                .endConfigMap()
                .build())
        .plusVolume(
            new VolumeBuilder().withName("workspace").withNewEmptyDir().endEmptyDir().build())
        .plusInit(unpack)
        .withMain(
            c ->
                new ContainerBuilder(c)
                    .addNewEnv()
                    .withName("MLSCALE_PARAMS_FILE")
                    .withValue(FILES + "/params.json")
                    .endEnv()
                    .addNewEnv()
                    .withName("PYTHONPATH")
                    .withValue(LIB)
                    .endEnv()
                    .addNewVolumeMount()
                    .withName("files")
                    .withMountPath(FILES)
                    .withReadOnly(true)
                    .endVolumeMount()
                    .addToVolumeMounts(helperMount(), workspaceMount())
                    .build());
  }

  /** The Python helper, from the files ConfigMap, where {@code PYTHONPATH} finds it. */
  private static VolumeMount helperMount() {
    return new VolumeMountBuilder()
        .withName("files")
        .withMountPath(LIB + "/mlscale.py")
        .withSubPath("mlscale.py")
        .withReadOnly(true)
        .build();
  }

  /** The pod's own workspace, where the code is unpacked. */
  private static VolumeMount workspaceMount() {
    return new VolumeMountBuilder().withName("workspace").withMountPath(WORKSPACE).build();
  }

  /** The job's CPU request and memory request and limit, for every container that does its work. */
  private static ResourceRequirements jobResources(Resources r) {
    var b =
        new ResourceRequirementsBuilder().addToRequests("cpu", new Quantity(r.cpu().toQuantity()));
    if (r.memory() != null) {
      Quantity mem = new Quantity(r.memory().toQuantity());
      b.addToRequests("memory", mem).addToLimits("memory", mem);
    }
    return b.build();
  }

  /**
   * The job's {@code setup} on the cluster: an init container builds the Python environment once
   * per environment key into a shared cache on an RWX claim ({@code mlscale-envs/KEY} on {@code
   * kubernetes.env_storage}, by default the model storage), under a file lock, marking it ready
   * only when complete; every later pod with that key finds it ready and installs nothing. The main
   * container runs with the environment first on {@code PATH}.
   */
  static PodParts setup(PodParts parts, RenderInput in) {
    RunPlan plan = in.plan();
    if (plan.spec().setupOpt().isEmpty()) {
      return parts;
    }
    return setup(parts, in, plan.spec().setup(), List.of());
  }

  /** As above, for {@code setup} plus {@code packages} installed after its requirements. */
  static PodParts setup(
      PodParts parts, RenderInput in, dev.mlscale.spec.Setup setup, List<String> packages) {
    RunPlan plan = in.plan();
    String key = dev.mlscale.plan.EnvKey.of(setup, plan.workdir(), packages);
    String envDir = ENVS + "/" + key;
    List<String> args = new ArrayList<>(List.of(setup.python(), LIB + "/mlscale.py", "setup"));
    args.addAll(List.of("--key", key, "--cache", ENVS, "--image", plan.spec().image()));
    if (setup.requirements() != null) {
      args.addAll(List.of("--requirements", setup.requirements()));
    }
    for (String p : packages) {
      args.addAll(List.of("--package", p));
    }
    for (String command : setup.commands()) {
      args.addAll(List.of("--command", command));
    }
    dev.mlscale.plan.PipSources pip = in.pip().effective(setup);
    if (pip.indexUrl() != null) {
      args.addAll(List.of("--index-url", pip.indexUrl()));
    }
    for (String url : pip.extraIndexUrls()) {
      args.addAll(List.of("--extra-index-url", url));
    }
    if (setup.wheelhouse() != null) {
      args.addAll(List.of("--wheelhouse", ENVS + "/" + setup.wheelhouse()));
    }
    Resources r = plan.resources();
    ContainerBuilder init =
        new ContainerBuilder()
            .withName(SETUP)
            .withImage(plan.spec().image())
            .withCommand(args)
            .withWorkingDir(WORKSPACE)
            .addNewEnv()
            .withName("PYTHONUNBUFFERED")
            .withValue("1")
            .endEnv()
            .withTerminationMessagePolicy("FallbackToLogsOnError");
    if (setup.indexCredentials() != null) {
      for (String k : List.of("username", "password")) {
        init =
            init.addNewEnv()
                .withName("MLSCALE_INDEX_" + k.toUpperCase(java.util.Locale.ROOT))
                .withNewValueFrom()
                .withNewSecretKeyRef(k, setup.indexCredentials(), false)
                .endValueFrom()
                .endEnv();
      }
    }
    Container c =
        init.withResources(jobResources(r))
            .addToVolumeMounts(helperMount(), workspaceMount())
            .addNewVolumeMount()
            .withName("envs")
            .withMountPath(ENVS)
            .withSubPath("mlscale-envs")
            .endVolumeMount()
            .build();
    return parts
        .plusVolume(
            new VolumeBuilder()
                .withName("envs")
                .withNewPersistentVolumeClaim()
                .withClaimName(plan.spec().kubernetes().envStorage())
                .endPersistentVolumeClaim()
                .build())
        .plusInit(c)
        .withMain(
            m ->
                new ContainerBuilder(m)
                    .addNewEnv()
                    .withName("VIRTUAL_ENV")
                    .withValue(envDir)
                    .endEnv()
                    .addNewEnv()
                    .withName("PATH")
                    .withValue(envDir + "/bin:" + DEFAULT_PATH)
                    .endEnv()
                    .addNewVolumeMount()
                    .withName("envs")
                    .withMountPath(ENVS)
                    .withSubPath("mlscale-envs")
                    .withReadOnly(true)
                    .endVolumeMount()
                    .build());
  }

  /** The rows' runs, argument vectors and params, by index: read by the row launcher. */
  static Map<String, String> rowsJson(dev.mlscale.plan.Submission s) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (var run : s.runs()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("run", run.runId());
      row.put("argv", run.argv());
      row.put("params", run.spec().params());
      rows.add(row);
    }
    try {
      return Map.of(
          "rows.json",
          new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(rows) + "\n");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** CPU and memory: requested as asked; memory is also the limit, as it is locally. */
  static PodParts resources(PodParts parts, RenderInput in) {
    Resources r = in.plan().resources();
    return parts.withMain(
        c -> {
          return new ContainerBuilder(c)
              .withResources(jobResources(r))
              .addNewEnv()
              .withName("MLSCALE_CPUS")
              .withValue(r.cpu().toQuantity())
              .endEnv()
              .build();
        });
  }

  /** GPUs: the extended resource, the GPU nodes' taint tolerated, a product if one is asked. */
  static PodParts gpus(PodParts parts, RenderInput in) {
    int gpus = in.plan().resources().gpus();
    if (gpus == 0) {
      return parts;
    }
    PodParts out =
        parts
            .withMain(
                c ->
                    new ContainerBuilder(c)
                        .editOrNewResources()
                        .addToLimits(GPU, new Quantity(Integer.toString(gpus)))
                        .endResources()
                        .build())
            .plusToleration(
                new TolerationBuilder()
                    .withKey(GPU)
                    .withOperator("Exists")
                    .withEffect("NoSchedule")
                    .build());
    KubernetesOptions k = in.plan().spec().kubernetes();
    return k.gpuProduct() == null ? out : out.plusSelector(GPU_PRODUCT, k.gpuProduct());
  }

  /** The node pool (the workshop's {@code role} label), extra selectors and tolerations. */
  static PodParts placement(PodParts parts, RenderInput in) {
    KubernetesOptions k = in.plan().spec().kubernetes();
    PodParts out = parts;
    if (k.nodePool() != null) {
      out = out.plusSelector("role", k.nodePool());
    }
    for (var e : new java.util.TreeMap<>(k.nodeSelector()).entrySet()) {
      out = out.plusSelector(e.getKey(), e.getValue());
    }
    for (KubernetesOptions.TolerationSpec t : k.tolerations()) {
      out =
          out.plusToleration(
              new TolerationBuilder()
                  .withKey(t.key())
                  .withOperator(t.operator())
                  .withValue(t.value())
                  .withEffect(t.effect())
                  .build());
    }
    return out;
  }

  /** A volume of a PersistentVolumeClaim. */
  static io.fabric8.kubernetes.api.model.Volume claimVolume(String name, String claim) {
    return new VolumeBuilder()
        .withName(name)
        .withNewPersistentVolumeClaim()
        .withClaimName(claim)
        .endPersistentVolumeClaim()
        .build();
  }

  /** The shared RWX model store, mounted with a per-run sub-path at {@code $MLSCALE_OUTPUT_DIR}. */
  static PodParts modelStorage(PodParts parts, RenderInput in) {
    if (in.plan().spec().outputsOpt().isEmpty()) {
      return parts;
    }
    String claim = in.plan().spec().kubernetes().modelStorage();
    String model = in.plan().spec().outputs().model();
    return parts
        .plusVolume(claimVolume("model-storage", claim))
        .withMain(
            c ->
                new ContainerBuilder(c)
                    .addNewEnv()
                    .withName("MLSCALE_OUTPUT_DIR")
                    .withValue(OUTPUT)
                    .endEnv()
                    .addNewVolumeMount()
                    .withName("model-storage")
                    .withMountPath(OUTPUT)
                    .withSubPath(
                        in.rowsOpt().isPresent()
                            ? null
                            : "models/" + model + "/" + in.objectsName())
                    .withSubPathExpr(
                        in.rowsOpt().isPresent()
                            ? "models/"
                                + model
                                + "/"
                                + in.objectsName()
                                + "-r$(JOB_COMPLETION_INDEX)"
                            : null)
                    .endVolumeMount()
                    .build());
  }
}

package dev.mlscale.render;

import dev.mlscale.spec.Setup;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a notebook as Kubernetes objects: pure code. The pod is the job's pod (the same steps:
 * code, params and helper, the setup environment with JupyterLab added, resources, GPUs, pool),
 * whose main container runs JupyterLab under mlscale's idle culler; plus the Secret with its token
 * and the per-user workspace claim, which outlives the pod.
 */
public final class NotebookRenderer {
  /** Where the workspace claim is mounted: {@code $MLSCALE_WORKSPACE}, beside the code. */
  public static final String WORK = PodSteps.WORKSPACE + "/work";

  /** Where the model store is mounted, read-only: {@code $MLSCALE_MODELS}. */
  public static final String MODELS = "/mlscale/models";

  public static final String NOTEBOOK_LABEL = "mlscale.dev/notebook";
  public static final String USER_LABEL = "mlscale.dev/user";
  public static final String IDLE_ANNOTATION = "mlscale.dev/idle-timeout";

  /** The value of {@link #IDLE_ANNOTATION}: the idle timeout as a spec writes it, or never. */
  public static String idleAnnotation(java.time.Duration idleTimeout) {
    return idleTimeout.isZero() ? "never" : dev.mlscale.spec.DurationValue.format(idleTimeout);
  }

  public static final String TOKEN_KEY = "token";

  private NotebookRenderer() {}

  /**
   * The notebook's own settings.
   *
   * @param name the notebook's name; its objects are named {@link #base()}
   * @param token the server's token, put in the Secret only
   * @param workspaceClass the claim's storage class, null for the cluster's default
   */
  public record Options(
      String name,
      String user,
      String token,
      Duration idleTimeout,
      String workspaceSize,
      String workspaceClass) {
    /** The prefix of every object's name: {@code nb-USER-NAME}. */
    public String base() {
      return base(user, name);
    }

    public static String base(String user, String name) {
      return "nb-" + user + "-" + name;
    }

    public String podName() {
      return base();
    }

    public String secretName() {
      return base() + "-token";
    }

    public String claimName() {
      return base() + "-workspace";
    }
  }

  /** The objects in the order they are created; {@code pod} is the last. */
  public record Rendered(
      List<HasMetadata> objects,
      Pod pod,
      Secret secret,
      PersistentVolumeClaim claim,
      List<HasMetadata> podObjects) {}

  public static Rendered render(RenderInput in, Options o, List<String> packages) {
    PodParts parts = JobRenderer.emptyParts();
    Setup setup = in.plan().spec().setupOpt().orElse(new Setup(null, null, null, null));
    parts = PodSteps.command(parts, in);
    parts = PodSteps.files(parts, in);
    parts = PodSteps.setup(parts, in, setup, packages);
    parts = PodSteps.resources(parts, in);
    parts = PodSteps.gpus(parts, in);
    parts = PodSteps.placement(parts, in);
    parts = server(parts, in, o);
    Map<String, String> labels = labels(in, o);
    Secret secret =
        new SecretBuilder()
            .withMetadata(Labels.meta(o.secretName(), in.namespace(), labels))
            .withType("Opaque")
            .addToData(
                TOKEN_KEY,
                Base64.getEncoder().encodeToString(o.token().getBytes(StandardCharsets.UTF_8)))
            .build();
    var claim =
        new PersistentVolumeClaimBuilder()
            .withMetadata(Labels.meta(o.claimName(), in.namespace(), labels))
            .withNewSpec()
            .withAccessModes("ReadWriteOnce")
            .withStorageClassName(o.workspaceClass())
            .withNewResources()
            .addToRequests("storage", new Quantity(o.workspaceSize()))
            .endResources()
            .endSpec()
            .build();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(o.podName())
            .withNamespace(in.namespace())
            .withLabels(labels)
            .addToAnnotations(IDLE_ANNOTATION, idleAnnotation(o.idleTimeout()))
            .addToAnnotations(
                in.plan().spec().kubernetes().podAnnotations().isEmpty()
                    ? Map.of()
                    : in.plan().spec().kubernetes().podAnnotations())
            .endMetadata()
            .withSpec(JobRenderer.podSpec(parts, in.plan().spec()))
            .build();
    List<HasMetadata> objects = new ArrayList<>();
    objects.add(claim);
    objects.add(secret);
    objects.addAll(parts.extraObjects());
    objects.add(pod);
    return new Rendered(List.copyOf(objects), pod, secret, claim, parts.extraObjects());
  }

  static Map<String, String> labels(RenderInput in, Options o) {
    Map<String, String> labels =
        new LinkedHashMap<>(JobRenderer.labels(in.runId(), in.plan().name()));
    labels.put(NOTEBOOK_LABEL, o.name());
    labels.put(USER_LABEL, o.user());
    return labels;
  }

  /**
   * The main container runs the helper, which runs JupyterLab on port 8888 of the pod and stops it
   * after the idle timeout; the token comes from the Secret; the workspace claim and the model
   * store are mounted; the pod is ready once the server answers.
   */
  static PodParts server(PodParts parts, RenderInput in, Options o) {
    String claim = in.plan().spec().kubernetes().modelStorage();
    List<String> command =
        dev.mlscale.notebook.Jupyter.command(
            "python3",
            "jupyter",
            "0.0.0.0",
            dev.mlscale.notebook.Jupyter.POD_PORT,
            PodSteps.WORKSPACE,
            o.idleTimeout());
    return parts
        .plusVolume(PodSteps.claimVolume("notebook-workspace", o.claimName()))
        .plusVolume(PodSteps.claimVolume("model-storage", claim))
        .withMain(
            c ->
                new ContainerBuilder(c)
                    .withCommand(command)
                    .addNewPort()
                    .withName("http")
                    .withContainerPort(dev.mlscale.notebook.Jupyter.POD_PORT)
                    .endPort()
                    .withNewReadinessProbe()
                    .withNewHttpGet()
                    .withPath("/api")
                    .withNewPort(dev.mlscale.notebook.Jupyter.POD_PORT)
                    .endHttpGet()
                    .withPeriodSeconds(2)
                    .endReadinessProbe()
                    .addNewEnv()
                    .withName("JUPYTER_TOKEN")
                    .withNewValueFrom()
                    .withNewSecretKeyRef(TOKEN_KEY, o.secretName(), false)
                    .endValueFrom()
                    .endEnv()
                    .addNewEnv()
                    .withName("MLSCALE_NOTEBOOK")
                    .withValue(o.name())
                    .endEnv()
                    .addNewEnv()
                    .withName("MLSCALE_WORKSPACE")
                    .withValue(WORK)
                    .endEnv()
                    .addNewEnv()
                    .withName("MLSCALE_MODELS")
                    .withValue(MODELS)
                    .endEnv()
                    .addNewVolumeMount()
                    .withName("notebook-workspace")
                    .withMountPath(WORK)
                    .endVolumeMount()
                    .addNewVolumeMount()
                    .withName("model-storage")
                    .withMountPath(MODELS)
                    .withSubPath("models")
                    .withReadOnly(true)
                    .endVolumeMount()
                    .build());
  }
}

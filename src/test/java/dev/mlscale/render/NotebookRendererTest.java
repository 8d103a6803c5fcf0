package dev.mlscale.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.notebook.Jupyter;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden tests of a notebook's objects (src/test/resources/golden/notebook-NAME.yaml; rewrite with
 * -Dgolden.update=true and review the diff), and what they must keep: the token only in the Secret,
 * the job's environment with JupyterLab added, the workspace claim per user.
 */
class NotebookRendererTest {
  static final String TOKEN = "0123456789abcdef-golden-token";

  static NotebookRenderer.Rendered render(String name) {
    Path file = JobRendererTest.RESOURCES.resolve("render").resolve(name).resolve("job.yaml");
    JobSpec spec = new SpecLoader().loadJob(file, List.of());
    RunPlan plan = Planner.plan("notebook-" + spec.name(), spec, file);
    return NotebookRenderer.render(
        new RenderInput(plan, "ml", CodeArchive.of(plan.workdir()), JobRendererTest.HELPER),
        new NotebookRenderer.Options(
            "nb1", "alice", TOKEN, Duration.ofHours(1), "10Gi", "nfs-storage"),
        List.of(Jupyter.PACKAGE));
  }

  @ParameterizedTest
  @ValueSource(strings = {"setup", "gpu"})
  void rendersExactlyTheGoldenObjects(String name) throws IOException {
    String actual = Manifests.yaml(render(name).objects());
    Path golden = JobRendererTest.RESOURCES.resolve("golden").resolve("notebook-" + name + ".yaml");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(golden));
  }

  @Test
  void theTokenIsOnlyInTheSecret() {
    var r = render("setup");
    String b64 =
        java.util.Base64.getEncoder()
            .encodeToString(TOKEN.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(r.secret().getData()).containsEntry("token", b64);
    for (var o : r.objects()) {
      if (o != r.secret()) {
        String yaml = Manifests.yaml(List.of(o));
        assertThat(yaml).doesNotContain(TOKEN).doesNotContain(b64);
      }
    }
    Container main = r.pod().getSpec().getContainers().get(0);
    assertThat(main.getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("JUPYTER_TOKEN");
              assertThat(e.getValueFrom().getSecretKeyRef().getName())
                  .isEqualTo("nb-alice-nb1-token");
            });
    assertThat(r.objects())
        .noneMatch(o -> o instanceof ConfigMap cm && cm.getData().toString().contains(TOKEN));
  }

  @Test
  void thePodIsTheJobsPodRunningJupyterLabWithItsEnvironmentAndTheWorkspaceClaim() {
    var r = render("setup");
    Pod pod = r.pod();
    Container main = pod.getSpec().getContainers().get(0);
    assertThat(main.getCommand()).startsWith("python3", "-m", "mlscale", "notebook");
    assertThat(main.getCommand()).contains("jupyter", "lab", "--idle-timeout", "3600");
    Container setup = pod.getSpec().getInitContainers().get(1);
    assertThat(setup.getName()).isEqualTo("setup-env");
    assertThat(setup.getCommand()).containsSequence("--package", Jupyter.PACKAGE);
    assertThat(setup.getCommand()).containsSequence("--requirements", "requirements.txt");
    assertThat(main.getVolumeMounts())
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/workspace/work"));
    assertThat(pod.getSpec().getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getPersistentVolumeClaim())
                    .isNotNull()
                    .extracting(c -> c.getClaimName())
                    .isEqualTo("nb-alice-nb1-workspace"));
    assertThat(r.claim().getMetadata().getOwnerReferences()).isEmpty();
    assertThat(pod.getMetadata().getLabels())
        .containsEntry("mlscale.dev/notebook", "nb1")
        .containsEntry("mlscale.dev/user", "alice");
  }

  @Test
  void gpusPoolAndResourcesComeFromTheJob() {
    Pod pod = render("gpu").pod();
    assertThat(
            pod.getSpec().getContainers().get(0).getResources().getLimits().get("nvidia.com/gpu"))
        .hasToString("1");
    assertThat(pod.getSpec().getNodeSelector()).containsEntry("role", "train-gpu");
  }

  /**
   * The job fields a notebook skips (it is a server, not a batch run) are named on stderr with
   * where they are written, so none is accepted and dropped without a word; the notebook still
   * starts from the same file the job runs from.
   */
  @Test
  void aNoteNamesTheJobFieldsANotebookDoesNotUseAndWhereTheyAreWritten(@TempDir Path dir)
      throws IOException {
    Path spec =
        Files.writeString(
            dir.resolve("job.yaml"),
            String.join(
                "\n",
                "name: nbnote",
                "image: python:3.11-slim",
                "command: [python, train.py]",
                "params: {lr: 0.1}",
                "retries: 2",
                "timeout: 1h",
                "outputs:",
                "  model: digits",
                "kubernetes: {ttl: 1d}",
                ""));
    Files.writeString(dir.resolve("train.py"), "print(1)\n");
    var r =
        new CliHarness(dir.resolve("home"))
            .run("notebook", "render", spec.toString(), "--set", "parallelism=2");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains(
            "it does not use the job's command ("
                + spec
                + ":3:10), retries ("
                + spec
                + ":5:10), timeout ("
                + spec
                + ":6:10), outputs ("
                + spec
                + ":8:3), parallelism (--set parallelism=2), kubernetes.ttl ("
                + spec
                + ":9:19)")
        .doesNotContain("args")
        .doesNotContain("rows");
    assertThat(r.out()).contains("kind: \"Pod\"");
  }

  @Test
  void aNotebookOnTheClusterNeedsTheJobsImage(@TempDir Path dir) throws IOException {
    Path spec = Files.writeString(dir.resolve("job.yaml"), "name: noimg\ncommand: [python]\n");
    var r = new CliHarness(dir.resolve("home")).run("notebook", "render", spec.toString());
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains(spec + ": a notebook on the cluster runs in the job's image")
        .doesNotContain("Exception");
  }
}

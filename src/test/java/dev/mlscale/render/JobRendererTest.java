package dev.mlscale.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.plan.Submission;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden tests of rendering: each spec under src/test/resources/render/NAME renders to exactly
 * src/test/resources/golden/NAME.yaml. Run with -Dgolden.update=true to rewrite the goldens after
 * an intended change, then review the diff.
 */
class JobRendererTest {
  static final Path RESOURCES = Path.of("src/test/resources");
  static final byte[] HELPER = "# helper\n".getBytes(StandardCharsets.UTF_8);

  static JobRenderer.Rendered render(String name) {
    Path file = RESOURCES.resolve("render").resolve(name).resolve("job.yaml");
    JobSpec spec = new SpecLoader().loadJob(file, List.of());
    Submission s = Planner.submission(name + "-abcde", spec, file);
    return JobRenderer.render(
        RenderInput.of(s, "ml", CodeArchive.of(s.runs().get(0).workdir()), HELPER));
  }

  @ParameterizedTest
  @ValueSource(strings = {"basic", "gpu", "rows", "setup", "queued", "distributed"})
  void rendersExactlyTheGoldenObjects(String name) throws IOException {
    String actual = Manifests.yaml(render(name).objects());
    Path golden = RESOURCES.resolve("golden").resolve(name + ".yaml");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(golden));
  }

  @Test
  void rowsBecomeOneIndexedJobWhosePodsReadTheirRow() {
    Job job = render("rows").job();
    assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
    assertThat(job.getSpec().getCompletions()).isEqualTo(3);
    assertThat(job.getSpec().getParallelism()).isEqualTo(2);
    assertThat(job.getSpec().getBackoffLimitPerIndex()).isEqualTo(1);
    assertThat(job.getSpec().getBackoffLimit()).isNull();
    assertThat(job.getSpec().getPodFailurePolicy().getRules().get(0).getAction())
        .isEqualTo("FailIndex");
    var main = job.getSpec().getTemplate().getSpec().getContainers().get(0);
    assertThat(main.getCommand()).containsExactly("python3", "-m", "mlscale", "row");
    assertThat(main.getVolumeMounts())
        .anySatisfy(
            m ->
                assertThat(m.getSubPathExpr())
                    .isEqualTo("models/mnist/rows-abcde-r$(JOB_COMPLETION_INDEX)"));
    ConfigMap cm = (ConfigMap) render("rows").objects().get(0);
    assertThat(cm.getData().get("rows.json"))
        .contains(
            "{\"run\":\"rows-abcde-r1\",\"argv\":[\"python\",\"train.py\",\"10\",\"relu\",\"0.3\"]");
  }

  @Test
  void aQueuedJobIsLabelledForItsLocalQueueAndCreatedSuspended() {
    Job job = render("queued").job();
    assertThat(job.getMetadata().getLabels()).containsEntry(Queueing.QUEUE_LABEL, "team-a");
    assertThat(job.getSpec().getSuspend()).isTrue();
    assertThat(job.getMetadata().getAnnotations()).containsEntry(Queueing.MIN_PARALLELISM, "1");
    assertThat(job.getSpec().getTemplate().getSpec().getPriorityClassName()).isEqualTo("high");
    // the pods are not Kueue's to manage: only the Job is queued
    assertThat(job.getSpec().getTemplate().getMetadata().getLabels())
        .doesNotContainKey(Queueing.QUEUE_LABEL);
    Job plain = render("rows").job();
    assertThat(plain.getSpec().getSuspend()).isNull();
    assertThat(plain.getMetadata().getLabels()).doesNotContainKey(Queueing.QUEUE_LABEL);
  }

  @Test
  void aDistributedRunIsOneIndexedJobOfItsWorkersThatFindEachOtherByDns() {
    JobRenderer.Rendered r = render("distributed");
    Job job = r.job();
    assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
    assertThat(job.getSpec().getCompletions()).isEqualTo(3);
    assertThat(job.getSpec().getParallelism()).isEqualTo(3);
    // one Job is one try of the gang: any worker failing fails it; mlscale retries the gang
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    assertThat(job.getSpec().getPodFailurePolicy().getRules())
        .last()
        .satisfies(
            rule -> {
              assertThat(rule.getAction()).isEqualTo("FailJob");
              assertThat(rule.getOnExitCodes().getOperator()).isEqualTo("NotIn");
              assertThat(rule.getOnExitCodes().getValues()).containsExactly(0);
            });
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getSubdomain()).isEqualTo("distributed-abcde");
    var svc = (io.fabric8.kubernetes.api.model.Service) r.objects().get(1);
    assertThat(svc.getMetadata().getName()).isEqualTo("distributed-abcde");
    assertThat(svc.getSpec().getClusterIP()).isEqualTo("None");
    // the pods of this try: the run and attempt labels (on Argo, every try's Job's pods)
    assertThat(svc.getSpec().getSelector())
        .containsEntry("mlscale.dev/run", "distributed-abcde")
        .containsEntry("mlscale.dev/attempt", "1");
    var main = pod.getContainers().get(0);
    var env =
        main.getEnv().stream()
            .filter(e -> e.getValue() != null)
            .collect(
                java.util.stream.Collectors.toMap(
                    io.fabric8.kubernetes.api.model.EnvVar::getName,
                    io.fabric8.kubernetes.api.model.EnvVar::getValue));
    assertThat(env)
        .containsEntry("MASTER_ADDR", "distributed-abcde-0.distributed-abcde")
        .containsEntry("MASTER_PORT", "29500")
        .containsEntry("WORLD_SIZE", "3")
        .containsEntry(
            "MLSCALE_WORKER_HOSTS",
            "distributed-abcde-0.distributed-abcde:29500,distributed-abcde-1.distributed-abcde:29500,"
                + "distributed-abcde-2.distributed-abcde:29500");
    assertThat(main.getEnv())
        .filteredOn(e -> e.getName().equals("RANK"))
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.getValueFrom().getFieldRef().getFieldPath())
                    .isEqualTo("metadata.annotations['batch.kubernetes.io/job-completion-index']"));
    // worker 0 keeps the model: the launcher sends the others' output elsewhere
    assertThat(main.getCommand())
        .containsExactly("python3", "-m", "mlscale", "worker", "python", "train.py", "60");
  }

  @Test
  void renderingIsDeterministic() {
    assertThat(Manifests.yaml(render("basic").objects()))
        .isEqualTo(Manifests.yaml(render("basic").objects()));
  }

  @Test
  void gpuJobsTolerateTheGpuTaintAndLandOnTheGpuPool() {
    Job job = render("gpu").job();
    PodSpec pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getContainers().get(0).getResources().getLimits().get("nvidia.com/gpu"))
        .hasToString("1");
    assertThat(pod.getTolerations()).anyMatch(t -> "nvidia.com/gpu".equals(t.getKey()));
    assertThat(pod.getNodeSelector())
        .containsEntry("role", "train-gpu")
        .containsEntry("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-40GB");
    assertThat(job.getSpec().getActiveDeadlineSeconds()).isEqualTo(7200L);
    assertThat(job.getSpec().getPodFailurePolicy().getRules()).hasSize(2);
  }

  @Test
  void argumentsStayAnArgumentVectorEvenWithShellCharacters(@TempDir Path dir) throws IOException {
    Files.writeString(
        dir.resolve("job.yaml"),
        "name: x\nimage: i\ncommand: [python, t.py]\nargs: [\"${params.s}\"]\n"
            + "params: {s: \"; rm -rf / $(id)\"}\n");
    JobSpec spec = new SpecLoader().loadJob(dir.resolve("job.yaml"), List.of());
    RunPlan plan = Planner.plan("x-abcde", spec, dir.resolve("job.yaml"));
    Job job = JobRenderer.render(new RenderInput(plan, "ml", CodeArchive.of(dir), HELPER)).job();
    assertThat(job.getSpec().getTemplate().getSpec().getContainers().get(0).getCommand())
        .containsExactly("python", "t.py", "; rm -rf / $(id)");
  }

  @Test
  void paramsAndCodeTravelInAnImmutableConfigMap() {
    ConfigMap cm = (ConfigMap) render("basic").objects().get(0);
    assertThat(cm.getImmutable()).isTrue();
    assertThat(cm.getData().get("params.json")).contains("\"activation\" : \"softmax\"");
    assertThat(cm.getBinaryData()).containsKey("code.tar.gz");
  }

  @Test
  void aWorkdirTooLargeForAConfigMapIsExplainedWithItsSize(@TempDir Path dir) throws IOException {
    byte[] noise = new byte[2 << 20];
    new Random(1).nextBytes(noise);
    Files.write(dir.resolve("weights.bin"), noise);
    assertThatThrownBy(() -> CodeArchive.of(dir))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("is 2.0 MiB compressed (1 files)")
        .hasMessageContaining("model-storage volume or into the image");
  }
}

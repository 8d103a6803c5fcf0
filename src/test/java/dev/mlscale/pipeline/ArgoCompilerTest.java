package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.Manifests;
import dev.mlscale.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden test of the Argo compilation; run with -Dgolden.update=true after intended changes. */
class ArgoCompilerTest {
  static final Path RESOURCES = Path.of("src/test/resources");

  static ArgoCompiler.Compiled compile(Path file) {
    PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, List.of()).spec();
    byte[] tiny = new byte[] {1, 2, 3};
    return ArgoCompiler.compile(
        "diamond-abcde",
        "ml",
        spec,
        file,
        "# helper\n".getBytes(StandardCharsets.UTF_8),
        dir -> new CodeArchive(tiny, 1));
  }

  /** The objects of {@code compiled} as YAML, asserted equal to the golden file {@code name}. */
  static String assertGolden(ArgoCompiler.Compiled compiled, String name) throws Exception {
    String actual = Manifests.yaml(compiled.objects());
    Path golden = RESOURCES.resolve("golden/" + name);
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(golden));
    return actual;
  }

  /** The Workflow's templates. */
  @SuppressWarnings("unchecked")
  static List<java.util.Map<String, Object>> templates(ArgoCompiler.Compiled compiled) {
    return (List<java.util.Map<String, Object>>)
        ((java.util.Map<String, Object>) compiled.workflow().getAdditionalProperties().get("spec"))
            .get("templates");
  }

  @Test
  void diamondCompilesToTheGoldenWorkflow() throws Exception {
    var compiled = compile(RESOURCES.resolve("pipeline/diamond-k8s.yaml"));
    String actual = assertGolden(compiled, "pipeline-diamond.yaml");
    assertThat(actual)
        .contains("onExit: \"notify\"")
        .contains("dependencies:")
        .contains("volumeClaimTemplates")
        .contains("{{workflow.status}}");
    assertThat(compiled.configMaps()).hasSize(5);
  }

  @Test
  void aDistributedTaskIsAResourceTemplateCreatingItsGangsJobOncePerTry() throws Exception {
    var compiled = compile(RESOURCES.resolve("pipeline/gang/pipeline.yaml"));
    assertGolden(compiled, "pipeline-distributed.yaml");
    // the workers' Service is made with the run's ConfigMaps, one for every try of the task
    assertThat(compiled.services())
        .singleElement()
        .satisfies(s -> assertThat(s.getMetadata().getName()).isEqualTo("diamond-abcde-train"));
    var train =
        templates(compiled).stream().filter(t -> "train".equals(t.get("name"))).findFirst().get();
    @SuppressWarnings("unchecked")
    var resource = (java.util.Map<String, Object>) train.get("resource");
    assertThat(resource)
        .containsEntry("action", "create")
        .containsEntry("setOwnerReference", true)
        .containsEntry("successCondition", "status.succeeded > 1")
        .containsEntry("failureCondition", "status.failed > 0");
    var job =
        new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
            .unmarshal(
                (String) resource.get("manifest"),
                io.fabric8.kubernetes.api.model.batch.v1.Job.class);
    // each try is a Job of its own, named by Argo's retry count: train-a1, train-a2
    assertThat(job.getMetadata().getName()).isEqualTo("diamond-abcde-train-a{{=asInt(retries)+1}}");
    assertThat(job.getSpec().getCompletions()).isEqualTo(2);
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getSubdomain()).isEqualTo("diamond-abcde-train");
    assertThat(pod.getContainers().get(0).getEnv())
        .anySatisfy(
            e -> {
              assertThat(e.getName()).isEqualTo("MASTER_ADDR");
              assertThat(e.getValue())
                  .isEqualTo("diamond-abcde-train-a{{=asInt(retries)+1}}-0.diamond-abcde-train");
            });
    assertThat(pod.getVolumes())
        .filteredOn(v -> v.getPersistentVolumeClaim() != null)
        .extracting(v -> v.getPersistentVolumeClaim().getClaimName())
        .contains("diamond-abcde-run-workspace");
    assertThat(train.get("retryStrategy")).isNotNull();
  }

  @Test
  void aTaskWithoutAnImageCannotRunOnTheCluster(@TempDir Path dir) throws Exception {
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"), "name: x\ndag:\n  - {name: a, command: [python3, a.py]}\n");
    assertThatThrownBy(() -> compile(p))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("task 'a' has no image")
        .hasMessageContaining("or once at the top of the pipeline");
    // the pipeline's image serves every task that names none
    Path withImage =
        Files.writeString(dir.resolve("q.yaml"), "image: python:3.12\n" + Files.readString(p));
    assertThat(Manifests.yaml(List.of(compile(withImage).workflow())))
        .contains("image: \"python:3.12\"");
  }

  @Test
  void aThousandWayFanOutIsOneTemplateWithASequence(@TempDir Path dir) throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      rows.append("{lr: ").append(i).append("}, ");
    }
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"),
            "name: wide\ndag:\n"
                + "  - {name: t, image: i, command: [python3, t.py, --lr, '${params.lr}'],"
                + " for_each: ["
                + rows
                + "]}\n"
                + "  - {name: after, depends: [t], image: i, command: [python3, a.py]}\n");
    var compiled = compile(p);
    String workflow = Manifests.yaml(List.of(compiled.workflow()));
    assertThat(workflow.getBytes(StandardCharsets.UTF_8).length).isLessThan(20_000);
    assertThat(workflow)
        .containsSubsequence("withSequence:", "count: \"1000\"", "name: \"after\"", "- \"t\"")
        .contains("value: \"{{inputs.parameters.row}}\"")
        .containsOnlyOnce("- name: \"t\"\n    inputs:");
    String rowsJson = compiled.configMaps().get(0).getData().get("rows.json");
    assertThat(rowsJson).contains("\"run\":\"diamond-abcde-t-999\"").contains("\"--lr\",\"999\"");
    assertThat(ArgoCompiler.nodeName("t(999:999)")).isEqualTo("t-999");
    assertThat(ArgoCompiler.nodeName("after")).isEqualTo("after");
    assertThat(ArgoCompiler.nodeName("t(3:lr=1)(1)")).isEqualTo("t-3 (try 2)");
    assertThat(ArgoCompiler.nodeName("after(0)")).isEqualTo("after (try 1)");
  }

  @Test
  void anS3TaskUsesThePipelineParameters(@TempDir Path dir) throws Exception {
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"),
            "name: s3\nparams: {bucket: data, endpoint: 'http://minio:9000'}\ndag:\n"
                + "  - name: input\n"
                + "    s3_download: {endpoint: '${params.endpoint}', bucket: '${params.bucket}',"
                + " key: 'a/${params.bucket}.csv'}\n");
    String yaml = Manifests.yaml(compile(p).objects());
    assertThat(yaml)
        .contains("- \"http://minio:9000\"")
        .contains("- \"s3://data/a/data.csv\"")
        .doesNotContain("${params");
    Path bad =
        Files.writeString(
            dir.resolve("bad.yaml"),
            "name: s3\ndag:\n  - name: input\n    s3_upload: {bucket: '${params.bucket}'}\n");
    assertThatThrownBy(() -> compile(bad))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("task 'input' s3_upload.bucket uses ${params.bucket}")
        .hasMessageContaining("--set params.bucket=");
  }

  @Test
  void aWorkflowOverTheObjectLimitIsRefusedWithItsSize(@TempDir Path dir) throws Exception {
    StringBuilder tasks = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      tasks.append("  - {name: t").append(i).append(", image: i, command: [python3, t.py]}\n");
    }
    Path p = Files.writeString(dir.resolve("p.yaml"), "name: wide\ndag:\n" + tasks);
    assertThatThrownBy(() -> compile(p))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("compiles to a Workflow of")
        .hasMessageContaining("(1000 tasks)")
        .hasMessageContaining("for_each");
  }

  @Test
  void onOomBecomesRetriesWithMoreMemoryEachTry(@TempDir Path dir) throws Exception {
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"),
            "name: oom\ndag:\n"
                + "  - {name: t, image: i, command: [python3, t.py], resources: {memory: 100Mi},"
                + " on_oom: {increase: 2x, max: 300Mi}}\n");
    String yaml = Manifests.yaml(List.of(compile(p).workflow()));
    assertThat(yaml)
        .contains("limit: \"2\"")
        .contains("expression: \"lastRetry.message contains 'OOMKilled'")
        .contains("['100Mi','200Mi','300Mi'][asInt(retries)]")
        .contains("\\\"name\\\":\\\"main\\\"");
  }

  @Test
  void retriesWithoutMemoryOrOnOomStayAsWritten(@TempDir Path dir) throws Exception {
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"),
            "name: r\ndag:\n"
                + "  - {name: t, image: i, command: [python3, t.py], retries: 2}\n"
                + "  - {name: u, image: i, command: [python3, u.py], retries: 1,"
                + " resources: {memory: 100Mi}, on_oom: {increase: 2x, max: 200Mi}}\n");
    String yaml = Manifests.yaml(List.of(compile(p).workflow()));
    assertThat(yaml)
        .containsSubsequence("name: \"t\"", "retryStrategy:", "limit: \"2\"")
        .containsSubsequence(
            "name: \"u\"", "retryStrategy:", "limit: \"2\"", "|| asInt(retries) < 1");
    assertThat(yaml.split("retryStrategy:", -1)).hasSize(3);
    assertThat(yaml.split("limit: \"2\"", -1)).as("t and u both retry twice").hasSize(3);
    assertThat(yaml.split("expression:", -1)).as("only u's").hasSize(2);
  }
}

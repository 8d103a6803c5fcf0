package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.Manifests;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden test of the Argo compilation; run with -Dgolden.update=true after intended changes. */
class ArgoCompilerTest {
  static final Path RESOURCES = Path.of("src/test/resources");

  static ArgoCompiler.Compiled compile(Path file) {
    PipelineSpec spec = new SpecLoader().load(file, PipelineSpec.class, List.of()).spec();
    Dag dag = Dag.of(file.toString(), spec.tasks());
    Map<String, JobSpec> jobs = new LinkedHashMap<>();
    Map<String, Path> files = new LinkedHashMap<>();
    for (Dag.Node n : dag.nodes()) {
      jobs.put(n.name(), LocalPipelineRunner.jobOf(n, spec, file));
      files.put(n.name(), LocalPipelineRunner.fileOf(n, file));
    }
    byte[] tiny = new byte[] {1, 2, 3};
    return ArgoCompiler.compile(
        "diamond-abcde",
        "ml",
        spec,
        dag,
        jobs,
        files,
        "# helper\n".getBytes(StandardCharsets.UTF_8),
        dir -> new CodeArchive(tiny, 1));
  }

  @Test
  void diamondCompilesToTheGoldenWorkflow() throws Exception {
    var compiled = compile(RESOURCES.resolve("pipeline/diamond-k8s.yaml"));
    String actual = Manifests.yaml(compiled.objects());
    Path golden = RESOURCES.resolve("golden/pipeline-diamond.yaml");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(golden, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(golden));
    assertThat(actual)
        .contains("onExit: \"notify\"")
        .contains("dependencies:")
        .contains("volumeClaimTemplates")
        .contains("{{workflow.status}}");
    assertThat(compiled.configMaps()).hasSize(5);
  }

  @Test
  void aTaskWithoutAnImageCannotRunOnTheCluster() {
    assertThatThrownBy(() -> compile(Path.of("examples/diamond/pipeline.yaml")))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("task 'a' has no image");
  }

  @Test
  void aWorkflowOverTheObjectLimitIsRefusedWithItsSize(@TempDir Path dir) throws Exception {
    StringBuilder rows = new StringBuilder();
    for (int i = 0; i < 1000; i++) {
      rows.append("{i: ").append(i).append("}, ");
    }
    Path p =
        Files.writeString(
            dir.resolve("p.yaml"),
            "name: wide\ndag:\n"
                + "  - {name: t, image: i, command: [python3, t.py], for_each: ["
                + rows
                + "]}\n");
    assertThatThrownBy(() -> compile(p))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("compiles to a Workflow of")
        .hasMessageContaining("(1000 tasks)")
        .hasMessageContaining("an Indexed Job");
  }
}

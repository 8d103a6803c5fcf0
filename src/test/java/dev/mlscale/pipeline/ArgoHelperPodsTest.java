package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The helper pods of a pipeline on Argo (the Slack notice, register_model), without the cluster:
 * the compiled template's command and environment are run here as its pod would run them (Argo's
 * own variables filled in as Argo fills them), after the training rows' real {@code report()} calls
 * left their metrics in the workspace; a real HTTP receiver gets the message.
 */
class ArgoHelperPodsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path work;

  @Test
  void theExitPodSaysWhichTasksFailedAndTheBestRun() throws Exception {
    Path p =
        Files.writeString(
            work.resolve("p.yaml"),
            """
            name: scored
            dag:
              - name: fit
                image: python:3.11-slim
                command: [python3, fit.py, "${params.s}"]
                for_each: [{s: 0.5}, {s: 0.9}, {s: 0.7}]
              - {name: broken, image: python:3.11-slim, command: [python3, broken.py]}
            on_exit:
              name: notify
              slack: {webhook_env: SLACK_URL, best_metric: score}
            """);
    var compiled = ArgoCompilerTest.compile(p);
    String id = compiled.workflow().getMetadata().getName();
    // the rows' runs report their scores into the shared workspace, as in their pods
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path lib = CliHarness.repo().resolve("src/main/resources/python");
    JsonNode rows = JSON.readTree(compiled.configMaps().get(0).getData().get("rows.json"));
    assertThat(rows).hasSize(3);
    for (JsonNode row : rows) {
      Map<String, String> env = new HashMap<>();
      env.put("PYTHONPATH", lib.toString());
      env.put("MLSCALE_WORKSPACE", workspace.toString());
      env.put("MLSCALE_PIPELINE_RUN", id);
      env.put("MLSCALE_RUN_ID", row.get("run").asText());
      run(
          List.of(
              "python3",
              "-c",
              "from mlscale import report; report(score=" + row.get("argv").get(2).asText() + ")"),
          env);
    }
    // the exit template, with Argo's variables filled in
    @SuppressWarnings("unchecked")
    Map<String, Object> spec =
        (Map<String, Object>) compiled.workflow().getAdditionalProperties().get("spec");
    @SuppressWarnings("unchecked")
    Map<String, Object> exit =
        ((List<Map<String, Object>>) spec.get("templates"))
            .stream().filter(t -> "notify".equals(t.get("name"))).findFirst().orElseThrow();
    @SuppressWarnings("unchecked")
    Map<String, Object> container = (Map<String, Object>) exit.get("container");
    try (SlackReceiver receiver = new SlackReceiver(work)) {
      Map<String, String> env = new HashMap<>();
      // as Argo hands {{workflow.failures}} over: every Failed node (the workflow's DAG node
      // too), as JSON quoted once more
      String failures =
          JSON.writeValueAsString(
              JSON.writeValueAsString(
                  List.of(
                      Map.of("displayName", id, "phase", "Failed"),
                      Map.of("displayName", "broken", "message", "Error (exit code 1)"))));
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> vars = (List<Map<String, Object>>) container.get("env");
      for (Map<String, Object> v : vars) {
        if (v.get("value") == null) {
          continue; // from a Secret: the webhook URL, set below
        }
        env.put(
            v.get("name").toString(),
            v.get("value")
                .toString()
                .replace("{{workflow.name}}", id)
                .replace("{{workflow.status}}", "Failed")
                .replace("{{workflow.duration}}", "42.5")
                .replace("{{workflow.failures}}", failures));
      }
      assertThat(env.get("MLSCALE_WORKSPACE")).isEqualTo("/mlscale/workspace");
      env.put("MLSCALE_WORKSPACE", workspace.toString());
      env.put("PYTHONPATH", lib.toString());
      env.put("MLSCALE_SLACK_URL", receiver.url());
      @SuppressWarnings("unchecked")
      List<String> command = (List<String>) container.get("command");
      String out = run(command, env);
      assertThat(out).contains("slack answered HTTP 200");
      assertThat(receiver.messages()).hasSize(1);
      assertThat(receiver.messages().get(0).get("text").asText())
          .isEqualTo(
              "Pipeline "
                  + id
                  + " Failed in 42.5s: 4 tasks: 1 failed (broken); best score=0.9 (fit-1)");
    }
  }

  @Test
  void theRegisterPodCopiesTheBestRunsModelFromTheModelStorage() throws Exception {
    Files.writeString(
        work.resolve("job.yaml"),
        "name: fit\nimage: python:3.11-slim\ncommand: [python3, fit.py, '${params.s}']\n"
            + "params: {s: 0}\noutputs: {model: fitted}\n");
    Path p =
        Files.writeString(
            work.resolve("p.yaml"),
            """
            name: pick
            dag:
              - {name: fit, job: job.yaml, for_each: [{s: 0.5}, {s: 0.9}, {s: 0.7}]}
              - name: best
                depends: [fit]
                register_model: {name: fitted-best, best_of: fit, metric: score, to: best}
            """);
    var compiled = ArgoCompilerTest.compile(p);
    String id = compiled.workflow().getMetadata().getName();
    Map<String, Object> container = container(compiled, "best");
    Map<String, String> env = env(container);
    assertThat(env.get("MLSCALE_MODELS_ROOT")).isEqualTo("/mlscale/models");
    // the runs: metrics in the workspace, models where their pods' model-storage mount put them
    Path workspace = Files.createDirectories(work.resolve("workspace"));
    Path storage = Files.createDirectories(work.resolve("storage"));
    JsonNode sequence = JSON.readTree(env.get("MLSCALE_BEST_SEQUENCE"));
    assertThat(sequence.get("count").asInt()).isEqualTo(3);
    Map<String, String> folders = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      folders.put(sequence.get("run").asText() + i, sequence.get("folder").asText() + i);
    }
    JsonNode rows = JSON.readTree(compiled.configMaps().get(0).getData().get("rows.json"));
    for (JsonNode row : rows) {
      String run = row.get("run").asText();
      assertThat(folders).as("the rows' runs").containsKey(run);
      Path model = Files.createDirectories(storage.resolve(folders.get(run)));
      Files.writeString(model.resolve("model.txt"), "model of " + run);
      run(
          List.of(
              "python3",
              "-c",
              "from mlscale import report; report(score=" + row.get("params").get("s") + ")"),
          Map.of(
              "PYTHONPATH",
              CliHarness.repo().resolve("src/main/resources/python").toString(),
              "MLSCALE_WORKSPACE",
              workspace.toString(),
              "MLSCALE_PIPELINE_RUN",
              id,
              "MLSCALE_RUN_ID",
              run));
    }
    assertThat(folders.get(id + "-fit-1")).isEqualTo("models/fitted/" + id + "-fit-r1");
    env.put("PYTHONPATH", CliHarness.repo().resolve("src/main/resources/python").toString());
    env.put("MLSCALE_WORKSPACE", workspace.toString());
    env.put("MLSCALE_MODELS_ROOT", storage.toString());
    @SuppressWarnings("unchecked")
    List<String> command = (List<String>) container.get("command");
    String out = run(command, env);
    assertThat(out)
        .contains("registered fitted-best (models/fitted-best/" + id + ") from " + id + "-fit-1");
    assertThat(storage.resolve("models/fitted-best/" + id + "/model.txt"))
        .hasContent("model of " + id + "-fit-1");
    assertThat(workspace.resolve("best/model.txt")).hasContent("model of " + id + "-fit-1");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> container(ArgoCompiler.Compiled compiled, String template) {
    Map<String, Object> spec =
        (Map<String, Object>) compiled.workflow().getAdditionalProperties().get("spec");
    return (Map<String, Object>)
        ((List<Map<String, Object>>) spec.get("templates"))
            .stream()
                .filter(t -> template.equals(t.get("name")))
                .findFirst()
                .orElseThrow()
                .get("container");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> env(Map<String, Object> container) {
    Map<String, String> env = new HashMap<>();
    for (Map<String, Object> v : (List<Map<String, Object>>) container.get("env")) {
      if (v.get("value") != null) {
        env.put(v.get("name").toString(), v.get("value").toString());
      }
    }
    return env;
  }

  private String run(List<String> command, Map<String, String> env) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process process = pb.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor()).as(out).isZero();
    return out;
  }
}

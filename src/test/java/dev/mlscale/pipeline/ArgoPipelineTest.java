package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiled pipelines on the real test cluster: validated against Argo's full CRD schema, and run by
 * the real Argo workflow controller over simulated pods.
 */
@ClusterTest
@org.junit.jupiter.api.Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class ArgoPipelineTest {
  @TempDir Path home;
  @TempDir Path work;

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  private CliHarness.Result dryRun(TestNamespace ns, String pipeline) {
    return cli().run("pipeline", "render", pipeline, "-n", ns.name(), "--server-dry-run");
  }

  @Test
  void compiledWorkflowsPassTheServersValidation(TestNamespace ns) {
    ArgoTestEnv.crds();
    CliHarness.Result r = dryRun(ns, "src/test/resources/pipeline/diamond-k8s.yaml");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("accepts all 6 objects");
    CliHarness.Result ml =
        cli()
            .run(
                "pipeline",
                "render",
                "examples/ml-pipeline/pipeline.yaml",
                "-n",
                ns.name(),
                "--server-dry-run");
    assertThat(ml.exit()).as(ml.err()).isZero();
    assertThat(ml.out()).contains("amazon/aws-cli").contains("onExit");
    for (String example : java.util.List.of("hello-steps", "diamond")) {
      CliHarness.Result rendered =
          cli()
              .run(
                  "pipeline",
                  "render",
                  "examples/" + example + "/pipeline.yaml",
                  "-n",
                  ns.name(),
                  "--server-dry-run");
      assertThat(rendered.exit()).as(example + ": " + rendered.err()).isZero();
    }
  }

  @Test
  void aDistributedTaskAndTheJobItCreatesPassTheServersValidation(TestNamespace ns)
      throws Exception {
    ArgoTestEnv.crds();
    CliHarness.Result r = dryRun(ns, "src/test/resources/pipeline/gang/pipeline.yaml");
    assertThat(r.exit()).as(r.err()).isZero();
    // two tasks' ConfigMaps, the gang's Service, the Workflow
    assertThat(r.err()).contains("accepts all 4 objects");
    // the Job that Argo's executor creates, as it creates it on the first try
    var compiled =
        ArgoCompiler.compileFile(
            Path.of("src/test/resources/pipeline/gang/pipeline.yaml"),
            java.util.List.of(),
            "gang-abcde",
            ns.name());
    @SuppressWarnings("unchecked")
    String manifest =
        ArgoCompilerTest.templates(compiled).stream()
            .filter(t -> t.containsKey("resource"))
            .map(t -> (String) ((Map<String, Object>) t.get("resource")).get("manifest"))
            .findFirst()
            .orElseThrow();
    var job =
        new io.fabric8.kubernetes.client.utils.KubernetesSerialization()
            .unmarshal(
                manifest.replace("{{=asInt(retries)+1}}", "1"),
                io.fabric8.kubernetes.api.model.batch.v1.Job.class);
    assertThat(ns.client().resource(job).dryRun().create().getMetadata().getName())
        .isEqualTo("gang-abcde-train-a1");
  }

  @Test
  void theArgoControllerRunsTheDiamondAndStopsAtTheFailedTask(TestNamespace ns) throws Exception {
    ArgoTestEnv.controller();
    CliHarness.Result failing =
        cli()
            .run(
                "pipeline",
                "run",
                "src/test/resources/pipeline/diamond-k8s.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name());
    assertThat(failing.exit()).as(failing.err()).isEqualTo(1);
    assertThat(failing.err())
        .contains("● a Succeeded")
        .contains("● b Succeeded")
        .contains("● c Failed")
        .doesNotContain("● d Succeeded")
        .contains(" failed");

    String ok =
        Files.readString(Path.of("src/test/resources/pipeline/diamond-k8s.yaml"))
            .replace("sim.mlscale.dev/exit-code: \"3\"", "sim.mlscale.dev/duration: 1s")
            .replaceAll("(?s)on_exit:.*", "");
    Path file = Files.writeString(work.resolve("ok.yaml"), ok);
    CliHarness.Result r =
        cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("● d Succeeded").contains(" succeeded");
    assertThat(r.err().indexOf("● d Running"))
        .isGreaterThan(r.err().indexOf("● b Succeeded"))
        .isGreaterThan(r.err().indexOf("● c Succeeded"));
  }

  /** Waits (test code) until the namespace has one mlscale Workflow, as another machine sees it. */
  private String workflowId(CliHarness other, TestNamespace ns, String runningTask)
      throws Exception {
    return org.awaitility.Awaitility.await(
            "one mlscale Workflow in "
                + ns.name()
                + (runningTask == null ? "" : " with task " + runningTask + " Running"))
        .atMost(java.time.Duration.ofSeconds(90))
        .pollInterval(java.time.Duration.ofMillis(300))
        .until(() -> workflowIdNow(other, ns, runningTask), java.util.Objects::nonNull);
  }

  /** The one Workflow's id if it is there (and {@code runningTask} runs), else null. */
  private static String workflowIdNow(CliHarness other, TestNamespace ns, String runningTask)
      throws Exception {
    CliHarness.Result ls =
        other.run("pipeline", "ls", "--target", "k8s", "-n", ns.name(), "-o", "json");
    var runs = JSON.readTree(ls.out());
    if (runs == null || runs.size() != 1) {
      return null;
    }
    String id = runs.get(0).get("id").asText();
    if (runningTask == null) {
      return id;
    }
    for (var t : runs.get(0).get("tasks")) {
      if (t.get("name").asText().equals(runningTask) && t.get("phase").asText().equals("Running")) {
        return id;
      }
    }
    return null;
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  @Test
  void aFanOutIsFollowedFromAnotherMachineWithItsLogs(TestNamespace ns) throws Exception {
    ArgoTestEnv.controller();
    Path file =
        Files.writeString(
            work.resolve("fan.yaml"),
            """
            name: fan
            dag:
              - {name: prep, image: python:3.11-slim, command: [python3, -c, "print(1)"], kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 2s}}}
              - name: train
                depends: [prep]
                image: python:3.11-slim
                command: [python3, -c, "print(1)", "${params.lr}"]
                for_each: [{lr: 0.1}, {lr: 0.01}, {lr: 0.001}]
                kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 2s}}
              - {name: join, depends: [train], image: python:3.11-slim, command: [python3, -c, "print(1)"], kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 1s}}}
            """);
    var running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name()));
    CliHarness other =
        new CliHarness(work.resolve("other-home"))
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    String id = workflowId(other, ns, null);
    CliHarness.Result watched =
        other.run("pipeline", "status", id, "--target", "k8s", "-n", ns.name(), "--watch");
    assertThat(watched.exit()).as(watched.all()).isZero();
    // the same lines as 'pipeline status -w' of a local run: each task's change once
    assertThat(watched.err())
        .contains("✔ train-2 Succeeded")
        .contains("✔ join Succeeded")
        .containsOnlyOnce("● train-2 Running");
    assertThat(watched.out())
        .contains("State:     ✔ Succeeded")
        .contains("[prep ✔] → [train ✔] → [join ✔]")
        .containsPattern("train-1 +Succeeded +\\S+ +" + id + "-train-");
    CliHarness.Result r = running.get(3, java.util.concurrent.TimeUnit.MINUTES);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains("● train-0 Succeeded")
        .contains("● train-1 Succeeded")
        .contains("● train-2 Succeeded");
    assertThat(r.err().indexOf("● join Running"))
        .isGreaterThan(r.err().indexOf("● train-0 Succeeded"))
        .isGreaterThan(r.err().indexOf("● train-1 Succeeded"))
        .isGreaterThan(r.err().indexOf("● train-2 Succeeded"));
    // the pods' logs, through the API server (KWOK serves testenv/sim/pod.log for every container)
    CliHarness.Result logs =
        other.run("pipeline", "logs", id, "train", "--target", "k8s", "-n", ns.name());
    assertThat(logs.exit()).as(logs.err()).isZero();
    assertThat(logs.out())
        .contains("[train-0] simulated pod output")
        .contains("[train-1] simulated pod output")
        .contains("[train-2] simulated pod output")
        .doesNotContain("[prep]");
    assertThat(other.run("pipeline", "ls", "--target", "k8s", "-n", ns.name()).out())
        .contains(id)
        .contains("5/5 succeeded");
    // delete: the Workflow, and with it its pods and ConfigMaps
    CliHarness.Result deleted =
        other.run("pipeline", "delete", id, "--target", "k8s", "-n", ns.name());
    assertThat(deleted.exit()).as(deleted.all()).isZero();
    assertThat(deleted.out()).contains("deleted " + id);
    assertThat(other.run("pipeline", "ls", "--target", "k8s", "-n", ns.name()).out())
        .doesNotContain(id);
    assertThat(
            TestCluster.get()
                .client()
                .configMaps()
                .inNamespace(ns.name())
                .withLabel("mlscale.dev/run", id)
                .list()
                .getItems())
        .isEmpty();
    CliHarness.Result again =
        other.run("pipeline", "delete", id, "--target", "k8s", "-n", ns.name());
    assertThat(again.exit()).isEqualTo(2);
    assertThat(again.err()).contains("pipeline run '" + id + "' not found");
  }

  @Test
  void cancelStopsARunningPipelineAndTheExitTaskStillRuns(TestNamespace ns) throws Exception {
    ArgoTestEnv.controller();
    Path file =
        Files.writeString(
            work.resolve("held.yaml"),
            """
            name: held
            dag:
              - {name: a, image: python:3.11-slim, command: [python3, -c, "print(1)"], kubernetes: {pod_annotations: {sim.mlscale.dev/hold: "true"}}}
              - {name: b, depends: [a], image: python:3.11-slim, command: [python3, -c, "print(1)"]}
            on_exit:
              {name: tell, image: python:3.11-slim, command: [python3, -c, "print(1)"], kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 1s}}}
            """);
    var running =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () ->
                cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name()));
    CliHarness other =
        new CliHarness(work.resolve("other-home"))
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
    String id = workflowId(other, ns, "a");
    CliHarness.Result cancel =
        other.run("pipeline", "cancel", id, "--target", "k8s", "-n", ns.name(), "--grace", "2s");
    assertThat(cancel.exit()).as(cancel.all()).isZero();
    assertThat(cancel.out()).contains("cancelled " + id + " (1 running pod(s) stopped)");
    CliHarness.Result r = running.get(3, java.util.concurrent.TimeUnit.MINUTES);
    assertThat(r.exit()).as(r.err()).isEqualTo(130);
    assertThat(r.err()).contains("cancelled: Stopped with strategy 'Stop'");
    CliHarness.Result status =
        other.run("pipeline", "status", id, "--target", "k8s", "-n", ns.name(), "-o", "json");
    var view = JSON.readTree(status.out());
    // shown as a cancelled local run is: the pipeline and its stopped task Cancelled
    assertThat(view.get("phase").asText()).isEqualTo("Cancelled");
    Map<String, String> phases = new java.util.HashMap<>();
    view.get("graph").forEach(t -> phases.put(t.get("name").asText(), t.get("phase").asText()));
    assertThat(phases).containsEntry("a", "Cancelled").containsEntry("tell", "Succeeded");
    assertThat(phases.get("b")).isIn("Pending", "Skipped");
    assertThat(
            TestCluster.get()
                .client()
                .pods()
                .inNamespace(ns.name())
                .withLabel("workflows.argoproj.io/workflow", id)
                .list()
                .getItems()
                .stream()
                .filter(p -> "Running".equals(p.getStatus().getPhase()))
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .toList())
        .as("no pod keeps running after cancel")
        .isEmpty();
  }

  @Test
  void anOomKilledTaskIsRetriedWithMoreMemoryByArgo(TestNamespace ns) throws Exception {
    ArgoTestEnv.controller();
    Path file =
        Files.writeString(
            work.resolve("oom.yaml"),
            """
            name: oom
            dag:
              - name: big
                image: python:3.11-slim
                command: [python3, -c, "print(1)"]
                resources: {memory: 64Mi}
                on_oom: {increase: 2x, max: 1Gi}
                kubernetes: {pod_annotations: {sim.mlscale.dev/oom-below: 200Mi, sim.mlscale.dev/duration: 1s}}
              - {name: after, depends: [big], image: python:3.11-slim, command: [python3, -c, "print(1)"], kubernetes: {pod_annotations: {sim.mlscale.dev/duration: 1s}}}
            """);
    CliHarness.Result r =
        cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains("● big (try 1) Failed")
        .contains("● big (try 2) Failed")
        .contains("● big (try 3) Succeeded")
        .doesNotContain("big (try 4)")
        .contains("● after Succeeded");
    var pods =
        TestCluster.get().client().pods().inNamespace(ns.name()).list().getItems().stream()
            .filter(p -> p.getMetadata().getName().contains("-big-"))
            .sorted(java.util.Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()))
            .toList();
    assertThat(pods)
        .extracting(
            p ->
                p.getSpec().getContainers().stream()
                    .filter(c -> c.getName().equals("main"))
                    .findFirst()
                    .orElseThrow()
                    .getResources()
                    .getLimits()
                    .get("memory")
                    .toString())
        .containsExactly("64Mi", "128Mi", "256Mi");
    CliHarness.Result status =
        cli()
            .run(
                "pipeline",
                "status",
                r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1"),
                "--target",
                "k8s",
                "-n",
                ns.name());
    assertThat(status.out()).contains("OOMKilled");
    // the tries of a task are its logs too
    CliHarness.Result logs =
        cli()
            .run(
                "pipeline",
                "logs",
                r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1"),
                "big",
                "--target",
                "k8s",
                "-n",
                ns.name());
    assertThat(logs.out())
        .contains("[big (try 1)] simulated pod output")
        .contains("[big (try 3)] simulated pod output")
        .doesNotContain("[after]");
  }

  @Test
  void theHelloStepsExampleRunsUnchangedOnArgo(TestNamespace ns) {
    ArgoTestEnv.controller();
    CliHarness.Result r =
        cli()
            .run(
                "pipeline",
                "run",
                "examples/hello-steps/pipeline.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains("● hello Succeeded")
        .contains("● hello-a Succeeded")
        .contains("● hello-b Succeeded")
        .contains("● exit-handler Succeeded")
        .contains("[hello ✔] → [hello-a ✔ | hello-b ✔] → [exit-handler ✔]");
    assertThat(r.err().indexOf("● hello-a Running"))
        .isGreaterThan(r.err().indexOf("● hello Succeeded"));
    // submitted and left: another terminal follows it to its end
    CliHarness.Result detached =
        cli()
            .run(
                "pipeline",
                "run",
                "examples/hello-steps/pipeline.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name(),
                "--detach");
    assertThat(detached.exit()).as(detached.err()).isZero();
    String id = detached.out().trim();
    assertThat(detached.err()).contains("submitted; 'mlscale pipeline status " + id);
    CliHarness.Result followed =
        cli().run("pipeline", "logs", id, "--target", "k8s", "-n", ns.name(), "-f");
    assertThat(followed.exit()).as(followed.err()).isZero();
    assertThat(followed.out())
        .contains("[hello] simulated pod output")
        .contains("[hello-b] simulated pod output")
        .contains("[exit-handler] simulated pod output");
    assertThat(followed.out().indexOf("[hello-a]"))
        .isGreaterThan(followed.out().indexOf("[hello]"));
    CliHarness.Result watched =
        cli().run("pipeline", "status", id, "--target", "k8s", "-n", ns.name(), "-w");
    assertThat(watched.exit()).as(watched.err()).isZero();
    assertThat(watched.out())
        .contains("State:     ✔ Succeeded")
        .contains("[hello ✔] → [hello-a ✔ | hello-b ✔] → [exit-handler ✔]");
  }
}

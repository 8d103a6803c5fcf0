package dev.mlscale.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sweeps whose trials are Jobs on the real test cluster, and whose state lives there too. */
@ClusterTest
class ClusterSweepTest {
  @TempDir Path home;
  @TempDir Path otherHome;
  @TempDir Path work;

  private Path sweep(int trials, String duration) throws Exception {
    Files.writeString(work.resolve("train.py"), "print('trial')\n");
    Files.writeString(
        work.resolve("job.yaml"),
        """
        name: trial
        image: python:3.11-slim
        command: [python, train.py]
        args: ["${params.lr}"]
        params: {lr: 0.1}
        resources: {cpu: 100m, memory: 128Mi}
        kubernetes:
          pod_annotations:
            sim.mlscale.dev/duration: %s
            sim.mlscale.dev/message: '{"score": 0.75}'
        """
            .formatted(duration));
    return Files.writeString(
        work.resolve("sweep.yaml"),
        """
        name: cs
        job: job.yaml
        objective: {metric: score}
        algorithm: random
        seed: 11
        space: {lr: {loguniform: [1.0e-4, 1.0e-1]}}
        budget: {max_trials: %d, max_parallel: 2}
        """
            .formatted(trials));
  }

  private CliHarness cli(Path h) {
    return new CliHarness(h).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  @Test
  void trialsRunAsJobsAndResultsComeFromTheCluster(TestNamespace ns) throws Exception {
    Path sweep = sweep(4, "1s");
    CliHarness.Result r =
        cli(home).run("sweep", "run", sweep.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("4/4").contains("best: trial");
    List<Job> jobs =
        ns.client().batch().v1().jobs().withLabel(ClusterTrials.SWEEP).list().getItems();
    assertThat(jobs)
        .hasSize(4)
        .allSatisfy(
            j ->
                assertThat(j.getMetadata().getAnnotations())
                    .containsEntry("mlscale.dev/trial-state", "COMPLETED")
                    .containsEntry("mlscale.dev/trial-objective", "0.75"));
    String id = jobs.get(0).getMetadata().getLabels().get(ClusterTrials.SWEEP);
    CliHarness.Result show =
        cli(otherHome).run("sweep", "show", id, "--target", "k8s", "-n", ns.name());
    assertThat(show.exit()).as(show.all()).isZero();
    assertThat(show.out()).contains("Succeeded").contains("0.75");
    // the same view as a local sweep's, -o json included
    CliHarness.Result ls =
        cli(otherHome).run("sweep", "ls", "-o", "json", "--target", "k8s", "-n", ns.name());
    assertThat(ls.exit()).as(ls.all()).isZero();
    assertThat(ls.out())
        .contains("\"sweep\" : \"" + id + "\"")
        .contains("\"name\" : \"cs\"")
        .contains("\"state\" : \"Succeeded\"");
  }

  @Test
  void killedSweepResumesFromAnotherMachineWithoutLosingOrRepeatingTrials(TestNamespace ns)
      throws Exception {
    Path sweep = sweep(6, "4s");
    Map<String, String> env = new HashMap<>(cli(home).env);
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp",
            System.getProperty("java.class.path"),
            "dev.mlscale.cli.Main",
            "sweep",
            "run",
            sweep.toString(),
            "--target",
            "k8s",
            "-n",
            ns.name());
    pb.environment().putAll(env);
    pb.redirectErrorStream(true).redirectOutput(work.resolve("sweep.log").toFile());
    Process p = pb.start();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                ns.client()
                        .batch()
                        .v1()
                        .jobs()
                        .withLabel(ClusterTrials.SWEEP)
                        .list()
                        .getItems()
                        .size()
                    >= 2);
    p.destroyForcibly().waitFor(); // kill -9, while two trials run on the cluster
    Map<String, String> uidsBefore = new HashMap<>();
    String id = null;
    for (Job j : ns.client().batch().v1().jobs().withLabel(ClusterTrials.SWEEP).list().getItems()) {
      uidsBefore.put(j.getMetadata().getName(), j.getMetadata().getUid());
      id = j.getMetadata().getLabels().get(ClusterTrials.SWEEP);
    }
    // a crash between a trial's ConfigMap and its Job leaves the next trial's ConfigMap behind,
    // with other contents (its parameters are drawn again): the resume makes it anew
    String orphan = id + "-t" + uidsBefore.size() + "-files";
    ns.client()
        .configMaps()
        .resource(
            new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                .withNewMetadata()
                .withName(orphan)
                .endMetadata()
                .withImmutable(true)
                .addToData("params.json", "{\"lr\": -1}")
                .build())
        .create();
    // another machine: nothing local, only the kubeconfig
    CliHarness.Result r =
        cli(otherHome).run("sweep", "resume", id, "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.all() + Files.readString(work.resolve("sweep.log"))).isZero();
    List<Job> jobs =
        ns.client().batch().v1().jobs().withLabel(ClusterTrials.SWEEP).list().getItems();
    assertThat(jobs).hasSize(6);
    assertThat(jobs.stream().map(j -> j.getMetadata().getLabels().get(ClusterTrials.TRIAL)))
        .containsExactlyInAnyOrder("0", "1", "2", "3", "4", "5");
    for (Job j : jobs) {
      if (uidsBefore.containsKey(j.getMetadata().getName())) {
        assertThat(j.getMetadata().getUid())
            .as("followed, not created again")
            .isEqualTo(uidsBefore.get(j.getMetadata().getName()));
      }
      assertThat(j.getMetadata().getAnnotations())
          .containsEntry("mlscale.dev/trial-state", "COMPLETED");
    }
    var files = ns.client().configMaps().withName(orphan).get();
    assertThat(files.getData().get("params.json")).doesNotContain("-1");
    assertThat(files.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(o -> assertThat(o.getName()).isEqualTo(orphan.replace("-files", "")));
  }
}

package dev.mlscale.backend.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.RunState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The outcome classifier on fixtures: snapshots of a finished Job and its pods as the API server
 * shows them (src/test/resources/outcomes), no cluster needed. The same cases run end to end in
 * KubernetesRunTest, DistributedClusterTest and the conformance suite.
 */
class JobOutcomesTest {
  private static JobOutcomes.Snapshot fixture(String name) {
    try (InputStream in =
        JobOutcomesTest.class.getResourceAsStream("/outcomes/" + name + ".yaml")) {
      List<HasMetadata> items = Serialization.unmarshal(in, KubernetesList.class).getItems();
      Job job = items.stream().filter(Job.class::isInstance).map(Job.class::cast).findFirst().get();
      List<Pod> pods = items.stream().filter(Pod.class::isInstance).map(Pod.class::cast).toList();
      return new JobOutcomes.Snapshot(job, pods);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<RunPlan> plans(String extra) {
    JobSpec job =
        new SpecLoader()
            .parse(
                "name: train\nimage: python:3.11-slim\ncommand: [python, train.py]\n" + extra,
                "job.yaml",
                JobSpec.class,
                List.of());
    return Planner.submission("train-x", job, Path.of("job.yaml")).runs();
  }

  @Test
  void aCompletedJobSucceedsWithTheMetricsOfItsTerminationMessage() {
    var o = JobOutcomes.classify(fixture("succeeded"), plans(""), false).get(0);
    assertThat(o.row().state()).isEqualTo(RunState.SUCCEEDED);
    assertThat(o.metrics()).contains("{\"accuracy\": 0.97}");
  }

  @Test
  void anOomKilledPodIsExplainedWithItsLimitNodeAndTheFix() {
    var o = JobOutcomes.classify(fixture("oom"), plans("resources: {memory: 1Gi}\n"), false).get(0);
    assertThat(o.row().reason()).isEqualTo("OOMKilled");
    assertThat(o.row().exitCode()).isEqualTo(137);
    assertThat(o.row().message())
        .contains("limit of 1Gi")
        .contains("on node real-0")
        .contains("on_oom");
  }

  @Test
  void aJobPastItsDeadlineSaysItsTimeout() {
    var o = JobOutcomes.classify(fixture("deadline"), plans("timeout: 30s\n"), false).get(0);
    assertThat(o.row().state()).isEqualTo(RunState.FAILED);
    assertThat(o.row().reason()).isEqualTo("DeadlineExceeded");
    assertThat(o.row().message()).isEqualTo("ran longer than its timeout of 30s and was stopped");
  }

  @Test
  void aGangFailsWithTheFirstWorkerThatFailedAndKeepsRankZerosMetrics() {
    var o =
        JobOutcomes.classify(fixture("gang"), plans("distributed: {workers: 3}\n"), false).get(0);
    assertThat(o.row().state()).isEqualTo(RunState.FAILED);
    assertThat(o.row().reason()).isEqualTo("Error");
    assertThat(o.row().message())
        .startsWith("worker 1: ended with Error (exit code 3)")
        .endsWith("the Job stopped the other workers");
    assertThat(o.metrics()).contains("{\"loss\": 0.31}");
  }

  @Test
  void rowsEndByTheirIndexAndAFailedRowSaysItsLastPod() {
    var outcomes =
        JobOutcomes.classify(
            fixture("rows"),
            plans("retries: 1\nrows: [{lr: 0.1}, {lr: 0.01}, {lr: 0.001}]\n"),
            true);
    assertThat(outcomes)
        .extracting(o -> o.row().state())
        .containsExactly(RunState.SUCCEEDED, RunState.FAILED, RunState.SUCCEEDED);
    assertThat(outcomes.get(1).row().message())
        .isEqualTo("failed 2 time(s); the last pod ended with Error (exit code 4)");
    assertThat(outcomes.get(0).metrics()).contains("{\"accuracy\": 0.9}");
    assertThat(outcomes.get(2).metrics()).contains("{\"accuracy\": 0.8}");
  }
}

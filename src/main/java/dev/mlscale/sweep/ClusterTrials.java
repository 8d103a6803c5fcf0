package dev.mlscale.sweep;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.backend.RunListener;
import dev.mlscale.backend.kubernetes.ClusterConnection;
import dev.mlscale.backend.kubernetes.KubernetesBackend;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.metrics.Metric;
import dev.mlscale.plan.Planner;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.render.CodeArchive;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.store.ModelRecord;
import dev.mlscale.store.RunStore;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Trials as Jobs on a cluster. The Jobs are the record: a trial's Job carries its number and
 * parameters when it is created, and how it ended when the sweep has seen it end. So a sweep
 * resumed on any machine finds every trial: running trials keep running on the cluster and are
 * simply followed again, never restarted.
 */
public final class ClusterTrials implements TrialBackend {
  public static final String SWEEP = "mlscale.dev/sweep";
  public static final String TRIAL = "mlscale.dev/trial";
  public static final String TRIAL_PARAMS = "mlscale.dev/trial-params";
  static final String TRIAL_STATE = "mlscale.dev/trial-state";
  static final String TRIAL_OBJECTIVE = "mlscale.dev/trial-objective";
  static final String TRIAL_REASON = "mlscale.dev/trial-reason";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String sweepId;
  private final JobSpec job;
  private final Path jobFile;
  private final ClusterConnection cluster;
  private final KubernetesBackend backend;
  private final RunStore runs;
  private final ClusterSweeps sweeps;

  public ClusterTrials(
      String sweepId,
      JobSpec job,
      Path jobFile,
      ClusterConnection cluster,
      KubernetesBackend backend,
      RunStore runs) {
    this.sweepId = sweepId;
    this.job = job;
    this.jobFile = jobFile;
    this.cluster = cluster;
    this.backend = backend;
    this.runs = runs;
    this.sweeps = new ClusterSweeps(cluster);
  }

  private String runId(int number) {
    return sweepId + "-t" + number;
  }

  private RenderInput input(int number, Map<String, Object> params) {
    RunPlan plan = Planner.plan(runId(number), job.forRow(params), jobFile);
    String paramsJson;
    try {
      paramsJson = JSON.writeValueAsString(params);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return new RenderInput(
            plan, cluster.namespace(), CodeArchive.of(plan.workdir()), PythonHelper.source())
        .withMetadata(
            Map.of(SWEEP, sweepId, TRIAL, Integer.toString(number)),
            Map.of(TRIAL_PARAMS, paramsJson))
        .withPip(cluster.pip());
  }

  /**
   * One trial per number: its first Job is the record (a distributed trial's retried gangs are Jobs
   * {@code RUN-aN} of their own, with the same labels).
   */
  @Override
  public List<Trial> load() {
    return cluster.jobs().withLabel(SWEEP, sweepId).list().getItems().stream()
        .filter(j -> attempt(j) == 1)
        .map(ClusterTrials::trial)
        .sorted(Comparator.comparingInt(Trial::number))
        .toList();
  }

  static Trial trial(Job j) {
    Map<String, String> a = j.getMetadata().getAnnotations();
    Map<String, Object> params;
    try {
      params = JSON.readValue(a.getOrDefault(TRIAL_PARAMS, "{}"), new TypeReference<>() {});
    } catch (JsonProcessingException e) {
      params = Map.of();
    }
    String state = a.get(TRIAL_STATE);
    String objective = a.get(TRIAL_OBJECTIVE);
    return new Trial(
        Integer.parseInt(j.getMetadata().getLabels().get(TRIAL)),
        params,
        state == null ? Trial.TrialState.RUNNING : Trial.TrialState.valueOf(state),
        objective == null ? null : Double.valueOf(objective),
        j.getMetadata().getName(),
        a.get(TRIAL_REASON));
  }

  @Override
  public Callable<TrialOutcome> start(
      int number, Map<String, Object> params, RunListener listener) {
    RenderInput in = input(number, params);
    backend.submit(in);
    return () -> outcome(number, in, listener);
  }

  /** Follows the trial's latest try again: a retried gang's Job when there is one. */
  @Override
  public Callable<TrialOutcome> resume(Trial trial, RunListener listener) {
    RenderInput in = input(trial.number(), trial.params()).withAttempt(latest(trial.number()));
    return () -> outcome(trial.number(), in, listener);
  }

  private static int attempt(Job j) {
    String a = j.getMetadata().getLabels().get(dev.mlscale.render.Labels.ATTEMPT);
    return a == null ? 1 : Integer.parseInt(a);
  }

  private int latest(int number) {
    return cluster
        .jobs()
        .withLabel(SWEEP, sweepId)
        .withLabel(TRIAL, Integer.toString(number))
        .list()
        .getItems()
        .stream()
        .mapToInt(ClusterTrials::attempt)
        .max()
        .orElse(1);
  }

  private TrialOutcome outcome(int number, RenderInput in, RunListener listener) {
    var o = backend.follow(in, listener);
    return new TrialOutcome(number, o.runId(), o.state(), o.reason(), o.message(), o.metrics());
  }

  /** Early stopping: suspends the trial's latest try (a retried gang's Job when there is one). */
  @Override
  public void stop(String runId) {
    int n = Integer.parseInt(runId.substring(sweepId.length() + 2)); // SWEEP-tN
    int latest = latest(n);
    backend.suspend(latest == 1 ? runId : runId + "-a" + latest);
  }

  @Override
  public void stopAll() {
    // the trials' Jobs keep running on the cluster; 'mlscale sweep resume' follows them again
  }

  @Override
  public void end(Trial t) {
    Map<String, String> annotations = new LinkedHashMap<>();
    annotations.put(TRIAL_STATE, t.state().name());
    if (t.objective() != null) {
      annotations.put(TRIAL_OBJECTIVE, Double.toString(t.objective()));
    }
    if (t.reason() != null) {
      annotations.put(TRIAL_REASON, t.reason());
    }
    try {
      cluster
          .jobs()
          .withName(t.runId())
          .patch(
              PatchContext.of(PatchType.JSON_MERGE),
              JSON.writeValueAsString(Map.of("metadata", Map.of("annotations", annotations))));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void finish(String state, String message) {
    sweeps.finish(sweepId, state, message);
  }

  /** On a cluster the best model stays on the model-storage volume; its path is recorded. */
  @Override
  public ModelRecord registerBest(Trial best, JobSpec spec) {
    spec.outputsOpt()
        .ifPresent(
            o ->
                sweeps.annotate(
                    sweepId,
                    Map.of(
                        "mlscale.dev/best-model",
                        spec.kubernetes().modelStorage()
                            + ":models/"
                            + o.model()
                            + "/"
                            + best.runId())));
    sweeps.annotate(sweepId, Map.of("mlscale.dev/best-trial", Integer.toString(best.number())));
    return null;
  }

  @Override
  public List<Metric> metrics(String runId) {
    return runs.metrics(runId);
  }
}

package dev.mlscale.render;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.FailureKind;
import dev.mlscale.spec.Retries;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a plan as Kubernetes objects: pure code, no cluster. The pod is built by applying {@link
 * PodSteps} in a fixed order; the Job around it carries ownership labels, retries as {@code
 * backoffLimit} plus a {@code podFailurePolicy}, the timeout and a TTL.
 */
public final class JobRenderer {
  private static final ObjectMapper JSON = new ObjectMapper();

  private JobRenderer() {}

  /** The objects to apply, ConfigMaps first, the Job last. */
  public record Rendered(List<HasMetadata> objects, Job job) {}

  /**
   * Everything a submission's first try creates, in order: its objects and Job; for the rows of a
   * distributed job, each row's gang (an Indexed Job {@code RUN-rK} and its Service) in turn.
   */
  public static List<HasMetadata> objects(RenderInput in) {
    if (!gangRows(in)) {
      return render(in).objects();
    }
    List<HasMetadata> all = new ArrayList<>();
    for (RunPlan row : in.rows().runs()) {
      all.addAll(render(in.forRow(row)).objects());
    }
    return List.copyOf(all);
  }

  /** Whether {@code in} is rows of a distributed job: a gang per row, not one Indexed Job. */
  public static boolean gangRows(RenderInput in) {
    return in.rowsOpt().isPresent() && in.plan().spec().distributedOpt().isPresent();
  }

  public static Rendered render(RenderInput in) {
    RunPlan plan = in.plan();
    PodParts parts = emptyParts();
    for (PodSteps.Step step : PodSteps.all()) {
      parts = step.apply(parts, in);
    }
    Map<String, String> labels = new LinkedHashMap<>(labels(in.runId(), plan.name()));
    labels.put(Labels.ATTEMPT, Integer.toString(in.attempt()));
    labels.putAll(in.extraLabels());
    var k8s = plan.spec().kubernetes();
    Map<String, String> jobLabels = new LinkedHashMap<>(labels);
    jobLabels.putAll(Queueing.labels(k8s));
    Retries retries = plan.spec().retries();
    var gang = Gang.of(in);
    var spec =
        new JobBuilder()
            .withNewMetadata()
            .withName(in.jobName())
            .withNamespace(in.namespace())
            .withLabels(jobLabels)
            .withAnnotations(annotations(in))
            .endMetadata()
            .withNewSpec()
            .withSuspend(Queueing.suspend(k8s))
            .withBackoffLimit(
                in.rowsOpt().isPresent() ? null : gang.isPresent() ? 0 : retries.limit())
            .withBackoffLimitPerIndex(in.rowsOpt().isPresent() ? retries.limit() : null)
            .withCompletionMode(in.rowsOpt().isPresent() || gang.isPresent() ? "Indexed" : null)
            .withCompletions(
                in.rowsOpt()
                    .map(r -> r.runs().size())
                    .or(() -> gang.map(g -> g.workers()))
                    .orElse(null))
            .withParallelism(
                in.rowsOpt()
                    .map(r -> r.parallelism())
                    .or(() -> gang.map(g -> g.workers()))
                    .orElse(null))
            .withTtlSecondsAfterFinished((int) plan.spec().kubernetes().ttl().seconds())
            .withActiveDeadlineSeconds(plan.spec().timeoutOpt().map(t -> t.seconds()).orElse(null));
    List<PodFailurePolicyRule> rules =
        new ArrayList<>(
            failureRules(retries, in.rowsOpt().isPresent(), plan.spec().setupOpt().isPresent()));
    if (gang.isPresent()) {
      // a worker replaced alone would join a gang that is gone: a disruption fails the try too
      rules.removeIf(r -> r.getOnPodConditions() != null && !r.getOnPodConditions().isEmpty());
      rules.add(Gang.failJobOnAnyWorkerFailure());
    }
    if (!rules.isEmpty()) {
      spec = spec.withNewPodFailurePolicy().withRules(rules).endPodFailurePolicy();
    }
    Job job =
        spec.withNewTemplate()
            .withNewMetadata()
            .withLabels(labels)
            .withAnnotations(
                plan.spec().kubernetes().podAnnotations().isEmpty()
                    ? null
                    : plan.spec().kubernetes().podAnnotations())
            .endMetadata()
            .withSpec(
                new io.fabric8.kubernetes.api.model.PodSpecBuilder(podSpec(parts, plan.spec()))
                    .withSubdomain(gang.map(g -> in.objectsName()).orElse(null))
                    .withPriorityClassName(k8s.priorityClass())
                    .build())
            .endTemplate()
            .endSpec()
            .build();
    List<HasMetadata> objects = new ArrayList<>(parts.extraObjects());
    objects.add(job);
    return new Rendered(List.copyOf(objects), job);
  }

  /** The main container alone, before any step. */
  static PodParts emptyParts() {
    return new PodParts(
        new ContainerBuilder().withName(PodSteps.MAIN).build(),
        List.of(),
        List.of(),
        Map.of(),
        List.of(),
        List.of());
  }

  /** The pod of the steps' parts: never restarted, no service links, the job's account. */
  static io.fabric8.kubernetes.api.model.PodSpec podSpec(
      PodParts parts, dev.mlscale.spec.JobSpec spec) {
    return new io.fabric8.kubernetes.api.model.PodSpecBuilder()
        .withRestartPolicy("Never")
        .withEnableServiceLinks(false)
        .withServiceAccountName(spec.kubernetes().serviceAccount())
        .withInitContainers(parts.initContainers())
        .withContainers(parts.main())
        .withVolumes(parts.volumes())
        .withNodeSelector(parts.nodeSelector().isEmpty() ? null : parts.nodeSelector())
        .withTolerations(parts.tolerations())
        .build();
  }

  /**
   * A setup that cannot be built and exit codes in {@code fail_fast_exit_codes} fail the Job at
   * once; disruptions (eviction, preemption, a lost node) are retried without counting against
   * {@code backoffLimit} when the spec retries them.
   */
  static List<PodFailurePolicyRule> failureRules(Retries retries, boolean indexed, boolean setup) {
    List<PodFailurePolicyRule> rules = new ArrayList<>();
    if (setup) {
      // An environment that cannot be built (a requirement pip cannot find) fails the same way on
      // every try: fail at once, with pip's message, instead of retrying.
      rules.add(
          new PodFailurePolicyRuleBuilder()
              .withAction(indexed ? "FailIndex" : "FailJob")
              .withNewOnExitCodes()
              .withContainerName(PodSteps.SETUP)
              .withOperator("In")
              .withValues(PodSteps.SETUP_FAILED_EXIT)
              .endOnExitCodes()
              .build());
    }
    if (!retries.failFastExitCodes().isEmpty()) {
      rules.add(
          new PodFailurePolicyRuleBuilder()
              .withAction(indexed ? "FailIndex" : "FailJob")
              .withNewOnExitCodes()
              .withContainerName(PodSteps.MAIN)
              .withOperator("In")
              .withValues(retries.failFastExitCodes())
              .endOnExitCodes()
              .build());
    }
    if (retries.on().contains(FailureKind.DISRUPTION)) {
      rules.add(
          new PodFailurePolicyRuleBuilder()
              .withAction("Ignore")
              .addNewOnPodCondition()
              .withType("DisruptionTarget")
              .withStatus("True")
              .endOnPodCondition()
              .build());
    }
    return rules;
  }

  static Map<String, String> labels(String runId, String name) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(Labels.MANAGED_BY, Labels.MLSCALE);
    labels.put(Labels.RUN, runId);
    labels.put(Labels.JOB_NAME, name);
    return labels;
  }

  private static Map<String, String> annotations(RenderInput in) {
    RunPlan plan = in.plan();
    Map<String, String> a = new LinkedHashMap<>(in.extraAnnotations());
    try {
      a.put(
          Labels.PARAMS,
          JSON.writeValueAsString(
              in.rowsOpt().map(r -> r.spec().params()).orElse(plan.spec().params())));
      if (in.rowsOpt().isPresent()) {
        a.put(Labels.ROWS, Integer.toString(in.rows().runs().size()));
      }
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    plan.spec().outputsOpt().ifPresent(o -> a.put(Labels.MODEL, o.model()));
    a.putAll(
        Queueing.annotations(
            plan.spec().kubernetes(),
            in.rowsOpt().map(r -> Math.min(r.parallelism(), r.runs().size())).orElse(1)));
    return a;
  }
}

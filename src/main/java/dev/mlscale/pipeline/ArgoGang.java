package dev.mlscale.pipeline;

import dev.mlscale.error.UserError;
import dev.mlscale.render.JobRenderer;
import dev.mlscale.render.RenderInput;
import dev.mlscale.spec.JobSpec;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pipeline job task with {@code distributed} on Argo: a resource template that creates the same
 * Indexed Job as {@code mlscale run --target k8s} (rendered by {@link JobRenderer}, so every worker
 * gets the same pod, environment contract, pod failure policy and worker launcher) and waits for
 * it: it succeeds when all N workers succeeded and fails when one failed (the Job's pod failure
 * policy has then stopped the others). Argo sets the Workflow as the Job's owner ({@code
 * setOwnerReference}), so deleting the run deletes its Jobs and their pods.
 *
 * <p>A retry is a new Job: Argo's {@code retryStrategy} runs the create again, and each try's Job
 * is named {@code ID-TASK-aN} ({@code N} from Argo's {@code retries}), as {@code mlscale run} names
 * its tries. The workers' headless Service is made once per task, {@code ID-TASK}, with the run's
 * ConfigMaps (owned by the Workflow like them); it selects the pods of every try, each try's pods
 * named after their own Job.
 */
final class ArgoGang {
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private ArgoGang() {}

  /**
   * The resource template of task {@code name}; adds its files ConfigMap and its Service to {@code
   * configMaps} and {@code services}.
   */
  static Map<String, Object> template(
      String name,
      String workflowId,
      RenderInput in,
      JobSpec job,
      List<ConfigMap> configMaps,
      List<Service> services) {
    if (ArgoCompiler.oomLadder(job).size() > 1) {
      throw new UserError(
          "task '"
              + name
              + "' runs a distributed job with on_oom, which a pipeline on Argo cannot do yet"
              + " (a gang's memory is not stepped up per try there): remove on_oom from the job"
              + " and set its memory, or run the pipeline on this machine");
    }
    int limit = job.retries().limit();
    String tryName = limit == 0 ? in.objectsName() : in.objectsName() + "-a{{=asInt(retries)+1}}";
    JobRenderer.Rendered rendered = JobRenderer.render(in.withTryName(tryName));
    for (HasMetadata o : rendered.objects()) {
      if (o instanceof ConfigMap cm) {
        configMaps.add(cm);
      } else if (o instanceof Service s) {
        services.add(s);
      }
    }
    Job gang = withWorkspace(rendered.job(), workflowId);
    int workers = job.workers();
    Map<String, Object> resource = new LinkedHashMap<>();
    resource.put("action", "create");
    resource.put("setOwnerReference", true);
    // all N workers succeeded; any worker failing fails the Job (FailJob) and this step
    resource.put("successCondition", "status.succeeded > " + (workers - 1));
    resource.put("failureCondition", "status.failed > 0");
    resource.put("manifest", SERIALIZATION.asYaml(gang));
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("name", name);
    t.put("resource", resource);
    if (limit > 0) {
      Map<String, Object> retry = new LinkedHashMap<>();
      retry.put("limit", Integer.toString(limit));
      retry.put("retryPolicy", "Always");
      Map<String, Object> backoff = new LinkedHashMap<>();
      backoff.put("duration", job.retries().backoff().toString());
      backoff.put("factor", "2");
      backoff.put("maxDuration", job.retries().maxBackoff().toString());
      retry.put("backoff", backoff);
      t.put("retryStrategy", retry);
    }
    return t;
  }

  /** The workers mount the run's workspace claim, which Argo names WORKFLOW-run-workspace. */
  private static Job withWorkspace(Job job, String workflowId) {
    return new JobBuilder(job)
        .editSpec()
        .editTemplate()
        .editSpec()
        .addNewVolume()
        .withName(ArgoCompiler.RUN_WORKSPACE)
        .withNewPersistentVolumeClaim()
        .withClaimName(workflowId + "-" + ArgoCompiler.RUN_WORKSPACE)
        .endPersistentVolumeClaim()
        .endVolume()
        .editFirstContainer()
        .addNewVolumeMount()
        .withName(ArgoCompiler.RUN_WORKSPACE)
        .withMountPath(ArgoCompiler.WORKSPACE)
        .endVolumeMount()
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }
}

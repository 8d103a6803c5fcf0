package dev.mlscale.render;

import dev.mlscale.plan.WorkerEnv;
import dev.mlscale.spec.Distributed;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRuleBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A distributed run on Kubernetes, the JobSet pattern without JobSet: ONE Indexed Job whose
 * completions and parallelism are the workers, a headless Service named like the Job that the pods
 * join with {@code subdomain}, so worker K is {@code JOB-K.JOB} in DNS; {@code MASTER_ADDR} is
 * worker 0's name. A pod failure policy fails the whole Job when any worker fails (the Job
 * controller then stops the others), so one Job is one try of the gang; mlscale retries a gang as a
 * new Job ({@code JOB-aN}), so {@code retries.limit} counts gangs, not pods.
 */
public final class Gang {
  /**
   * Starts a worker: it waits until every peer has an address (at most {@code start_timeout}, else
   * the gang fails with {@link #GANG_NOT_STARTED}), then worker 0 keeps {@code
   * $MLSCALE_OUTPUT_DIR}, the others write elsewhere, and it execs the job's command.
   */
  static final String START_TIMEOUT = "MLSCALE_GANG_START_TIMEOUT";

  /** The exit code of a worker whose peers never all had an address within start_timeout. */
  public static final int GANG_NOT_STARTED = 75;

  static final List<String> WORKER_LAUNCHER = List.of("python3", "-m", "mlscale", "worker");

  static final String INDEX_FIELD =
      "metadata.annotations['batch.kubernetes.io/job-completion-index']";

  private Gang() {}

  /**
   * The gang of {@code in}, when it is one (a distributed run). Rows of a distributed job are one
   * gang each, rendered one by one ({@link JobRenderer#objects}); only a pipeline's fan-out on
   * Argo, one template for all its rows, comes here with rows.
   */
  static Optional<Distributed> of(RenderInput in) {
    Optional<Distributed> gang = in.plan().spec().distributedOpt();
    if (in.rowsOpt().isPresent() && gang.isPresent()) {
      throw dev.mlscale.spec.SpecLoader.errorAt(
          in.plan().specFile(),
          "/distributed",
          "a pipeline task with for_each cannot run a distributed job on Argo yet: its rows"
              + " share one template, and each would need a gang of its own. Write one task per"
              + " row (each a gang), or run the pipeline on this machine");
    }
    return gang;
  }

  /**
   * DNS names of the workers, by rank: {@code JOB-K.SERVICE} (the pod's hostname, which the Job
   * controller names after the Job, and its subdomain, the Service). The Service is named like the
   * Job, except on Argo, where one Service serves every try's Job.
   */
  static List<String> hosts(RenderInput in, int workers) {
    List<String> hosts = new ArrayList<>();
    for (int k = 0; k < workers; k++) {
      hosts.add(in.jobName() + "-" + k + "." + in.objectsName());
    }
    return hosts;
  }

  /**
   * The step: the worker environment (shared values, and the rank from the pod's completion index),
   * the port, the launcher when worker 0's model is kept, and the headless Service.
   */
  static PodParts step(PodParts parts, RenderInput in) {
    Optional<Distributed> gang = of(in);
    if (gang.isEmpty()) {
      return parts;
    }
    int n = gang.get().workers();
    int port = gang.get().port();
    List<EnvVar> env = new ArrayList<>();
    WorkerEnv.common(hosts(in, n), java.util.Collections.nCopies(n, port))
        .forEach((k, v) -> env.add(new EnvVar(k, v, null)));
    for (String rank : List.of("RANK", "NODE_RANK", "GROUP_RANK", WorkerEnv.INDEX)) {
      env.add(
          new EnvVarBuilder()
              .withName(rank)
              .withNewValueFrom()
              .withNewFieldRef()
              .withFieldPath(INDEX_FIELD)
              .endFieldRef()
              .endValueFrom()
              .build());
    }
    env.add(new EnvVar("LOCAL_RANK", "0", null));
    env.add(new EnvVar("LOCAL_WORLD_SIZE", "1", null));
    env.add(new EnvVar(WorkerEnv.PORT, Integer.toString(port), null));
    env.add(
        new EnvVar(
            START_TIMEOUT, Long.toString(gang.get().startTimeout().duration().toSeconds()), null));
    return parts
        .withMain(
            c -> {
              ContainerBuilder b =
                  new ContainerBuilder(c)
                      .addAllToEnv(env)
                      .addNewPort()
                      .withName("worker")
                      .withContainerPort(port)
                      .endPort();
              // the launcher waits for every peer (start_timeout), then execs the command
              List<String> command = new ArrayList<>(WORKER_LAUNCHER);
              command.addAll(c.getCommand());
              b.withCommand(command);
              return b.build();
            })
        .plusObject(service(in, port));
  }

  /**
   * The headless Service that gives each worker its DNS name, even before it is ready: the pods of
   * the run's attempt (on Argo, that is every try's, each try a Job of its own name).
   */
  static Service service(RenderInput in, int port) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(in.objectsName())
        .withNamespace(in.namespace())
        .withLabels(JobRenderer.labels(in.runId(), in.plan().name()))
        .endMetadata()
        .withNewSpec()
        .withClusterIP("None")
        .withPublishNotReadyAddresses(true)
        .withSelector(
            new java.util.TreeMap<>(
                Map.of(Labels.RUN, in.runId(), Labels.ATTEMPT, Integer.toString(in.attempt()))))
        .addNewPort()
        .withName("worker")
        .withPort(port)
        .withTargetPort(new io.fabric8.kubernetes.api.model.IntOrString(port))
        .endPort()
        .endSpec()
        .build();
  }

  /** Any worker that fails fails the Job: the others are stopped, and the gang is tried anew. */
  static PodFailurePolicyRule failJobOnAnyWorkerFailure() {
    return new PodFailurePolicyRuleBuilder()
        .withAction("FailJob")
        .withNewOnExitCodes()
        .withContainerName(PodSteps.MAIN)
        .withOperator("NotIn")
        .withValues(0)
        .endOnExitCodes()
        .build();
  }
}

package dev.mlscale.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One training job as the user wrote it. The same file runs on the local backend and on Kubernetes:
 * {@code image} is used only on the cluster, everything else means the same on both.
 */
public record JobSpec(
    String name,
    String image,
    String workdir,
    List<String> command,
    List<String> args,
    Setup setup,
    Map<String, String> env,
    Map<String, Object> params,
    Resources resources,
    Retries retries,
    OnOom onOom,
    DurationValue timeout,
    Outputs outputs,
    KubernetesOptions kubernetes,
    List<Map<String, Object>> rows,
    Integer parallelism,
    Map<String, SecretRef> secrets,
    Distributed distributed) {

  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

  public JobSpec {
    SpecFieldException.require(name, "name", "a short name for the job, e.g. name: digits");
    SpecFieldException.check(
        NAME.matcher(name).matches(),
        "name",
        "job name '"
            + name
            + "' may only hold letters, digits, '.', '_' and '-' (at most 63), and must start with"
            + " a letter or digit");
    SpecFieldException.require(
        command, "command", "the program to run as a list, e.g. command: [python, train.py]");
    SpecFieldException.check(
        !command.isEmpty(), "command", "command is empty; write e.g. command: [python, train.py]");
    workdir = workdir == null ? "." : workdir;
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : unmodifiable(env);
    params = params == null ? Map.of() : unmodifiable(params);
    resources = resources == null ? Resources.DEFAULT : resources;
    retries = retries == null ? Retries.NONE : retries;
    command = List.copyOf(command);
    kubernetes = kubernetes == null ? KubernetesOptions.DEFAULT : kubernetes;
    secrets = secrets == null ? Map.of() : unmodifiable(secrets);
    rows = rows == null ? List.of() : rows.stream().map(JobSpec::unmodifiable).toList();
    SpecFieldException.check(
        parallelism == null || parallelism >= 1,
        "parallelism",
        "parallelism must be 1 or more, got " + parallelism);
    checkOnOom(resources, onOom);
  }

  /**
   * On OOM a job runs again with more memory: it needs a memory limit to start from, and a max
   * above it. Pipeline tasks written inline check the same.
   */
  public static void checkOnOom(Resources resources, OnOom onOom) {
    if (onOom == null) {
      return;
    }
    MemorySize memory = resources == null ? null : resources.memory();
    SpecFieldException.check(
        memory != null,
        "on_oom",
        "on_oom needs a memory limit to increase; add resources: {memory: 2Gi}");
    SpecFieldException.check(
        onOom.max().compareTo(memory) > 0,
        "on_oom/max",
        "on_oom.max "
            + onOom.max()
            + " is not more than resources.memory "
            + memory
            + ", so there is no more memory to try; raise on_oom.max or remove on_oom");
  }

  private static <V> Map<String, V> unmodifiable(Map<String, V> map) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }

  /** This spec with {@code row} merged over its params, and no rows of its own. */
  public JobSpec forRow(Map<String, Object> row) {
    Map<String, Object> merged = new LinkedHashMap<>(params);
    merged.putAll(row);
    return copy(args, env, merged, null, null);
  }

  /** This spec with more environment variables (they win over the spec's own). */
  public JobSpec withEnv(Map<String, String> extra) {
    Map<String, String> merged = new LinkedHashMap<>(env);
    merged.putAll(extra);
    return copy(args, merged, params, rows, parallelism);
  }

  /** This spec with {@code more} arguments after its own. */
  public JobSpec withMoreArgs(List<String> more) {
    if (more.isEmpty()) {
      return this;
    }
    List<String> all = new java.util.ArrayList<>(args);
    all.addAll(more);
    return copy(all, env, params, rows, parallelism);
  }

  /** This spec with other rows (from --param-grid). */
  public JobSpec withRows(List<Map<String, Object>> newRows) {
    return copy(args, env, params, newRows, parallelism);
  }

  /** A job that only runs {@code command}: every other field unset, so at its default. */
  public static JobSpec ofCommand(String name, String image, String workdir, List<String> command) {
    return new JobSpec(
        name, image, workdir, command, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null);
  }

  /** A copy with the fields the withers above change; every other field as it is. */
  private JobSpec copy(
      List<String> newArgs,
      Map<String, String> newEnv,
      Map<String, Object> newParams,
      List<Map<String, Object>> newRows,
      Integer newParallelism) {
    return new JobSpec(
        name,
        image,
        workdir,
        command,
        newArgs,
        setup,
        newEnv,
        newParams,
        resources,
        retries,
        onOom,
        timeout,
        outputs,
        kubernetes,
        newRows,
        newParallelism,
        secrets,
        distributed);
  }

  public Optional<Outputs> outputsOpt() {
    return Optional.ofNullable(outputs);
  }

  public Optional<DurationValue> timeoutOpt() {
    return Optional.ofNullable(timeout);
  }

  public Optional<Distributed> distributedOpt() {
    return Optional.ofNullable(distributed);
  }

  /** How many workers each run has: 1 unless {@code distributed} asks for more. */
  public int workers() {
    return distributed == null ? 1 : distributed.workers();
  }

  public Optional<Setup> setupOpt() {
    return Optional.ofNullable(setup);
  }
}

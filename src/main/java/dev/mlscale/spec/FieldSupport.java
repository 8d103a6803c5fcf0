package dev.mlscale.spec;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.mlscale.error.SourcePosition;
import dev.mlscale.error.UserError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiPredicate;

/**
 * Which field of which spec works where: the one table of every field of job specs, pipelines (and
 * their tasks) and sweeps, per target (this machine, Kubernetes Jobs and sweep trials, Argo
 * Workflows), and the check that applies it. A field either takes effect on a target, or is refused
 * there (a {@link UserError}, exit 2, naming the field, the target and what to do instead), or is
 * ignored because it is meant for another target and harmless here: silently (documented) or with
 * one warning line. Nothing is dropped without one of these. The README's table "Which field works
 * where" is this table.
 */
public final class FieldSupport {
  private FieldSupport() {}

  /** Where a spec runs. */
  public enum Target {
    LOCAL("on this machine"),
    KUBERNETES("on Kubernetes"),
    ARGO("on Argo");

    private final String words;

    Target(String words) {
      this.words = words;
    }

    public String words() {
      return words;
    }
  }

  /** What a field does on a target. */
  public enum Support {
    /** It takes effect. */
    EFFECT,
    /** It is meant for another target and harmless here: ignored without a word (documented). */
    IGNORED,
    /** Harmless here, but not what it does elsewhere: ignored with one warning line. */
    WARN,
    /** Refused with exit 2 when set (when {@code when} holds for its value, if given). */
    REFUSE,
    /** This kind of spec does not run on this target at all. */
    NONE
  }

  /** A field's value and what is known about the run it is checked for. */
  public record Context(String namespace) {}

  /** One cell of the table: what a field does on one target, and why. */
  public record Cell(Support support, String why, BiPredicate<JsonNode, Context> when) {
    public Cell {
      when = when == null ? (v, c) -> true : when;
    }

    boolean applies(JsonNode value, Context ctx) {
      return when.test(value, ctx);
    }
  }

  /**
   * One row: {@code spec} is job, task, pipeline or sweep; {@code path} the field, dotted; {@code
   * scope} narrows the row: for job fields "sweep" or "pipeline" (the job of a sweep or of a
   * pipeline task), for task fields the task kinds it is for (job, command, s3, slack,
   * register_model); null for every use.
   */
  public record Row(
      String spec, String path, String scope, Cell local, Cell kubernetes, Cell argo) {
    public Cell cell(Target t) {
      return switch (t) {
        case LOCAL -> local;
        case KUBERNETES -> kubernetes;
        case ARGO -> argo;
      };
    }

    boolean in(String kind) {
      return scope == null || List.of(scope.split(",")).contains(kind);
    }
  }

  private static Cell ok() {
    return new Cell(Support.EFFECT, "", null);
  }

  private static Cell ignored(String why) {
    return new Cell(Support.IGNORED, why, null);
  }

  private static Cell warn(String why) {
    return new Cell(Support.WARN, why, null);
  }

  private static Cell refuse(String why) {
    return new Cell(Support.REFUSE, why, null);
  }

  private static Cell refuseIf(BiPredicate<JsonNode, Context> when, String why) {
    return new Cell(Support.REFUSE, why, when);
  }

  private static Cell none() {
    return new Cell(Support.NONE, "", null);
  }

  private static final String CLUSTER_ONLY = "it is for the cluster";
  private static final String IN_JOB_FILE =
      "a job task runs its job file as written: set it in that file (or use a command task)";
  private static final String BUILT_IN = "built-in tasks run mlscale's own container: remove it";
  private static final String NO_ROWS_SWEEP =
      "a sweep's trials take their params from its space: remove it from the job, or run the"
          + " rows with mlscale run";
  private static final String NO_ROWS_PIPELINE =
      "a pipeline task runs one job: fan it out with for_each on the task instead";

  private static final String EARLY_STOPPING =
      "it reads the trials' metrics from their pods' logs; without logs it stops nothing";

  /** The table; the README's "Which field works where" shows it. */
  static final List<Row> ROWS = new ArrayList<>();

  private static void job(String path, Cell local, Cell k8s, Cell argo) {
    ROWS.add(new Row("job", path, null, local, k8s, argo));
  }

  private static void jobIn(String scope, String path, Cell local, Cell k8s, Cell argo) {
    ROWS.add(new Row("job", path, scope, local, k8s, argo));
  }

  private static void task(String scope, String path, Cell local, Cell argo) {
    ROWS.add(new Row("task", path, scope, local, none(), argo));
  }

  private static void pipeline(String path, Cell local, Cell argo) {
    ROWS.add(new Row("pipeline", path, null, local, none(), argo));
  }

  private static void sweep(String path, Cell local, Cell k8s) {
    ROWS.add(new Row("sweep", path, null, local, k8s, none()));
  }

  static {
    for (String f : List.of("name", "workdir", "command", "args", "env", "params", "secrets")) {
      job(f, ok(), ok(), ok());
    }
    job("image", ignored("the container image; this machine runs the command itself"), ok(), ok());
    job("setup", ok(), ok(), ok());
    for (String f :
        List.of("python", "requirements", "commands", "inputs", "index_url", "extra_index_urls")) {
      job("setup." + f, ok(), ok(), ok());
    }
    job(
        "setup.wheelhouse",
        ok(),
        ok(), // a folder on the env storage claim there, of the workdir here
        ok());
    job(
        "setup.index_credentials",
        ignored("a Kubernetes Secret; here pip uses your own pip configuration and keyring"),
        ok(),
        ok());
    job("resources", ok(), ok(), ok());
    for (String f : List.of("cpu", "memory", "gpus")) {
      job("resources." + f, ok(), ok(), ok());
    }
    job("retries", ok(), ok(), ok());
    job("retries.limit", ok(), ok(), ok());
    job(
        "retries.on",
        ok(),
        refuseIf(
            (v, c) -> kinds(v).contains("timeout") || !kinds(v).contains("error"),
            "a Job retries every failed pod (errors and OOMKilled alike) and a timeout ends the"
                + " whole Job: list error (and disruption if you like), never timeout"),
        refuseIf(
            (v, c) -> !kinds(v).equals(Set.of("error", "disruption")),
            "Argo retries every failed try whatever failed it: remove on"));
    job(
        "retries.backoff",
        ok(),
        warn("Kubernetes waits 10s, then twice as long each time (at most 6 min)"),
        ok());
    job(
        "retries.max_backoff",
        ok(),
        warn("Kubernetes waits 10s, then twice as long each time (at most 6 min)"),
        ok());
    job(
        "retries.fail_fast_exit_codes",
        ok(),
        ok(),
        refuse(
            "Argo retries every failed try whatever its exit code: remove it or set retries: 0"));
    job("on_oom", ok(), ok(), ok());
    job("on_oom.increase", ok(), ok(), ok());
    job("on_oom.max", ok(), ok(), ok());
    jobIn(
        "sweep",
        "on_oom",
        ok(),
        refuse(
            "sweep trials on Kubernetes are not run again with more memory: remove on_oom and"
                + " give the job the memory it needs"),
        none());
    job("timeout", ok(), ok(), ok());
    job("outputs", ok(), ok(), ok());
    job("outputs.model", ok(), ok(), ok());
    job("rows", ok(), ok(), none());
    job("parallelism", ok(), ok(), none());
    jobIn("sweep", "rows", refuse(NO_ROWS_SWEEP), refuse(NO_ROWS_SWEEP), none());
    jobIn("sweep", "parallelism", refuse(NO_ROWS_SWEEP), refuse(NO_ROWS_SWEEP), none());
    jobIn("pipeline", "rows", refuse(NO_ROWS_PIPELINE), none(), refuse(NO_ROWS_PIPELINE));
    jobIn("pipeline", "parallelism", refuse(NO_ROWS_PIPELINE), none(), refuse(NO_ROWS_PIPELINE));
    job("distributed", ok(), ok(), ok());
    job("distributed.workers", ok(), ok(), ok());
    job(
        "distributed.port",
        ignored("on this machine every worker gets a free port of its own"),
        ok(),
        ok());
    job(
        "distributed.start_timeout",
        ignored("on this machine a gang starts only when all its workers fit, all at once"),
        ok(),
        ok());
    job("kubernetes", ignored(CLUSTER_ONLY), ok(), ok());
    for (String f :
        List.of(
            "node_pool",
            "gpu_product",
            "node_selector",
            "tolerations",
            "model_storage",
            "service_account",
            "pod_annotations",
            "env_storage")) {
      job("kubernetes." + f, ignored(CLUSTER_ONLY), ok(), ok());
    }
    job(
        "kubernetes.namespace",
        ignored(CLUSTER_ONLY),
        ok(), // used unless -n names another
        refuseIf(
            (v, c) -> !v.asText().equals(c.namespace()),
            "a pipeline's pods all run in the namespace of its Workflow (-n, else the"
                + " context's): run it with -n NAMESPACE, or remove kubernetes.namespace"));
    job(
        "kubernetes.queue",
        ignored(CLUSTER_ONLY),
        ok(),
        refuse(
            "Argo's pods are not queued with Kueue: remove kubernetes.queue (a pipeline's"
                + " parallelism limits how many tasks run at once)"));
    job(
        "kubernetes.priority_class",
        ignored(CLUSTER_ONLY),
        ok(),
        refuse("pipeline tasks do not take a PriorityClass yet: remove kubernetes.priority_class"));
    job(
        "kubernetes.ttl",
        ignored(CLUSTER_ONLY),
        ok(),
        warn("the Workflow decides: it is deleted 1 day after it ends"));

    // pipeline tasks; kinds: job, command, s3, slack, register_model
    for (String f : List.of("name", "depends")) {
      task(null, f, ok(), ok());
    }
    for (String f :
        List.of("job", "command", "slack", "s3_download", "s3_upload", "register_model")) {
      task(null, f, ok(), ok());
    }
    task(
        null,
        "s3_upload.create_bucket",
        ok(),
        refuseIf(
            (v, c) -> v.asBoolean(),
            "the cluster does not create buckets: create it first and remove create_bucket"));
    task(
        "command",
        "image",
        ignored("the container image; this machine runs the command itself"),
        ok());
    task("command", "kubernetes", ignored(CLUSTER_ONLY), ok()); // its fields: as a job's
    for (String f : List.of("args", "env")) {
      task("job,command", f, ok(), ok());
    }
    for (String f : List.of("resources", "retries", "on_oom", "timeout")) {
      task("command", f, ok(), ok());
    }
    for (String f : List.of("image", "resources", "retries", "on_oom", "timeout", "kubernetes")) {
      task("job", f, refuse(IN_JOB_FILE), refuse(IN_JOB_FILE));
    }
    task(
        "s3",
        "image",
        ignored("this machine copies with the AWS SDK; on the cluster: the AWS CLI's image"),
        ok());
    task("slack,register_model", "image", refuse(BUILT_IN), refuse(BUILT_IN));
    for (String f :
        List.of("args", "env", "resources", "retries", "on_oom", "timeout", "kubernetes")) {
      task("s3,slack,register_model", f, refuse(BUILT_IN), refuse(BUILT_IN));
    }
    for (String f : List.of("params", "for_each")) {
      task("job,command,s3", f, ok(), ok());
      String why =
          "slack and register_model tasks use no params: remove it (one such task is enough)";
      task("slack,register_model", f, refuse(why), refuse(why));
    }

    for (String f : List.of("name", "params", "dag", "steps", "on_exit", "parallelism")) {
      pipeline(f, ok(), ok());
    }
    pipeline("image", ignored("the container image; this machine runs the commands itself"), ok());
    pipeline("kubernetes", ignored(CLUSTER_ONLY), ok());
    for (String f :
        List.of("node_pool", "node_selector", "tolerations", "service_account", "aws_cli_image")) {
      pipeline("kubernetes." + f, ignored(CLUSTER_ONLY), ok());
    }

    for (String f :
        List.of(
            "name",
            "job",
            "objective",
            "algorithm",
            "seed",
            "space",
            "budget",
            "budget.max_trials",
            "budget.max_parallel",
            "budget.max_failed",
            "auto_reason")) {
      sweep(f, ok(), ok());
    }
    for (String f : List.of("early_stopping", "early_stopping.rule", "early_stopping.min_steps")) {
      sweep(f, ok(), warn(EARLY_STOPPING));
    }
    sweep("early_stopping.reduction_factor", ok(), warn(EARLY_STOPPING));
  }

  /** The whole table, in order. */
  public static List<Row> rows() {
    return List.copyOf(ROWS);
  }

  private static Set<String> kinds(JsonNode v) {
    Set<String> out = new java.util.TreeSet<>();
    if (v.isArray()) {
      v.forEach(x -> out.add(x.asText()));
    } else if (!v.isNull()) {
      out.add(v.asText());
    }
    return out;
  }

  /** What one check found: warnings to print; refusals were thrown. */
  private static final class Findings {
    final Set<String> warnings = new LinkedHashSet<>();
  }

  /**
   * Checks a job spec file for a target; {@code use} is null for mlscale run, "sweep" for the job
   * of a sweep. Returns the warnings (one line each); throws a {@link UserError} for a refused
   * field that is set.
   */
  public static List<String> checkJob(Path file, List<String> overrides, Target t, String use) {
    Findings f = new Findings();
    SpecLoader.Tree tree = SpecLoader.readTree(file, overrides);
    walkJob(tree, JsonPointer.empty(), t, use, new Context(null), f);
    return List.copyOf(f.warnings);
  }

  /** Checks a sweep and its job file for a target (local or Kubernetes). */
  public static List<String> checkSweep(
      Path sweepFile, List<String> overrides, Path jobFile, Target t) {
    Findings f = new Findings();
    SpecLoader.Tree tree = SpecLoader.readTree(sweepFile, overrides);
    walk(tree, "sweep", JsonPointer.empty(), null, t, new Context(null), f);
    walkJob(SpecLoader.readTree(jobFile, List.of()), JsonPointer.empty(), t, "sweep", null, f);
    return List.copyOf(f.warnings);
  }

  /**
   * Checks a pipeline, its tasks and the job files they name for a target (local or Argo); {@code
   * namespace} is the one its Workflow goes to (null locally).
   */
  public static List<String> checkPipeline(
      Path file, List<String> overrides, Target t, String namespace) {
    Findings f = new Findings();
    Context ctx = new Context(namespace);
    SpecLoader.Tree tree = SpecLoader.readTree(file, overrides);
    walk(tree, "pipeline", JsonPointer.empty(), null, t, ctx, f);
    List<JsonPointer> tasks = new ArrayList<>();
    JsonNode dag = tree.root().path("dag");
    for (int i = 0; i < dag.size(); i++) {
      tasks.add(JsonPointer.compile("/dag/" + i));
    }
    JsonNode steps = tree.root().path("steps");
    for (int i = 0; i < steps.size(); i++) {
      for (int j = 0; j < steps.get(i).size(); j++) {
        tasks.add(JsonPointer.compile("/steps/" + i + "/" + j));
      }
    }
    if (tree.root().path("on_exit").isObject()) {
      tasks.add(JsonPointer.compile("/on_exit"));
    }
    for (JsonPointer at : tasks) {
      JsonNode task = tree.root().at(at);
      String kind = kindOf(task);
      walk(tree, "task", at, kind, t, ctx, f);
      if (kind.equals("command") && task.path("kubernetes").isObject()) {
        walkJobPaths(tree, at, "kubernetes.", t, "pipeline", ctx, f);
      }
      if (kind.equals("job") && task.path("job").isTextual()) {
        Path jobFile = file.toAbsolutePath().getParent().resolve(task.get("job").asText());
        if (java.nio.file.Files.isRegularFile(jobFile)) {
          SpecLoader.Tree job = SpecLoader.readTree(jobFile, List.of());
          walkJob(job, JsonPointer.empty(), t, "pipeline", ctx, f);
        }
      }
    }
    return List.copyOf(f.warnings);
  }

  /** The namespace for cluster runs: -n, else the one the specs name (they must agree). */
  public static String namespace(String flag, List<JobSpec> specs) {
    if (flag != null) {
      return flag;
    }
    Set<String> named = new java.util.TreeSet<>();
    specs.stream()
        .map(s -> s.kubernetes().namespace())
        .filter(java.util.Objects::nonNull)
        .forEach(named::add);
    if (named.size() > 1) {
      throw new UserError(
          "the specs name different namespaces ("
              + String.join(", ", named)
              + ") in kubernetes.namespace; run them separately, or pick one with -n");
    }
    return named.isEmpty() ? null : named.iterator().next();
  }

  private static String kindOf(JsonNode task) {
    for (String k : List.of("job", "command", "slack", "register_model")) {
      if (task.has(k)) {
        return k;
      }
    }
    return "s3";
  }

  private static void walkJob(
      SpecLoader.Tree tree, JsonPointer at, Target t, String use, Context ctx, Findings f) {
    walkJobPaths(tree, at, "", t, use, ctx == null ? new Context(null) : ctx, f);
  }

  private static void walkJobPaths(
      SpecLoader.Tree tree,
      JsonPointer at,
      String prefix,
      Target t,
      String use,
      Context ctx,
      Findings f) {
    for (Row r : ROWS) {
      if (r.spec().equals("job") && r.path().startsWith(prefix) && r.scope() == null) {
        Row effective =
            ROWS.stream()
                .filter(x -> x.spec().equals("job") && x.path().equals(r.path()))
                .filter(x -> use != null && use.equals(x.scope()))
                .findFirst()
                .orElse(r);
        apply(tree, at, effective, t, ctx, f);
      }
    }
  }

  private static void walk(
      SpecLoader.Tree tree,
      String spec,
      JsonPointer at,
      String kind,
      Target t,
      Context ctx,
      Findings f) {
    for (Row r : ROWS) {
      if (r.spec().equals(spec) && (kind == null || r.in(kind))) {
        apply(tree, at, r, t, ctx, f);
      }
    }
  }

  private static void apply(
      SpecLoader.Tree tree, JsonPointer at, Row r, Target t, Context ctx, Findings f) {
    JsonPointer p = at;
    for (String part : r.path().split("\\.")) {
      p = p.appendProperty(part);
    }
    JsonNode value = tree.root().at(p);
    if (value.isMissingNode() || value.isNull()) {
      return;
    }
    Cell c = r.cell(t);
    if (!c.applies(value, ctx)) {
      return;
    }
    String field = SpecLoader.dotted(p);
    SourcePosition pos = tree.locations().find(p, true);
    switch (c.support()) {
      case REFUSE ->
          throw new UserError(pos, "'" + field + "' does not work " + t.words() + ": " + c.why());
      case WARN ->
          f.warnings.add(
              "warning: " + pos + ": '" + field + "' has no effect " + t.words() + ": " + c.why());
      default -> {}
    }
  }

  /** Prints each warning once, one line each, on {@code err}. */
  public static void print(java.io.PrintStream err, List<String> warnings) {
    new LinkedHashSet<>(warnings).forEach(err::println);
  }
}

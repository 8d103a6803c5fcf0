package dev.mlscale.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.mlscale.error.UserError;
import dev.mlscale.pipeline.PipelinePlacement;
import dev.mlscale.pipeline.PipelineSpec;
import dev.mlscale.pipeline.TaskSpec;
import dev.mlscale.spec.FieldSupport.Row;
import dev.mlscale.spec.FieldSupport.Support;
import dev.mlscale.spec.FieldSupport.Target;
import dev.mlscale.sweep.SweepSpec;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FieldSupportTest {
  @TempDir Path dir;

  private static final String JOB = "name: j\ncommand: [python, t.py]\nresources: {memory: 1Gi}\n";
  private static final String SWEEP =
      "name: s\njob: job.yaml\nobjective: {metric: acc}\nspace: {lr: {choice: [1]}}\n";
  private static final Map<String, String> TASK_KINDS =
      Map.of(
          "job", "job: job.yaml",
          "command", "command: [echo]",
          "s3", "s3_download: {bucket: b}",
          "slack", "slack: {webhook_env: W}",
          "register_model", "register_model: {name: m, from: x}");

  /** A value that sets each refused field (and satisfies its condition, if it has one). */
  private static String sample(String path, Target t) {
    return switch (path) {
      case "image" -> "x:1";
      case "args" -> "[a]";
      case "env" -> "{A: b}";
      case "resources" -> "{cpu: 1}";
      case "retries" -> "2";
      case "on_oom" -> "{increase: 2x, max: 4Gi}";
      case "timeout" -> "1h";
      case "kubernetes" -> "{node_pool: gpu}";
      case "params" -> "{a: 1}";
      case "for_each", "rows" -> "[{a: 1}]";
      case "parallelism" -> "2";
      case "retries.on" -> t == Target.KUBERNETES ? "[error, timeout]" : "[error]";
      case "retries.fail_fast_exit_codes" -> "[2]";
      case "kubernetes.namespace" -> "other";
      case "kubernetes.queue" -> "team-a";
      case "kubernetes.priority_class" -> "high";
      case "s3_upload.create_bucket" -> "true";
      case "distributed" -> "{workers: 2}";
      default -> throw new AssertionError("no sample value for refused field " + path);
    };
  }

  /** {@code a.b: v} as YAML flow: {@code a: {b: v}}. */
  private static String flow(String path, String value) {
    int dot = path.indexOf('.');
    return dot < 0
        ? path + ": " + value
        : path.substring(0, dot) + ": {" + flow(path.substring(dot + 1), value) + "}";
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }

  private static String snake(String camel) {
    return camel.replaceAll("([A-Z])", "_$1").toLowerCase();
  }

  @Test
  void everyFieldOfEverySpecHasARow() {
    Object[][] records = {
      {JobSpec.class, "job", ""},
      {Setup.class, "job", "setup."},
      {Resources.class, "job", "resources."},
      {Retries.class, "job", "retries."},
      {OnOom.class, "job", "on_oom."},
      {Outputs.class, "job", "outputs."},
      {KubernetesOptions.class, "job", "kubernetes."},
      {TaskSpec.class, "task", ""},
      {PipelineSpec.class, "pipeline", ""},
      {PipelinePlacement.class, "pipeline", "kubernetes."},
      {SweepSpec.class, "sweep", ""},
      {SweepSpec.Budget.class, "sweep", "budget."},
      {SweepSpec.EarlyStopping.class, "sweep", "early_stopping."},
    };
    List<String> missing = new ArrayList<>();
    for (Object[] r : records) {
      for (RecordComponent c : ((Class<?>) r[0]).getRecordComponents()) {
        String path = r[2] + snake(c.getName());
        boolean found =
            FieldSupport.rows().stream()
                .anyMatch(row -> row.spec().equals(r[1]) && row.path().equals(path));
        if (!found) {
          missing.add(r[1] + ": " + path);
        }
      }
    }
    assertThat(missing).as("fields without a row in FieldSupport").isEmpty();
  }

  @Test
  void everyRefusedFieldIsRefusedWhenSet() throws IOException {
    int checked = 0;
    for (Row row : FieldSupport.rows()) {
      for (Target t : Target.values()) {
        if (row.cell(t).support() != Support.REFUSE) {
          continue;
        }
        String scope = row.scope() == null ? "" : row.scope();
        for (String kind : scope.split(",")) {
          UserError e = refusal(row, t, kind);
          assertThat(e).as(row + " " + t + " " + kind).isNotNull();
          assertThat(e.exitCode()).isEqualTo(2);
          assertThat(e.getMessage())
              .as(row.path() + " " + t)
              .contains(row.path().substring(row.path().lastIndexOf('.') + 1))
              .contains(t.words())
              .contains(row.cell(t).why());
          assertThat(e.position()).isPresent();
          checked++;
        }
      }
    }
    assertThat(checked).isGreaterThan(30);
  }

  /** Writes specs that set {@code row}'s field and runs the check for {@code t}. */
  private UserError refusal(Row row, Target t, String kind) throws IOException {
    String field = flow(row.path(), sample(row.path(), t)) + "\n";
    try {
      switch (row.spec()) {
        case "job" -> {
          if (kind.equals("sweep")) {
            write("job.yaml", JOB + field);
            Path sweep = write("sweep.yaml", SWEEP);
            FieldSupport.checkSweep(sweep, List.of(), dir.resolve("job.yaml"), t);
          } else if (kind.equals("pipeline") || t == Target.ARGO) {
            write("job.yaml", JOB + field);
            Path p = write("p.yaml", "name: p\ndag:\n  - {name: t, job: job.yaml}\n");
            FieldSupport.checkPipeline(p, List.of(), t, "default");
          } else {
            FieldSupport.checkJob(write("job.yaml", JOB + field), List.of(), t, null);
          }
        }
        case "task" -> {
          write("job.yaml", JOB);
          String task = "{name: t, " + TASK_KINDS.get(kind) + ", " + field.strip() + "}";
          if (row.path().startsWith("s3_upload")) {
            task = "{name: t, s3_upload: {bucket: b, create_bucket: true}}";
          }
          Path p = write("p.yaml", "name: p\ndag:\n  - " + task + "\n");
          FieldSupport.checkPipeline(p, List.of(), t, "default");
        }
        default -> throw new AssertionError("no refusal test for " + row);
      }
    } catch (UserError e) {
      return e;
    }
    return null;
  }

  @Test
  void clusterFieldsAreSilentLocallyAndWorkOnKubernetes() throws IOException {
    Path job =
        write(
            "job.yaml",
            JOB
                + "image: python:3.11\n"
                + "kubernetes: {namespace: ml, node_pool: gpu, ttl: 1h}\n"
                + "setup: {index_credentials: creds}\n");
    assertThat(FieldSupport.checkJob(job, List.of(), Target.LOCAL, null)).isEmpty();
    assertThat(FieldSupport.checkJob(job, List.of(), Target.KUBERNETES, null)).isEmpty();
  }

  @Test
  void harmlessDifferencesWarnOnceWithThePlace() throws IOException {
    Path job = write("job.yaml", JOB + "retries: {limit: 2, backoff: 5s, max_backoff: 1m}\n");
    List<String> warnings = FieldSupport.checkJob(job, List.of(), Target.KUBERNETES, null);
    assertThat(warnings).hasSize(2);
    assertThat(warnings.get(0))
        .contains("job.yaml:4:")
        .contains("'retries.backoff'")
        .contains("on Kubernetes");
    assertThat(FieldSupport.checkJob(job, List.of(), Target.LOCAL, null)).isEmpty();
  }

  @Test
  void overridesAreCheckedToo() throws IOException {
    Path job = write("job.yaml", JOB);
    assertThatCode(() -> FieldSupport.checkJob(job, List.of(), Target.LOCAL, "sweep"))
        .doesNotThrowAnyException();
    Path sweep = write("sweep.yaml", SWEEP);
    assertThatCode(() -> FieldSupport.checkSweep(sweep, List.of(), job, Target.KUBERNETES))
        .doesNotThrowAnyException();
    write("job.yaml", JOB + "on_oom: {max: 4Gi}\n");
    assertThat(
            catchUserError(() -> FieldSupport.checkSweep(sweep, List.of(), job, Target.KUBERNETES)))
        .hasMessageContaining("job.yaml:4:1")
        .hasMessageContaining("'on_oom' does not work on Kubernetes");
    assertThat(FieldSupport.checkSweep(sweep, List.of(), job, Target.LOCAL)).isEmpty();
  }

  @Test
  void aPipelineInTheJobsNamespaceIsAccepted() throws IOException {
    write("job.yaml", JOB + "kubernetes: {namespace: ml}\n");
    Path p = write("p.yaml", "name: p\ndag:\n  - {name: t, job: job.yaml}\n");
    assertThat(FieldSupport.checkPipeline(p, List.of(), Target.ARGO, "ml")).isEmpty();
    assertThat(catchUserError(() -> FieldSupport.checkPipeline(p, List.of(), Target.ARGO, "x")))
        .hasMessageContaining("'kubernetes.namespace' does not work on Argo");
    assertThat(
            catchUserError(
                () ->
                    FieldSupport.checkPipeline(
                        p,
                        List.of("dag=[{name: t, job: job.yaml, timeout: 1h}]"),
                        Target.LOCAL,
                        null)))
        .hasMessageContaining("'dag.0.timeout' does not work on this machine");
  }

  @Test
  void namespaceComesFromTheFlagElseTheSpecs() {
    JobSpec a =
        new SpecLoader().parse(JOB + "kubernetes: {namespace: a}\n", "a", JobSpec.class, List.of());
    JobSpec b =
        new SpecLoader().parse(JOB + "kubernetes: {namespace: b}\n", "b", JobSpec.class, List.of());
    JobSpec none = new SpecLoader().parse(JOB, "n", JobSpec.class, List.of());
    assertThat(FieldSupport.namespace("x", List.of(a, b))).isEqualTo("x");
    assertThat(FieldSupport.namespace(null, List.of(a, none))).isEqualTo("a");
    assertThat(FieldSupport.namespace(null, List.of(none))).isNull();
    assertThat(catchUserError(() -> FieldSupport.namespace(null, List.of(a, b))))
        .hasMessageContaining("different namespaces (a, b)");
  }

  private static UserError catchUserError(Runnable r) {
    try {
      r.run();
    } catch (UserError e) {
      return e;
    }
    return null;
  }
}

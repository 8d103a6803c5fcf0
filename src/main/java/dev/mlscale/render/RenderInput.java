package dev.mlscale.render;

import dev.mlscale.plan.PipSources;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.plan.Submission;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Everything rendering needs; rendering itself reads nothing else.
 *
 * @param plan the run to render; for rows, the first row, whose image, resources and environment
 *     all rows share
 * @param rows the submission when it has parameter rows: then ONE Indexed Job runs them all
 * @param pip the package indexes for {@code setup} when the spec names none
 * @param attempt 1 for the first try; later tries (after OOMKilled with on_oom) are Jobs of their
 *     own named RUN-aN
 * @param tryName the Job's name when someone else names each try: an Argo task's gang, whose
 *     retries Argo numbers ({@code ID-TASK-a{{=asInt(retries)+1}}}); null: {@link #jobName}
 */
public record RenderInput(
    RunPlan plan,
    String namespace,
    CodeArchive code,
    byte[] helperSource,
    int attempt,
    Submission rows,
    Map<String, String> extraLabels,
    Map<String, String> extraAnnotations,
    PipSources pip,
    String tryName) {
  public RenderInput {
    pip = pip == null ? PipSources.NONE : pip;
    extraLabels = extraLabels == null ? Map.of() : new TreeMap<>(extraLabels);
    extraAnnotations = extraAnnotations == null ? Map.of() : new TreeMap<>(extraAnnotations);
  }

  public RenderInput(RunPlan plan, String namespace, CodeArchive code, byte[] helperSource) {
    this(plan, namespace, code, helperSource, 1, null, null, null, null, null);
  }

  public RenderInput(
      RunPlan plan,
      String namespace,
      CodeArchive code,
      byte[] helperSource,
      int attempt,
      Submission rows) {
    this(plan, namespace, code, helperSource, attempt, rows, null, null, null, null);
  }

  /** The same input, with more labels (Job and pods) and annotations (Job) on the objects. */
  public RenderInput withMetadata(Map<String, String> labels, Map<String, String> annotations) {
    return new RenderInput(
        plan, namespace, code, helperSource, attempt, rows, labels, annotations, pip, tryName);
  }

  /**
   * Row {@code row} of a distributed job's rows alone: each row is a gang of its own, its Job named
   * like the row's run ({@code RUN-rK}).
   */
  public RenderInput forRow(RunPlan row) {
    return new RenderInput(
        row, namespace, code, helperSource, 1, null, extraLabels, extraAnnotations, pip, null);
  }

  /** The same input for try {@code n} of the run: its Job is {@code RUN-aN}. */
  public RenderInput withAttempt(int n) {
    return new RenderInput(
        plan, namespace, code, helperSource, n, rows, extraLabels, extraAnnotations, pip, tryName);
  }

  /**
   * The same input, with the package indexes the cluster's environment builds use when the spec
   * names none (the user's pip configuration).
   */
  public RenderInput withPip(PipSources sources) {
    return new RenderInput(
        plan,
        namespace,
        code,
        helperSource,
        attempt,
        rows,
        extraLabels,
        extraAnnotations,
        sources,
        tryName);
  }

  /** Renders a whole submission: a single Job, or an Indexed Job for its rows. */
  public static RenderInput of(
      Submission s, String namespace, CodeArchive code, byte[] helperSource) {
    return new RenderInput(s.runs().get(0), namespace, code, helperSource, 1, s.rows() ? s : null);
  }

  public Optional<Submission> rowsOpt() {
    return Optional.ofNullable(rows);
  }

  /** The run id the objects carry: the submission's for rows, else the run's. */
  public String runId() {
    return rows == null ? plan.runId() : rows.id();
  }

  /** The same input, its Job named {@code name} (see {@code tryName}). */
  public RenderInput withTryName(String name) {
    return new RenderInput(
        plan,
        namespace,
        code,
        helperSource,
        attempt,
        rows,
        extraLabels,
        extraAnnotations,
        pip,
        name);
  }

  /** The name of this attempt's Job. */
  public String jobName() {
    return tryName != null ? tryName : objectsName();
  }

  /**
   * The name of the attempt's other objects (its files ConfigMap, a gang's Service, its model's
   * folder): the Job's, unless each try's Job is named by someone else ({@code tryName}).
   */
  public String objectsName() {
    return attempt == 1 ? runId() : runId() + "-a" + attempt;
  }
}

package dev.mlscale.pipeline;

import dev.mlscale.spec.DurationValue;
import dev.mlscale.spec.KubernetesOptions;
import dev.mlscale.spec.OnOom;
import dev.mlscale.spec.Resources;
import dev.mlscale.spec.Retries;
import dev.mlscale.spec.SpecFieldException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One task of a pipeline: a job (a job spec file, or a command written inline with the job spec's
 * fields), or a built-in task. {@code for_each} fans it out into one task per row.
 */
public record TaskSpec(
    String name,
    List<String> depends,
    String job,
    String image,
    List<String> command,
    List<String> args,
    Map<String, String> env,
    Map<String, Object> params,
    Resources resources,
    Retries retries,
    OnOom onOom,
    DurationValue timeout,
    KubernetesOptions kubernetes,
    List<Map<String, Object>> forEach,
    SlackTask slack,
    S3Transfer s3Download,
    S3Transfer s3Upload,
    RegisterModel registerModel) {

  public TaskSpec {
    if (name == null || !name.matches("[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?")) {
      throw new SpecFieldException(
          "name",
          "a task needs a name of lower-case letters, digits and"
              + " '-' (it becomes part of Kubernetes names), got "
              + (name == null ? "none" : "'" + name + "'"));
    }
    int kinds =
        (job == null ? 0 : 1)
            + (command == null ? 0 : 1)
            + (slack == null ? 0 : 1)
            + (s3Download == null ? 0 : 1)
            + (s3Upload == null ? 0 : 1)
            + (registerModel == null ? 0 : 1);
    if (kinds != 1) {
      throw new SpecFieldException(
          "job",
          "task '"
              + name
              + "' needs exactly one of job (a job"
              + " spec file), command (a program to run), slack (a message), s3_download,"
              + " s3_upload or register_model");
    }
    if (command != null && command.isEmpty()) {
      throw new SpecFieldException(
          "command",
          "task '" + name + "': command is empty; write e.g. command: [python, train.py]");
    }
    // an inline command becomes a job spec: the same rules
    dev.mlscale.spec.JobSpec.checkOnOom(resources, onOom);
    if (forEach != null && forEach.isEmpty()) {
      throw new SpecFieldException(
          "for_each",
          "task '"
              + name
              + "' fans out over an empty list;"
              + " give at least one row, or remove for_each");
    }
    depends = depends == null ? List.of() : List.copyOf(depends);
    args = args == null ? List.of() : List.copyOf(args);
    env = env == null ? Map.of() : Map.copyOf(env);
    params =
        params == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
    forEach = forEach == null ? List.of() : List.copyOf(forEach);
  }

  /** What the task does (exactly one kind, checked when the task is read). */
  public TaskKind kind() {
    if (job != null) {
      return new TaskKind.JobFile(job);
    }
    if (command != null) {
      return new TaskKind.Command(command);
    }
    if (slack != null) {
      return new TaskKind.Slack(slack);
    }
    if (s3Download != null) {
      return new TaskKind.S3Download(s3Download);
    }
    if (s3Upload != null) {
      return new TaskKind.S3Upload(s3Upload);
    }
    return new TaskKind.RegisterModel(registerModel);
  }

  /** This task with other dependencies (steps become a DAG this way). */
  public TaskSpec withDepends(List<String> newDepends) {
    return new TaskSpec(
        name,
        newDepends,
        job,
        image,
        command,
        args,
        env,
        params,
        resources,
        retries,
        onOom,
        timeout,
        kubernetes,
        forEach.isEmpty() ? null : forEach,
        slack,
        s3Download,
        s3Upload,
        registerModel);
  }

  /**
   * Puts a model into the model store: the model of the run of {@code best_of} (a task this one
   * depends on, usually a fan-out) with the best {@code metric}, or the files at {@code from} in
   * the workspace. It becomes a new version of model {@code name}; with {@code to}, its files are
   * also copied to that folder of the workspace (for an upload to S3, say).
   */
  public record RegisterModel(
      String name, String bestOf, String from, String metric, String goal, String to) {
    public RegisterModel {
      if (name == null || !name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
        throw new SpecFieldException(
            "name", "name the model (letters, digits, '.', '_', '-'), e.g. name: digits-best");
      }
      if ((bestOf == null) == (from == null)) {
        throw new SpecFieldException(
            "best_of",
            "register_model takes either best_of (a task whose best run's model to take)"
                + " or from (a path in the workspace), not "
                + (bestOf == null ? "neither" : "both"));
      }
      if (bestOf != null && metric == null) {
        throw new SpecFieldException(
            "metric", "best_of needs the metric that decides, e.g. metric: accuracy");
      }
      goal = goal == null ? "max" : goal;
      if (!goal.equals("max") && !goal.equals("min")) {
        throw new SpecFieldException("goal", "goal is max or min, got '" + goal + "'");
      }
    }
  }

  /**
   * A Slack incoming-webhook message; the URL comes from an environment variable (locally) or a
   * Secret (on the cluster). The text may use {{pipeline}}, {{status}}, {{duration}}, {{tasks}}
   * (how many tasks ran and which failed) and {{best}} (the best value of {@code best_metric} over
   * the pipeline's runs, with the task that reached it; higher is better unless {@code goal: min}).
   */
  public record SlackTask(
      String webhookEnv,
      dev.mlscale.spec.SecretRef webhookSecret,
      String text,
      String bestMetric,
      String goal) {
    public SlackTask {
      if (webhookEnv == null) {
        throw new SpecFieldException(
            "webhook_env",
            "name the environment variable that holds the"
                + " webhook URL, e.g. webhook_env: SLACK_WEBHOOK_URL");
      }
      webhookSecret =
          webhookSecret == null
              ? new dev.mlscale.spec.SecretRef("slack-webhook", "url")
              : webhookSecret;
      text =
          text == null
              ? "Pipeline {{pipeline}} {{status}} in {{duration}}: {{tasks}}"
                  + (bestMetric == null ? "" : "; best {{best}}")
              : text;
      goal = goal == null ? "max" : goal;
      if (!goal.equals("max") && !goal.equals("min")) {
        throw new SpecFieldException("goal", "goal is max or min, got '" + goal + "'");
      }
      if (text.contains("{{best}}") && bestMetric == null) {
        throw new SpecFieldException(
            "text",
            "the text uses {{best}}: name the metric with best_metric, e.g."
                + " best_metric: accuracy");
      }
    }
  }
}

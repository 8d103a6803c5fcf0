package dev.mlscale.pipeline;

import java.util.List;

/**
 * What a pipeline task does: exactly one kind per task. The hierarchy is sealed and every target
 * handles a task through {@link Handler}, one method per kind, so a new kind is a compile error
 * wherever tasks run (the local runner, the Argo compiler) instead of a null check forgotten.
 */
public sealed interface TaskKind {
  /** A job spec file, relative to the pipeline file: the user's code. */
  record JobFile(String path) implements TaskKind {}

  /** A program written inline with the job spec's fields: the user's code. */
  record Command(List<String> argv) implements TaskKind {}

  /** A Slack message (built in). */
  record Slack(TaskSpec.SlackTask message) implements TaskKind {}

  /** A copy from a bucket into the workspace (built in). */
  record S3Download(S3Transfer transfer) implements TaskKind {}

  /** A copy from the workspace into a bucket (built in). */
  record S3Upload(S3Transfer transfer) implements TaskKind {}

  /** A model put into the model store (built in). */
  record RegisterModel(TaskSpec.RegisterModel model) implements TaskKind {}

  /** One method per kind; job files and inline commands are both the user's job. */
  interface Handler<R> {
    R job();

    R slack(TaskSpec.SlackTask message);

    R s3(S3Transfer transfer, boolean download);

    R registerModel(TaskSpec.RegisterModel model);
  }

  default <R> R accept(Handler<R> h) {
    if (this instanceof Slack s) {
      return h.slack(s.message());
    }
    if (this instanceof S3Download d) {
      return h.s3(d.transfer(), true);
    }
    if (this instanceof S3Upload u) {
      return h.s3(u.transfer(), false);
    }
    if (this instanceof RegisterModel r) {
      return h.registerModel(r.model());
    }
    return h.job();
  }

  /** Whether the task runs the user's code (a job), not one of mlscale's built-in tasks. */
  default boolean isJob() {
    return this instanceof JobFile || this instanceof Command;
  }

  /** The S3 transfer of an s3_download or s3_upload task; null for the others. */
  default S3Transfer transfer() {
    return this instanceof S3Download d
        ? d.transfer()
        : this instanceof S3Upload u ? u.transfer() : null;
  }

  /** The field a user writes for this kind, for messages. */
  default String field() {
    if (this instanceof JobFile) {
      return "job";
    }
    if (this instanceof Command) {
      return "command";
    }
    if (this instanceof Slack) {
      return "slack";
    }
    if (this instanceof S3Download) {
      return "s3_download";
    }
    if (this instanceof S3Upload) {
      return "s3_upload";
    }
    return "register_model";
  }
}

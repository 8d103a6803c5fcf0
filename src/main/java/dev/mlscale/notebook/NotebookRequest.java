package dev.mlscale.notebook;

import dev.mlscale.error.UserError;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.SpecLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What {@code mlscale notebook SPEC} asks for: the job's resolved plan (its image, resources,
 * setup, params, code) plus the notebook's own settings.
 *
 * @param name the notebook's name (default: the job's name)
 * @param user who owns it: the workspace claim on the cluster is per user
 * @param idleTimeout stop the server after this long without activity; zero: never
 * @param port the local port (0: any free one)
 * @param workspaceSize the size of the workspace claim on the cluster
 * @param workspaceClass its storage class (null: the cluster's default)
 */
public record NotebookRequest(
    String name,
    String user,
    RunPlan plan,
    Duration idleTimeout,
    int port,
    String workspaceSize,
    String workspaceClass) {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?");

  public NotebookRequest {
    name = dnsName(name, "--name");
    user = dnsName(user, "--user");
    if (idleTimeout.isNegative()) {
      throw new UserError("--idle-timeout must be 0 (never) or more, got " + idleTimeout);
    }
    if (port < 0 || port > 65535) {
      throw new UserError("--port must be 0 (any free port) to 65535, got " + port);
    }
    workspaceSize = workspaceSize == null ? "10Gi" : workspaceSize;
  }

  /** A name as Kubernetes objects can carry it: lower case, letters, digits and '-'. */
  public static String dnsName(String raw, String option) {
    String n =
        raw.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-").replaceAll("^-+|-+$", "");
    if (!NAME.matcher(n).matches()) {
      throw new UserError(
          "'"
              + raw
              + "' cannot name a notebook: use at most 40 letters, digits and '-' ("
              + option
              + ")");
    }
    return n;
  }

  /** The job fields that describe a batch run, which a notebook (an interactive server) skips. */
  static final List<String> UNUSED_FIELDS =
      List.of(
          "command",
          "args",
          "retries",
          "on_oom",
          "timeout",
          "outputs",
          "rows",
          "parallelism",
          "kubernetes.ttl");

  /**
   * The note that names the fields of {@code file} (or of its {@code --set} overrides) a notebook
   * does not use, each with where it is written; empty when none is set.
   */
  public static Optional<String> unusedFieldsNote(Path file, List<String> overrides) {
    List<String> found = new ArrayList<>();
    for (String field : UNUSED_FIELDS) {
      String pointer = "/" + field.replace('.', '/');
      Optional<String> where =
          SpecLoader.writtenAt(file, pointer)
              .map(Object::toString)
              .or(
                  () ->
                      overrides.stream()
                          .filter(o -> o.startsWith(field + "=") || o.startsWith(field + "."))
                          .findFirst()
                          .map(o -> "--set " + o));
      where.ifPresent(w -> found.add(field + " (" + w + ")"));
    }
    if (found.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(
        "note: a notebook runs JupyterLab with the job's environment, params, code and resources;"
            + " it does not use the job's "
            + String.join(", ", found));
  }
}

package dev.mlscale.store;

import java.time.Instant;
import java.util.List;

/**
 * Local pipeline runs and the state of each of their tasks, written as the run goes, so that {@code
 * pipeline status|logs|cancel} work from another terminal while it runs.
 */
public final class PipelineStore {
  private final Database db;

  public PipelineStore(Database db) {
    this.db = db;
  }

  /** A pipeline run as stored. {@code state} is Running, Succeeded, Failed or Cancelled. */
  public record PipelineRecord(
      String id,
      String name,
      String specFile,
      String state,
      String message,
      Instant createdAt,
      Instant endedAt,
      Long ownerPid,
      boolean cancelRequested,
      List<String> overrides,
      int retries) {}

  /**
   * One task of a run. {@code state} is Pending, Running, Succeeded, Failed, Cancelled or Skipped;
   * {@code attempt} counts its runs (a retry or a resume runs it again as attempt 2, ...).
   */
  public record TaskRecord(
      String task,
      String base,
      List<String> depends,
      String state,
      String runId,
      String message,
      Instant startedAt,
      Instant endedAt,
      int attempt) {
    /** A task not run yet. */
    public static TaskRecord pending(String task, String base, List<String> depends) {
      return new TaskRecord(task, base, depends, "Pending", null, null, null, null, 1);
    }
  }

  /**
   * Records a new run and its tasks (all Pending), in one transaction; {@code overrides} (the --set
   * values) are kept so that a retry or a resume runs the same spec.
   */
  public void create(
      String id,
      String name,
      String specFile,
      List<String> overrides,
      List<TaskRecord> tasks,
      Instant at) {
    db.transaction(
        c -> {
          Sql.exec(
              c,
              "INSERT INTO pipelines (id, name, spec_file, state, created_at, owner_pid, overrides)"
                  + " VALUES (?,?,?,?,?,?,?)",
              id,
              name,
              specFile,
              "Running",
              at,
              ProcessHandle.current().pid(),
              String.join("\n", overrides));
          int position = 0;
          for (TaskRecord t : tasks) {
            Sql.exec(
                c,
                "INSERT INTO pipeline_tasks (pipeline_id, position, task, base, depends, state)"
                    + " VALUES (?,?,?,?,?,?)",
                id,
                position++,
                t.task(),
                t.base(),
                String.join(",", t.depends()),
                "Pending");
          }
          return null;
        });
  }

  /**
   * Opens an ended (Failed or Cancelled) run again for a retry, in one transaction: {@code tasks}
   * become Pending, those that ran with their next attempt; the run is Running again, owned by this
   * process, its cancel forgotten. False when the run is not Failed or Cancelled (any more).
   */
  public boolean reopen(String id, java.util.Collection<String> tasks) {
    return db.transaction(
        c -> {
          int changed =
              Sql.exec(
                  c,
                  "UPDATE pipelines SET state = 'Running', message = NULL, ended_at = NULL,"
                      + " cancel_requested = 0, owner_pid = ?, retries = retries + 1"
                      + " WHERE id = ? AND state IN ('Failed', 'Cancelled')",
                  ProcessHandle.current().pid(),
                  id);
          if (changed == 0) {
            return false;
          }
          for (String task : tasks) {
            Sql.exec(
                c,
                "UPDATE pipeline_tasks SET state = 'Pending', message = NULL, run_id = NULL,"
                    + " attempt = attempt + (CASE WHEN started_at IS NULL THEN 0 ELSE 1 END),"
                    + " started_at = NULL, ended_at = NULL WHERE pipeline_id = ? AND task = ?",
                id,
                task);
          }
          return true;
        });
  }

  /** Makes this process the owner of a Running run (a resume); false if it is not Running. */
  public boolean adopt(String id) {
    return db.update(
            "UPDATE pipelines SET owner_pid = ? WHERE id = ? AND state = 'Running'",
            ProcessHandle.current().pid(),
            id)
        > 0;
  }

  /** Counts one more attempt of a task that runs again; returns its number. */
  public int nextAttempt(String id, String task) {
    return db.transaction(
        c -> {
          Sql.exec(
              c,
              "UPDATE pipeline_tasks SET attempt = attempt + 1 WHERE pipeline_id = ? AND task = ?",
              id,
              task);
          return tasks(id).stream()
              .filter(t -> t.task().equals(task))
              .findFirst()
              .orElseThrow()
              .attempt();
        });
  }

  public void taskStarted(String id, String task, String runId, Instant at) {
    db.update(
        "UPDATE pipeline_tasks SET state = 'Running', run_id = ?, started_at = ?,"
            + " message = NULL, ended_at = NULL WHERE pipeline_id = ? AND task = ?",
        runId,
        at,
        id,
        task);
  }

  public void taskEnded(
      String id, String task, String state, String runId, String message, Instant at) {
    db.update(
        "UPDATE pipeline_tasks SET state = ?, run_id = COALESCE(?, run_id),"
            + " message = ?, ended_at = ? WHERE pipeline_id = ? AND task = ?",
        state,
        runId,
        message,
        at,
        id,
        task);
  }

  public void finish(String id, String state, String message, Instant at) {
    db.update(
        "UPDATE pipelines SET state = ?, message = ?, ended_at = ? WHERE id = ?",
        state,
        message,
        at,
        id);
  }

  /**
   * Ends a run that stopped without finishing (an error, Ctrl-C, a cancel of a run whose process is
   * gone): the run and its running tasks get {@code state}, its pending tasks are Skipped.
   */
  public void abandon(String id, String state, String message, Instant at) {
    db.transaction(
        c -> {
          Sql.exec(
              c,
              "UPDATE pipeline_tasks SET state = ?, message = ?, ended_at = ?"
                  + " WHERE pipeline_id = ? AND state = 'Running'",
              state,
              message,
              at,
              id);
          Sql.exec(
              c,
              "UPDATE pipeline_tasks SET state = 'Skipped', message = ?, ended_at = ?"
                  + " WHERE pipeline_id = ? AND state = 'Pending'",
              "not run: " + message,
              at,
              id);
          Sql.exec(
              c,
              "UPDATE pipelines SET state = ?, message = ?, ended_at = ?"
                  + " WHERE id = ? AND state = 'Running'",
              state,
              message,
              at,
              id);
          return null;
        });
  }

  /** Asks the process that runs the pipeline to start nothing more; false if it has ended. */
  public boolean requestCancel(String id) {
    return db.update(
            "UPDATE pipelines SET cancel_requested = 1 WHERE id = ? AND state = 'Running'", id)
        > 0;
  }

  public boolean cancelRequested(String id) {
    return get(id).cancelRequested();
  }

  /** Finds a run by its id or an unambiguous prefix of it. */
  public PipelineRecord get(String idOrPrefix) {
    List<PipelineRecord> found =
        query(
            "SELECT * FROM pipelines WHERE id = ? OR id LIKE ? ORDER BY created_at DESC",
            idOrPrefix,
            idOrPrefix + "%");
    return Sql.one(
        found,
        PipelineRecord::id,
        idOrPrefix,
        "pipeline run",
        "'mlscale pipeline ls' lists them (add --target k8s for the cluster's)");
  }

  public List<PipelineRecord> list(int limit) {
    return query("SELECT * FROM pipelines ORDER BY created_at DESC LIMIT ?", limit);
  }

  public List<TaskRecord> tasks(String id) {
    return db.query(
        "SELECT * FROM pipeline_tasks WHERE pipeline_id = ? ORDER BY position",
        rs ->
            new TaskRecord(
                rs.getString("task"),
                rs.getString("base"),
                split(rs.getString("depends"), ","),
                rs.getString("state"),
                rs.getString("run_id"),
                rs.getString("message"),
                Sql.instant(rs, "started_at"),
                Sql.instant(rs, "ended_at"),
                rs.getInt("attempt")),
        id);
  }

  private List<PipelineRecord> query(String sql, Object... args) {
    return db.query(
        sql,
        rs ->
            new PipelineRecord(
                rs.getString("id"),
                rs.getString("name"),
                rs.getString("spec_file"),
                rs.getString("state"),
                rs.getString("message"),
                Sql.instant(rs, "created_at"),
                Sql.instant(rs, "ended_at"),
                Sql.longOrNull(rs, "owner_pid"),
                rs.getInt("cancel_requested") == 1,
                split(rs.getString("overrides"), "\n"),
                rs.getInt("retries")),
        args);
  }

  /** A column of joined values: none when empty. */
  private static List<String> split(String joined, String separator) {
    return joined.isEmpty() ? List.of() : List.of(joined.split(separator));
  }
}

package dev.mlscale.store;

import dev.mlscale.sweep.Trial;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Sweeps and their trials in the embedded database. A trial is written before its run starts, and
 * its end in one statement, so a sweep killed at any moment resumes with nothing lost or doubled.
 */
public final class SweepStore {
  private final Database db;

  public SweepStore(Database db) {
    this.db = db;
  }

  /** A sweep as stored; {@code spec} is the spec as JSON. */
  public record SweepRecord(
      String id,
      String name,
      String specFile,
      String spec,
      String state,
      String message,
      Instant createdAt,
      Instant endedAt,
      Long ownerPid) {}

  public void create(String id, String name, String specFile, String specJson, Instant at) {
    db.update(
        "INSERT INTO sweeps (id, name, spec_file, spec, state,"
            + " created_at, owner_pid) VALUES (?,?,?,?,?,?,?)",
        id,
        name,
        specFile,
        specJson,
        "Running",
        at,
        ProcessHandle.current().pid());
  }

  public void setOwner(String id, String state) {
    db.update(
        "UPDATE sweeps SET state = ?, owner_pid = ?, ended_at = NULL" + " WHERE id = ?",
        state,
        ProcessHandle.current().pid(),
        id);
  }

  public void finish(String id, String state, String message, Instant at) {
    db.update(
        "UPDATE sweeps SET state = ?, message = ?, ended_at = ? WHERE" + " id = ?",
        state,
        message,
        at,
        id);
  }

  public SweepRecord get(String idOrPrefix) {
    if (idOrPrefix.isBlank()) {
      throw new dev.mlscale.error.UserError(
          "give a sweep's id (or a prefix of it); 'mlscale sweep ls' lists the sweeps");
    }
    List<SweepRecord> found =
        query(
            "SELECT * FROM sweeps WHERE id = ? OR id LIKE ? ORDER BY" + " created_at DESC",
            idOrPrefix,
            idOrPrefix + "%");
    return Sql.one(
        found, SweepRecord::id, idOrPrefix, "sweep", "'mlscale sweep ls' lists the sweeps");
  }

  public List<SweepRecord> list() {
    return query("SELECT * FROM sweeps ORDER BY created_at DESC");
  }

  /**
   * Records a trial before its run starts; returns it as recorded (its parameters read back from
   * the JSON written, as {@link #trials} would read them), without reading the row again.
   */
  public Trial startTrial(
      String sweepId, int number, Map<String, Object> params, String runId, Instant at) {
    String json = Json.write(params);
    db.update(
        "INSERT OR REPLACE INTO trials (sweep_id, number, params,"
            + " run_id, state, started_at) VALUES (?,?,?,?,?,?)",
        sweepId,
        number,
        json,
        runId,
        Trial.TrialState.RUNNING.name(),
        at);
    return new Trial(number, Json.readObjectMap(json), Trial.TrialState.RUNNING, null, runId, null);
  }

  public void endTrial(
      String sweepId,
      int number,
      Trial.TrialState state,
      Double objective,
      String reason,
      Instant at) {
    db.update(
        "UPDATE trials SET state = ?, objective = ?, reason = ?,"
            + " ended_at = ? WHERE sweep_id = ? AND number = ?",
        state.name(),
        objective,
        reason,
        at,
        sweepId,
        number);
  }

  public List<Trial> trials(String sweepId) {
    return trials("SELECT * FROM trials WHERE sweep_id = ? ORDER BY number", sweepId);
  }

  /** Trial {@code number} of a sweep as recorded (one row, not the whole sweep's). */
  public Optional<Trial> trial(String sweepId, int number) {
    return trials("SELECT * FROM trials WHERE sweep_id = ? AND number = ?", sweepId, number)
        .stream()
        .findFirst();
  }

  private List<Trial> trials(String sql, Object... args) {
    return db.query(
        sql,
        rs -> {
          Double objective = Sql.doubleOrNull(rs, "objective"); // before reading other columns
          return new Trial(
              rs.getInt("number"),
              Json.readObjectMap(rs.getString("params")),
              Trial.TrialState.valueOf(rs.getString("state")),
              objective,
              rs.getString("run_id"),
              rs.getString("reason"));
        },
        args);
  }

  private List<SweepRecord> query(String sql, Object... args) {
    return db.query(
        sql,
        rs ->
            new SweepRecord(
                rs.getString("id"),
                rs.getString("name"),
                rs.getString("spec_file"),
                rs.getString("spec"),
                rs.getString("state"),
                rs.getString("message"),
                Sql.instant(rs, "created_at"),
                Sql.instant(rs, "ended_at"),
                Sql.longOrNull(rs, "owner_pid")),
        args);
  }
}

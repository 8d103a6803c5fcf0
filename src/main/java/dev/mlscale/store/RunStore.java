package dev.mlscale.store;

import dev.mlscale.error.NotFoundError;
import dev.mlscale.error.UserError;
import dev.mlscale.metrics.Metric;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Runs, their attempts and metrics, in the embedded database. */
public final class RunStore {
  private final Database db;

  public RunStore(Database db) {
    this.db = db;
  }

  public void create(RunRecord r) {
    db.update(
        "INSERT INTO runs (id, name, target, spec_file, state, created_at, run_dir, params,"
            + " owner_pid) VALUES (?,?,?,?,?,?,?,?,?)",
        r.id(),
        r.name(),
        r.target(),
        r.specFile(),
        r.state().name(),
        r.createdAt(),
        r.runDir(),
        Json.write(r.params()),
        r.ownerPid());
  }

  /** Records a run unless it is recorded already (a run followed from another machine). */
  public void createIfAbsent(RunRecord r) {
    if (find(r.id()).isEmpty()) {
      create(r);
    }
  }

  public void setState(String id, RunState state) {
    db.update("UPDATE runs SET state = ? WHERE id = ?", state.name(), id);
  }

  public void markStarted(String id, Instant at) {
    db.update("UPDATE runs SET started_at = COALESCE(started_at, ?) WHERE id = ?", at, id);
  }

  public void finish(
      String id, RunState state, String reason, String message, Integer exitCode, Instant at) {
    db.update(
        "UPDATE runs SET state = ?, reason = ?, message = ?, exit_code = ?, ended_at = ?, pid ="
            + " NULL WHERE id = ?",
        state.name(),
        reason,
        message,
        exitCode,
        at,
        id);
  }

  public void setModel(String id, String modelRef) {
    db.update("UPDATE runs SET model = ? WHERE id = ?", modelRef, id);
  }

  /** Records an attempt as running; a run's start is its first attempt's, unless marked before. */
  public void startAttempt(String id, int number, Long memoryLimit, long pid, Instant at) {
    db.transaction(
        c -> {
          Sql.exec(
              c,
              "INSERT OR IGNORE INTO attempts (run_id, number, state, memory_limit, started_at)"
                  + " VALUES (?,?,?,?,?)",
              id,
              number,
              RunState.RUNNING.name(),
              memoryLimit,
              at);
          Sql.exec(
              c,
              "UPDATE runs SET state = ?, attempts = ?, pid = ?,"
                  + " started_at = COALESCE(started_at, ?) WHERE id = ?",
              RunState.RUNNING.name(),
              number,
              pid,
              at,
              id);
          return null;
        });
  }

  /** The calling process owns the run from now on (it took over from one that is gone). */
  public void adopt(String id, long ownerPid) {
    db.update("UPDATE runs SET owner_pid = ? WHERE id = ?", ownerPid, id);
  }

  /** Forgets an attempt's metrics, to read them again from its files. */
  public void clearMetrics(String id, int attempt) {
    db.update("DELETE FROM metrics WHERE run_id = ? AND attempt = ?", id, attempt);
  }

  public void finishAttempt(AttemptRecord a) {
    db.update(
        "UPDATE attempts SET state = ?, reason = ?, exit_code = ?, message = ?,"
            + " peak_memory = ?, ended_at = ? WHERE run_id = ? AND number = ?",
        a.state().name(),
        a.reason(),
        a.exitCode(),
        a.message(),
        a.peakMemory(),
        a.endedAt(),
        a.runId(),
        a.number());
  }

  public void addMetrics(String id, int attempt, List<Metric> metrics) {
    if (metrics.isEmpty()) {
      return;
    }
    db.transaction(
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO metrics (run_id, attempt, step, name, value, at) VALUES"
                      + " (?,?,?,?,?,?)")) {
            for (Metric m : metrics) {
              ps.setString(1, id);
              ps.setInt(2, attempt);
              setLong(ps, 3, m.step());
              ps.setString(4, m.name());
              ps.setDouble(5, m.value());
              ps.setLong(6, m.at().toEpochMilli());
              ps.addBatch();
            }
            ps.executeBatch();
          }
          return null;
        });
  }

  /** Asks the process that owns the run to stop it; returns false when the run has ended. */
  public boolean requestCancel(String id) {
    return db.update(
            "UPDATE runs SET cancel_requested = 1 WHERE id = ? AND state NOT IN"
                + " ('SUCCEEDED','FAILED','CANCELLED')",
            id)
        > 0;
  }

  public boolean cancelRequested(String id) {
    return db.query("SELECT cancel_requested FROM runs WHERE id = ?", rs -> rs.getInt(1) == 1, id)
        .contains(true);
  }

  /** The run with exactly this id, if it exists. */
  public Optional<RunRecord> find(String id) {
    return query("SELECT * FROM runs WHERE id = ?", id).stream().findFirst();
  }

  /** Finds a run by its id or an unambiguous prefix of it. */
  public RunRecord get(String idOrPrefix) {
    if (idOrPrefix.isBlank()) {
      throw new UserError("give a run's id (or a prefix of it); 'mlscale ls' lists the runs");
    }
    Optional<RunRecord> byId = find(idOrPrefix);
    if (byId.isPresent()) {
      return byId.get();
    }
    List<RunRecord> found =
        query(
            "SELECT * FROM runs WHERE id = ? OR id LIKE ? ORDER BY created_at DESC LIMIT 10",
            idOrPrefix,
            idOrPrefix.replace("%", "").replace("_", "\\_") + "%");
    Optional<RunRecord> exact = found.stream().filter(r -> r.id().equals(idOrPrefix)).findFirst();
    if (exact.isPresent()) {
      return exact.get();
    }
    if (found.isEmpty()) {
      throw new NotFoundError("run", idOrPrefix, "'mlscale ls' lists the runs");
    }
    if (found.size() > 1) {
      throw new UserError(
          "'"
              + idOrPrefix
              + "' matches several runs ("
              + String.join(", ", found.stream().map(RunRecord::id).toList())
              + "); give more of the id");
    }
    return found.get(0);
  }

  public List<RunRecord> list(int limit) {
    return query("SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT ?", limit);
  }

  public List<AttemptRecord> attempts(String id) {
    return db.query(
        "SELECT * FROM attempts WHERE run_id = ? ORDER BY number",
        rs ->
            new AttemptRecord(
                rs.getString("run_id"),
                rs.getInt("number"),
                RunState.valueOf(rs.getString("state")),
                rs.getString("reason"),
                Sql.integer(rs, "exit_code"),
                rs.getString("message"),
                Sql.longOrNull(rs, "memory_limit"),
                Sql.longOrNull(rs, "peak_memory"),
                Sql.instant(rs, "started_at"),
                Sql.instant(rs, "ended_at")),
        id);
  }

  public List<Metric> metrics(String id) {
    return db.query(
        "SELECT * FROM metrics WHERE run_id = ? ORDER BY attempt, at, rowid",
        rs ->
            new Metric(
                rs.getString("name"),
                rs.getDouble("value"),
                Sql.longOrNull(rs, "step"),
                Sql.instant(rs, "at")),
        id);
  }

  /** The last reported value of each metric in the run's last attempt, in first-seen order. */
  public Map<String, Double> finalMetrics(String id) {
    Map<String, Double> out = new LinkedHashMap<>();
    db.query(
            "SELECT name, value FROM metrics WHERE run_id = ? AND attempt = (SELECT MAX(attempt)"
                + " FROM metrics WHERE run_id = ?) ORDER BY at, rowid",
            rs -> Map.entry(rs.getString(1), rs.getDouble(2)),
            id,
            id)
        .forEach(e -> out.put(e.getKey(), e.getValue()));
    return out;
  }

  private List<RunRecord> query(String sql, Object... args) {
    return db.query(sql, RunStore::run, args);
  }

  private static RunRecord run(ResultSet rs) throws SQLException {
    return new RunRecord(
        rs.getString("id"),
        rs.getString("name"),
        rs.getString("target"),
        rs.getString("spec_file"),
        RunState.valueOf(rs.getString("state")),
        rs.getString("reason"),
        rs.getString("message"),
        Sql.integer(rs, "exit_code"),
        Sql.instant(rs, "created_at"),
        Sql.instant(rs, "started_at"),
        Sql.instant(rs, "ended_at"),
        rs.getString("run_dir"),
        Json.readObjectMap(rs.getString("params")),
        Sql.longOrNull(rs, "owner_pid"),
        Sql.longOrNull(rs, "pid"),
        rs.getInt("attempts"),
        rs.getString("model"));
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.INTEGER);
    } else {
      ps.setLong(i, v);
    }
  }
}

package dev.mlscale.store;

import dev.mlscale.error.EnvironmentError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The embedded SQLite database under {@code $MLSCALE_HOME}. One connection per process, used under
 * this object's lock; WAL mode and a busy timeout let several mlscale processes share it.
 */
public final class Database implements AutoCloseable {
  private static final String[] SCHEMA = {
    """
    CREATE TABLE IF NOT EXISTS runs (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, target TEXT NOT NULL, spec_file TEXT,
      state TEXT NOT NULL, reason TEXT, message TEXT, exit_code INTEGER,
      created_at INTEGER NOT NULL, started_at INTEGER, ended_at INTEGER,
      run_dir TEXT, params TEXT, owner_pid INTEGER, pid INTEGER,
      cancel_requested INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, model TEXT)
    """,
    "CREATE INDEX IF NOT EXISTS runs_created ON runs(created_at)",
    """
    CREATE TABLE IF NOT EXISTS attempts (
      run_id TEXT NOT NULL, number INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,
      exit_code INTEGER, message TEXT, memory_limit INTEGER, peak_memory INTEGER,
      started_at INTEGER, ended_at INTEGER, PRIMARY KEY (run_id, number))
    """,
    """
    CREATE TABLE IF NOT EXISTS metrics (
      run_id TEXT NOT NULL, attempt INTEGER NOT NULL, step INTEGER, name TEXT NOT NULL,
      value REAL NOT NULL, at INTEGER NOT NULL)
    """,
    "CREATE INDEX IF NOT EXISTS metrics_run ON metrics(run_id, name)",
    """
    CREATE TABLE IF NOT EXISTS models (
      name TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL, path TEXT NOT NULL,
      created_at INTEGER NOT NULL, params TEXT, metrics TEXT, size_bytes INTEGER NOT NULL,
      PRIMARY KEY (name, version))
    """,
    """
    CREATE TABLE IF NOT EXISTS sweeps (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, spec_file TEXT NOT NULL, spec TEXT NOT NULL,
      state TEXT NOT NULL, message TEXT, created_at INTEGER NOT NULL, ended_at INTEGER,
      owner_pid INTEGER)
    """,
    """
    CREATE TABLE IF NOT EXISTS trials (
      sweep_id TEXT NOT NULL, number INTEGER NOT NULL, params TEXT NOT NULL, run_id TEXT,
      state TEXT NOT NULL, objective REAL, reason TEXT, started_at INTEGER, ended_at INTEGER,
            PRIMARY KEY (sweep_id, number))
    """,
    """
    CREATE TABLE IF NOT EXISTS pipelines (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, spec_file TEXT NOT NULL, state TEXT NOT NULL,
      message TEXT, created_at INTEGER NOT NULL, ended_at INTEGER, owner_pid INTEGER,
      cancel_requested INTEGER NOT NULL DEFAULT 0, overrides TEXT NOT NULL DEFAULT '',
      retries INTEGER NOT NULL DEFAULT 0)
    """,
    """
    CREATE TABLE IF NOT EXISTS pipeline_tasks (
      pipeline_id TEXT NOT NULL, position INTEGER NOT NULL, task TEXT NOT NULL, base TEXT NOT NULL,
      depends TEXT NOT NULL, state TEXT NOT NULL, run_id TEXT, message TEXT,
      started_at INTEGER, ended_at INTEGER, attempt INTEGER NOT NULL DEFAULT 1,
      PRIMARY KEY (pipeline_id, task))
    """
  };

  private final Connection connection;

  private Database(Connection connection) {
    this.connection = connection;
  }

  /**
   * Loads the driver and its native library, kept in {@code home}'s cache, and opens and closes a
   * database in memory: for a thread that does it while the command line is read. The first
   * connection of a process costs about 50 ms (the JDBC driver manager, the driver's
   * configuration), the next ones about 3. Nothing is opened under {@code home}; failures are left
   * to {@link #open(Home)} to report.
   */
  public static void warmUp(Home home) {
    try {
      SqliteNative.useCached(home.cache());
      org.sqlite.SQLiteJDBCLoader.initialize();
      try (Connection c = connect(":memory:");
          Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 10000");
        s.execute(SCHEMA[0]);
      }
    } catch (Exception | LinkageError e) {
      // open says what is wrong
    }
  }

  /** Opens the database of {@code home}, the driver's native library kept in its cache. */
  public static Database open(Home home) {
    SqliteNative.useCached(home.cache());
    return open(home.database());
  }

  public static Database open(Path file) {
    try {
      Files.createDirectories(file.getParent());
    } catch (IOException e) {
      throw new EnvironmentError(
          "cannot create "
              + file.getParent()
              + ": "
              + e.getMessage()
              + "; set MLSCALE_HOME to a"
              + " writable directory");
    }
    try {
      Connection c = connect(file.toString());
      try (Statement s = c.createStatement()) {
        s.execute("PRAGMA busy_timeout = 10000");
        s.execute("PRAGMA journal_mode = WAL");
        s.execute("PRAGMA synchronous = NORMAL");
        for (String ddl : SCHEMA) {
          s.execute(ddl);
        }
        migrate(s);
      }
      return new Database(c);
    } catch (SQLException e) {
      throw new EnvironmentError("cannot open the run database " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * A connection to the database {@code name} (a path, or ":memory:"). Transactions take the write
   * lock when they begin (waiting up to the busy timeout): a deferred one that reads first and
   * writes later fails with SQLITE_BUSY_SNAPSHOT when another mlscale process wrote in between (two
   * runs started together did).
   */
  private static Connection connect(String name) throws SQLException {
    java.util.Properties props = new java.util.Properties();
    props.setProperty("transaction_mode", "IMMEDIATE");
    return DriverManager.getConnection("jdbc:sqlite:" + name, props);
  }

  /** Brings a database made by an earlier mlscale up to this schema. */
  private static void migrate(Statement s) throws SQLException {
    if (!hasColumn(s, "pipeline_tasks", "base")) {
      s.execute("ALTER TABLE pipeline_tasks ADD COLUMN base TEXT NOT NULL DEFAULT ''");
      s.execute("UPDATE pipeline_tasks SET base = task");
    }
    if (!hasColumn(s, "pipeline_tasks", "attempt")) {
      s.execute("ALTER TABLE pipeline_tasks ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1");
    }
    if (!hasColumn(s, "pipelines", "overrides")) {
      s.execute("ALTER TABLE pipelines ADD COLUMN overrides TEXT NOT NULL DEFAULT ''");
      s.execute("ALTER TABLE pipelines ADD COLUMN retries INTEGER NOT NULL DEFAULT 0");
    }
  }

  private static boolean hasColumn(Statement s, String table, String column) throws SQLException {
    try (var rs = s.executeQuery("PRAGMA table_info(" + table + ")")) {
      while (rs.next()) {
        if (column.equals(rs.getString("name"))) {
          return true;
        }
      }
    }
    return false;
  }

  /** Runs {@code work} on the connection under this database's lock. */
  public synchronized <T> T with(SqlWork<T> work) {
    try {
      return work.apply(connection);
    } catch (SQLException e) {
      throw new EnvironmentError("the run database failed: " + e.getMessage(), e);
    }
  }

  /** Runs {@code work} in one transaction. */
  public synchronized <T> T transaction(SqlWork<T> work) {
    try {
      connection.setAutoCommit(false);
      try {
        T result = work.apply(connection);
        connection.commit();
        return result;
      } catch (SQLException | RuntimeException e) {
        connection.rollback();
        throw e;
      } finally {
        connection.setAutoCommit(true);
      }
    } catch (SQLException e) {
      throw new EnvironmentError("the run database failed: " + e.getMessage(), e);
    }
  }

  /** Runs a query under this database's lock and maps each row. */
  <T> List<T> query(String sql, Sql.Row<T> row, Object... args) {
    return with(c -> Sql.query(c, sql, row, args));
  }

  /** Runs one INSERT, UPDATE or DELETE under this database's lock; says how many rows changed. */
  int update(String sql, Object... args) {
    return with(c -> Sql.exec(c, sql, args));
  }

  @Override
  public synchronized void close() {
    try {
      connection.close();
    } catch (SQLException e) {
      // closing on exit; nothing to report
    }
  }

  @FunctionalInterface
  public interface SqlWork<T> {
    T apply(Connection c) throws SQLException;
  }
}

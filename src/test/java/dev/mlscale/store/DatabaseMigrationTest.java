package dev.mlscale.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A run database made by an earlier mlscale still opens, and its pipeline runs still show. */
class DatabaseMigrationTest {
  @Test
  void pipelineTasksWithoutTheBaseColumnGainIt(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("mlscale.db");
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file);
        var s = c.createStatement()) {
      s.execute(
          "CREATE TABLE pipelines (id TEXT PRIMARY KEY, name TEXT NOT NULL, spec_file TEXT NOT"
              + " NULL, state TEXT NOT NULL, message TEXT, created_at INTEGER NOT NULL, ended_at"
              + " INTEGER, owner_pid INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0)");
      s.execute(
          "CREATE TABLE pipeline_tasks (pipeline_id TEXT NOT NULL, position INTEGER NOT NULL,"
              + " task TEXT NOT NULL, depends TEXT NOT NULL, state TEXT NOT NULL, run_id TEXT,"
              + " message TEXT, started_at INTEGER, ended_at INTEGER,"
              + " PRIMARY KEY (pipeline_id, task))");
      s.execute(
          "INSERT INTO pipelines VALUES ('old-1', 'old', 'p.yaml', 'Succeeded', '', 1, 2,"
              + " 1, 0)");
      s.execute(
          "INSERT INTO pipeline_tasks VALUES ('old-1', 0, 'a', '', 'Succeeded', null,"
              + " 'done', 1, 2)");
    }
    try (Database db = Database.open(file)) {
      PipelineStore store = new PipelineStore(db);
      assertThat(store.tasks("old-1"))
          .singleElement()
          .satisfies(t -> assertThat(t.base()).isEqualTo("a"))
          .satisfies(t -> assertThat(t.attempt()).isEqualTo(1));
      assertThat(store.get("old-1").overrides()).isEmpty();
      assertThat(store.get("old-1").retries()).isZero();
      store.create(
          "new-1",
          "new",
          "p.yaml",
          List.of("params.lr=0.1", "params.x=a b"),
          List.of(PipelineStore.TaskRecord.pending("t-0", "t", List.of())),
          Instant.now());
      assertThat(store.tasks("new-1").get(0).base()).isEqualTo("t");
      assertThat(store.get("new-1").overrides()).containsExactly("params.lr=0.1", "params.x=a b");
    }
  }
}

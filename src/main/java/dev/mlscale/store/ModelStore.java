package dev.mlscale.store;

import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.error.UserError;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Versioned models under {@code $MLSCALE_HOME/models/NAME/VERSION}, each linked to the run, the
 * parameters and the final metrics that produced it.
 */
public final class ModelStore {
  private final Database db;
  private final Path root;

  public ModelStore(Database db, Path root) {
    this.db = db;
    this.root = root;
  }

  /**
   * Moves the files of {@code outputDir} into the next version of {@code name} and records it.
   * Returns null when the directory is empty: there is no model to register.
   */
  public ModelRecord register(
      String name,
      String runId,
      Path outputDir,
      Map<String, Object> params,
      Map<String, Double> metrics,
      Instant at) {
    if (!Files.isDirectory(outputDir) || isEmpty(outputDir)) {
      return null;
    }
    return db.transaction(
        c -> {
          int version = nextVersion(c, name);
          Path target = root.resolve(name).resolve(Integer.toString(version));
          long size;
          try {
            Files.createDirectories(target.getParent());
            Files.move(outputDir, target, StandardCopyOption.ATOMIC_MOVE);
            size = sizeOf(target);
          } catch (IOException e) {
            throw new EnvironmentError(
                "cannot move the model from "
                    + outputDir
                    + " to "
                    + target
                    + ": "
                    + e.getMessage());
          }
          return insert(
              c,
              new ModelRecord(name, version, runId, target.toString(), at, params, metrics, size));
        });
  }

  /**
   * Records the next version of {@code name} whose files stay where a cluster run wrote them:
   * {@code location} is {@code pvc://NAMESPACE/CLAIM/SUB/PATH} on the cluster's model storage.
   */
  public ModelRecord registerRemote(
      String name,
      String runId,
      String location,
      Map<String, Object> params,
      Map<String, Double> metrics,
      Instant at) {
    return db.transaction(
        c ->
            insert(
                c,
                new ModelRecord(
                    name, nextVersion(c, name), runId, location, at, params, metrics, 0L)));
  }

  private static int nextVersion(Connection c, String name) throws SQLException {
    return Sql.query(
            c,
            "SELECT COALESCE(MAX(version), 0) + 1 FROM models WHERE name = ?",
            rs -> rs.getInt(1),
            name)
        .get(0);
  }

  /** Records a new version; returns it. */
  private static ModelRecord insert(Connection c, ModelRecord m) throws SQLException {
    Sql.exec(
        c,
        "INSERT INTO models (name, version, run_id, path, created_at, params, metrics,"
            + " size_bytes) VALUES (?,?,?,?,?,?,?,?)",
        m.name(),
        m.version(),
        m.runId(),
        m.path(),
        m.createdAt(),
        Json.write(m.params()),
        Json.write(m.metrics()),
        m.sizeBytes());
    return m;
  }

  /** All versions, newest first; only those of {@code name} when it is given. */
  public List<ModelRecord> list(String name) {
    return db.query(
        "SELECT * FROM models"
            + (name == null ? "" : " WHERE name = ?")
            + " ORDER BY name, version DESC",
        rs ->
            new ModelRecord(
                rs.getString("name"),
                rs.getInt("version"),
                rs.getString("run_id"),
                rs.getString("path"),
                Sql.instant(rs, "created_at"),
                Json.readObjectMap(rs.getString("params")),
                Json.readDoubleMap(rs.getString("metrics")),
                rs.getLong("size_bytes")),
        name == null ? new Object[0] : new Object[] {name});
  }

  /** The model a run registered, if any. */
  public java.util.Optional<ModelRecord> byRun(String runId) {
    return list(null).stream().filter(m -> m.runId().equals(runId)).findFirst();
  }

  /**
   * Registers a copy of {@code source} (a file or a directory, left in place) as the next version
   * of {@code name}.
   */
  public ModelRecord registerCopy(
      String name,
      String runId,
      Path source,
      Map<String, Object> params,
      Map<String, Double> metrics,
      Instant at) {
    Path staging = null;
    try {
      Files.createDirectories(root);
      staging = Files.createTempDirectory(root, ".copy-");
      copyTree(source, Files.isDirectory(source) ? staging : staging.resolve(source.getFileName()));
      ModelRecord record = register(name, runId, staging, params, metrics, at);
      if (record != null) {
        staging = null; // moved into the store
      }
      return record;
    } catch (IOException e) {
      throw new EnvironmentError("cannot copy the model from " + source + ": " + e.getMessage());
    } finally {
      if (staging != null) {
        deleteTree(staging);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a leftover staging folder is harmless
    }
  }

  /** Copies a file, or a directory with everything in it, to {@code target}. */
  public static void copyTree(Path source, Path target) throws IOException {
    try (Stream<Path> walk = Files.walk(source)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path to = target.resolve(source.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(to);
        } else {
          Files.createDirectories(to.getParent());
          Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Resolves {@code NAME} (the latest version) or {@code NAME:VERSION}. */
  public ModelRecord get(String ref) {
    String name = ref;
    Integer version = null;
    int colon = ref.lastIndexOf(':');
    if (colon > 0) {
      name = ref.substring(0, colon);
      String v = ref.substring(colon + 1);
      try {
        version = Integer.parseInt(v.startsWith("v") ? v.substring(1) : v);
      } catch (NumberFormatException e) {
        throw new UserError(
            "'" + ref + "' names no version; write NAME or NAME:VERSION, e.g. digits:3");
      }
    }
    List<ModelRecord> versions = list(name);
    if (versions.isEmpty()) {
      throw new NotFoundError("model", name, "'mlscale models ls' lists the models");
    }
    if (version == null) {
      return versions.get(0);
    }
    final int wanted = version;
    return versions.stream()
        .filter(m -> m.version() == wanted)
        .findFirst()
        .orElseThrow(
            () ->
                new NotFoundError(
                    "model version",
                    ref,
                    "versions of "
                        + versions.get(0).name()
                        + " are 1.."
                        + versions.get(0).version()));
  }

  private static boolean isEmpty(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    } catch (IOException e) {
      return true;
    }
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile)
          .mapToLong(
              p -> {
                try {
                  return Files.size(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              })
          .sum();
    }
  }

  static Comparator<ModelRecord> newestFirst() {
    return Comparator.comparing(ModelRecord::version).reversed();
  }
}

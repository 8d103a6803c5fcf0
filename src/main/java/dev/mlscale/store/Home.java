package dev.mlscale.store;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where mlscale keeps its state: {@code $MLSCALE_HOME} (default {@code ~/.mlscale}) holds the run
 * database, run directories and the model store; {@code $MLSCALE_CACHE} (default {@code
 * ~/.cache/mlscale}) holds prepared Python environments, which can be rebuilt at any time.
 */
public record Home(Path root, Path cache) {
  public static Home fromEnvironment(Map<String, String> env) {
    String userHome = System.getProperty("user.home");
    Path root =
        env.containsKey("MLSCALE_HOME")
            ? Path.of(env.get("MLSCALE_HOME"))
            : Path.of(userHome, ".mlscale");
    Path cache =
        env.containsKey("MLSCALE_CACHE")
            ? Path.of(env.get("MLSCALE_CACHE"))
            : env.containsKey("XDG_CACHE_HOME")
                ? Path.of(env.get("XDG_CACHE_HOME"), "mlscale")
                : Path.of(userHome, ".cache", "mlscale");
    return new Home(root.toAbsolutePath(), cache.toAbsolutePath());
  }

  public Path database() {
    return root.resolve("mlscale.db");
  }

  public Path runs() {
    return root.resolve("runs");
  }

  public Path models() {
    return root.resolve("models");
  }

  /** A sweep's directory: its owner's lock. */
  public Path sweep(String id) {
    return root.resolve("sweeps").resolve(id);
  }

  public Path envs() {
    return cache.resolve("envs");
  }
}

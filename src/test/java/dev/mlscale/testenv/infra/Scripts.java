package dev.mlscale.testenv.infra;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the testenv/s3 and testenv/argo scripts and reads the env files they write. */
public final class Scripts {

  private Scripts() {}

  /** The repository root (the directory holding testenv/). */
  public static Path repoRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isExecutable(p.resolve("testenv").resolve("up.sh"))) {
        return p;
      }
    }
    throw new IllegalStateException("testenv/up.sh not found in " + dir + " or any parent");
  }

  /**
   * MLSCALE_TESTENV_HOME, or $HOME/.cache/mlscale/testenv: the rule of testenv/versions.sh. The
   * scripts read $HOME, so this does too (Java's user.home comes from the user database and differs
   * when HOME is set to another folder).
   */
  public static Path testenvHome() {
    String explicit = System.getenv("MLSCALE_TESTENV_HOME");
    if (explicit != null && !explicit.isBlank()) {
      return Path.of(explicit);
    }
    String home = System.getenv("HOME");
    return Path.of(
        home != null && !home.isBlank() ? home : System.getProperty("user.home"),
        ".cache",
        "mlscale",
        "testenv");
  }

  /**
   * Runs {@code testenv/<script>} from the repository root, stderr appended to {@code
   * target/testenv/<log>}, and returns the last non-blank line of its stdout.
   */
  public static String run(String script, String log, Duration timeout) {
    Path root = repoRoot();
    Path logFile = root.resolve("target").resolve("testenv").resolve(log);
    Path out = logFile.resolveSibling(log + ".out");
    try {
      Files.createDirectories(logFile.getParent());
      System.err.printf("[testenv] testenv/%s (log: %s)%n", script, logFile);
      Process process =
          new ProcessBuilder(root.resolve("testenv").resolve(script).toString())
              .directory(root.toFile())
              .redirectOutput(out.toFile())
              .redirectError(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
      process.getOutputStream().close();
      if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("testenv/" + script + " did not finish in " + timeout);
      }
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            "testenv/" + script + " exited with " + process.exitValue() + "; see " + logFile);
      }
      List<String> lines =
          Files.readAllLines(out, StandardCharsets.UTF_8).stream()
              .filter(l -> !l.isBlank())
              .toList();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1).trim();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run testenv/" + script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running testenv/" + script, e);
    }
  }

  /** Reads a KEY=VALUE file. */
  static Map<String, String> readEnv(Path file) {
    try {
      Map<String, String> env = new LinkedHashMap<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int eq = line.indexOf('=');
        if (eq > 0 && !line.startsWith("#")) {
          env.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
        }
      }
      return env;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }
}

package dev.mlscale.backend.local;

import dev.mlscale.spec.Setup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Prepares the isolated Python environment of a job's {@code setup}: a virtualenv keyed by the hash
 * of everything that decides its content (interpreter, requirements file, commands, inputs). A
 * ready environment is reused at once; two jobs (or two mlscale processes) that need the same one
 * build it only once.
 */
public final class PythonEnvs {
  static final String READY = ".mlscale-ready";
  private final Path root;
  private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();

  public PythonEnvs(Path root) {
    this.root = root;
  }

  /** A prepared environment: its directory, and whether this call had to build it. */
  public record Env(Path dir, String key, boolean built) {
    public Path bin() {
      return dir.resolve("bin");
    }
  }

  /** Thrown when a setup step fails; the run fails with reason SetupFailed. */
  public static final class SetupFailed extends Exception {
    public SetupFailed(String message) {
      super(message);
    }
  }

  /** The cache key of a setup in a workdir. */
  public String key(Setup setup, Path workdir) {
    return dev.mlscale.plan.EnvKey.of(setup, workdir);
  }

  public Env prepare(Setup setup, Path workdir, Path log, Consumer<String> output)
      throws SetupFailed, InterruptedException {
    return prepare(setup, List.of(), workdir, log, output);
  }

  /** As above, with {@code packages} pip-installed after the requirements (a notebook's). */
  public Env prepare(
      Setup setup, List<String> packages, Path workdir, Path log, Consumer<String> output)
      throws SetupFailed, InterruptedException {
    String key = dev.mlscale.plan.EnvKey.of(setup, workdir, packages);
    Path dir = root.resolve(key);
    ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock());
    lock.lockInterruptibly();
    try {
      Files.createDirectories(root);
      try (FileChannel channel =
              FileChannel.open(
                  root.resolve(key + ".lock"),
                  StandardOpenOption.CREATE,
                  StandardOpenOption.WRITE);
          FileLock ignored = channel.lock()) {
        if (Files.exists(dir.resolve(READY))) {
          return new Env(dir, key, false);
        }
        deleteTree(dir);
        Files.createDirectories(log.getParent());
        build(setup, packages, workdir, dir, log, output);
        Files.writeString(dir.resolve(READY), key + "\n");
        return new Env(dir, key, true);
      }
    } catch (IOException e) {
      throw new SetupFailed("cannot prepare the environment in " + dir + ": " + e.getMessage());
    } finally {
      lock.unlock();
    }
  }

  private void build(
      Setup setup, List<String> packages, Path workdir, Path dir, Path log, Consumer<String> output)
      throws SetupFailed, InterruptedException, IOException {
    Path python =
        ProcessGroup.resolve(setup.python(), workdir, System.getenv("PATH"))
            .orElseThrow(
                () ->
                    new SetupFailed(
                        "setup.python '"
                            + setup.python()
                            + "' was not found on PATH; install it or name another interpreter"));
    step(List.of(python.toString(), "-m", "venv", dir.toString()), workdir, dir, log, output);
    String pip = dir.resolve("bin/pip").toString();
    if (setup.requirements() != null || !packages.isEmpty()) {
      List<String> argv =
          new ArrayList<>(
              List.of(
                  pip,
                  "install",
                  "--disable-pip-version-check",
                  "--no-input",
                  "--progress-bar",
                  "off"));
      if (setup.requirements() != null) {
        argv.addAll(List.of("-r", workdir.resolve(setup.requirements()).toString()));
      }
      argv.addAll(packages);
      if (setup.indexUrl() != null) {
        argv.addAll(List.of("--index-url", setup.indexUrl()));
      }
      for (String url : setup.extraIndexUrls()) {
        argv.addAll(List.of("--extra-index-url", url));
      }
      if (setup.wheelhouse() != null) {
        argv.addAll(List.of("--find-links", workdir.resolve(setup.wheelhouse()).toString()));
        if (setup.indexUrl() == null) {
          argv.add("--no-index");
        }
      }
      step(argv, workdir, dir, log, output);
    }
    for (String command : setup.commands()) {
      List<String> words = Words.split(command);
      if (words.isEmpty()) {
        continue;
      }
      String path = dir.resolve("bin") + ":" + System.getenv("PATH");
      Path program =
          ProcessGroup.resolve(words.get(0), workdir, path)
              .orElseThrow(
                  () ->
                      new SetupFailed(
                          "setup command '"
                              + command
                              + "': '"
                              + words.get(0)
                              + "' was not found on PATH or in the workdir"));
      List<String> argv = new ArrayList<>(words);
      argv.set(0, program.toString());
      step(argv, workdir, dir, log, output);
    }
  }

  private static void step(
      List<String> argv, Path workdir, Path venv, Path log, Consumer<String> output)
      throws SetupFailed, InterruptedException, IOException {
    output.accept("$ " + String.join(" ", argv));
    ProcessBuilder pb =
        new ProcessBuilder(argv).directory(workdir.toFile()).redirectErrorStream(true);
    pb.environment().put("VIRTUAL_ENV", venv.toString());
    pb.environment().put("PATH", venv.resolve("bin") + ":" + System.getenv("PATH"));
    pb.environment().put("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    Process p = pb.start();
    List<String> tail = new ArrayList<>();
    try (BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        output.accept(line);
        tail.add(line);
        if (tail.size() > 5) {
          tail.remove(0);
        }
      }
    }
    int code = p.waitFor();
    if (code != 0 && argv.size() > 1 && argv.get(1).equals("install")) {
      List<String> errors =
          tail.stream()
              .filter(l -> l.startsWith("ERROR:"))
              .map(l -> l.substring("ERROR:".length()).strip())
              .toList();
      if (!errors.isEmpty()) {
        throw new SetupFailed(
            "setup failed: " + errors.get(errors.size() - 1) + " (full output: " + log + ")");
      }
    }
    if (code != 0) {
      throw new SetupFailed(
          "setup step '"
              + String.join(" ", argv)
              + "' exited with code "
              + code
              + (tail.isEmpty() ? "" : ": " + String.join(" | ", tail).strip())
              + " (full output: "
              + log
              + ")");
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.delete(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }
}

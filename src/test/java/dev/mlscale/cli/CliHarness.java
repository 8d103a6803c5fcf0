package dev.mlscale.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** Runs the real CLI in-process against a throwaway MLSCALE_HOME and captures what it prints. */
public final class CliHarness {
  final Path home;
  public final Map<String, String> env;
  private Clock clock = Clock.systemUTC();

  public CliHarness(Path home) {
    this.home = home;
    this.env = new HashMap<>(System.getenv());
    env.put("MLSCALE_HOME", home.toString());
    env.put("NO_COLOR", "1");
  }

  public CliHarness with(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** Runs the commands after this with {@code clock} as their clock (a fixed one in tests). */
  public CliHarness with(Clock clock) {
    this.clock = clock;
    return this;
  }

  public record Result(int exit, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  public Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        Context ctx = new Context(env, o, e, clock)) {
      code = Main.execute(ctx, args);
    }
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Runs the CLI and returns {@link System#nanoTime()} when it first wrote to stdout (or -1). */
  public long firstOutput(String... args) {
    long[] first = {-1};
    java.io.OutputStream sink =
        new java.io.OutputStream() {
          @Override
          public void write(int b) {
            if (first[0] < 0) {
              first[0] = System.nanoTime();
            }
          }
        };
    try (PrintStream o = new PrintStream(sink, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Context ctx = new Context(env, o, e, clock)) {
      Main.execute(ctx, args);
    }
    return first[0];
  }

  /** The command line that runs mlscale as its own JVM, with this test's classes. */
  public static java.util.List<String> command(String... args) {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.mlscale.cli.Main");
    cmd.addAll(java.util.List.of(args));
    return cmd;
  }

  /** mlscale as its own process, as a terminal runs it; what it prints goes to {@code terminal}. */
  public Process start(Path terminal, String... args) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command(args))
            .redirectErrorStream(true)
            .redirectOutput(terminal.toFile());
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Waits (up to two minutes) until {@code done} says true; fails naming {@code what}. */
  public static void waitUntil(String what, java.util.concurrent.Callable<Boolean> done) {
    org.awaitility.Awaitility.await(what)
        .atMost(java.time.Duration.ofMinutes(2))
        .pollDelay(java.time.Duration.ZERO)
        .pollInterval(java.time.Duration.ofMillis(100))
        .until(done);
  }

  /** Writes a file under {@code dir} and returns its path. */
  static Path write(Path dir, String name, String content) {
    try {
      Path p = dir.resolve(name);
      Files.createDirectories(p.getParent());
      Files.writeString(p, content);
      return p;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository's root, where examples/ lives. */
  public static Path repo() {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.exists(p.resolve("examples"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("cannot find the repository root from " + Path.of(""));
    }
    return p;
  }
}

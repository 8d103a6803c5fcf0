package dev.mlscale.notebook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.backend.local.PythonEnvs;
import dev.mlscale.backend.local.PythonHelper;
import dev.mlscale.error.EnvironmentError;
import dev.mlscale.error.NotFoundError;
import dev.mlscale.error.UserError;
import dev.mlscale.plan.RunPlan;
import dev.mlscale.spec.Setup;
import dev.mlscale.store.Home;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Notebooks on this machine: JupyterLab installed into the job's setup environment (cached as any
 * setup), run in a process group of its own under {@code $MLSCALE_HOME/notebooks/NAME/}, with the
 * job's environment and a workspace directory that outlives the server.
 */
public final class LocalNotebooks implements Notebooks {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long READY_TIMEOUT_SECONDS = 120;

  private final Home home;
  private final Map<String, String> environment;
  private final Clock clock;

  public LocalNotebooks(Home home, Map<String, String> environment, Clock clock) {
    this.home = home;
    this.environment = Map.copyOf(environment);
    this.clock = clock;
  }

  /** What a running notebook leaves for {@code ls} and {@code stop}: notebook.json (mode 600). */
  record State(
      String name, String user, long pid, int port, String token, String started, String dir) {}

  private Path dir(String name) {
    return home.root().resolve("notebooks").resolve(name);
  }

  /** The directory that outlives the server: {@code $MLSCALE_WORKSPACE}. */
  public Path workspace(String name) {
    return dir(name).resolve("workspace");
  }

  @Override
  public Session start(NotebookRequest request, Consumer<String> progress)
      throws InterruptedException {
    String name = request.name();
    Path dir = dir(name);
    Optional<State> running = state(name).filter(s -> ProcessGroup.groupAlive(s.pid()));
    if (running.isPresent()) {
      throw new UserError(
          "notebook "
              + name
              + " already runs at "
              + url(running.get().port())
              + " (pid "
              + running.get().pid()
              + "); stop it with: mlscale notebook stop "
              + name);
    }
    RunPlan plan = request.plan();
    Setup setup = plan.spec().setupOpt().orElse(new Setup(null, null, null, null));
    PythonEnvs.Env env;
    try {
      Files.createDirectories(workspace(name));
      env =
          new PythonEnvs(home.envs())
              .prepare(
                  setup,
                  List.of(Jupyter.PACKAGE),
                  plan.workdir(),
                  dir.resolve("setup.log"),
                  line -> progress.accept("setup | " + line));
      Files.writeString(dir.resolve("params.json"), plan.paramsJson());
    } catch (PythonEnvs.SetupFailed e) {
      throw new EnvironmentError("the notebook's environment: " + e.getMessage());
    } catch (IOException e) {
      throw new EnvironmentError("cannot prepare " + dir + ": " + e.getMessage());
    }
    int port = request.port() == 0 ? Jupyter.freePort() : request.port();
    String token = Jupyter.newToken();
    List<String> argv = new ArrayList<>(List.of("setsid"));
    argv.addAll(
        Jupyter.command(
            env.bin().resolve("python").toString(),
            env.bin().resolve("jupyter").toString(),
            "127.0.0.1",
            port,
            plan.workdir().toString(),
            request.idleTimeout()));
    ProcessBuilder pb =
        new ProcessBuilder(argv).directory(plan.workdir().toFile()).redirectErrorStream(true);
    pb.environment().putAll(variables(request, env, token));
    Process process;
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new EnvironmentError("cannot start the notebook server: " + e.getMessage());
    }
    Path log = dir.resolve("server.log");
    CountDownLatch ready = new CountDownLatch(1);
    Thread pump =
        new Thread(() -> pump(process, log, ready, progress), "notebook-" + name + "-output");
    pump.setDaemon(true);
    pump.start();
    LocalSession session = new LocalSession(name, process, url(port) + "lab?token=" + token);
    boolean up = ready.await(READY_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!up || !process.isAlive()) {
      session.close();
      throw new EnvironmentError(
          "the notebook server "
              + (process.isAlive()
                  ? "did not answer within " + READY_TIMEOUT_SECONDS + " s"
                  : "exited with code " + process.exitValue())
              + "; its output is in "
              + log);
    }
    write(
        dir.resolve("notebook.json"),
        new State(
            name,
            request.user(),
            process.pid(),
            port,
            token,
            clock.instant().toString(),
            dir.toString()));
    return session;
  }

  /** The job's environment, as a run of it gets, plus the notebook's own variables. */
  private Map<String, String> variables(NotebookRequest request, PythonEnvs.Env env, String token) {
    RunPlan plan = request.plan();
    Path dir = dir(request.name());
    Map<String, String> vars = new LinkedHashMap<>(plan.env());
    plan.spec()
        .secrets()
        .keySet()
        .forEach(
            k -> {
              if (environment.containsKey(k)) {
                vars.put(k, environment.get(k));
              }
            });
    vars.put("MLSCALE_RUN_ID", "notebook-" + request.name());
    vars.put("MLSCALE_NOTEBOOK", request.name());
    vars.put("MLSCALE_PARAMS_FILE", dir.resolve("params.json").toString());
    vars.put("MLSCALE_METRICS_FILE", dir.resolve("metrics.jsonl").toString());
    vars.put("MLSCALE_WORKSPACE", workspace(request.name()).toString());
    vars.put("MLSCALE_MODELS", home.models().toString());
    vars.put("MLSCALE_CPUS", plan.resources().cpu().toQuantity());
    if (plan.resources().memory() != null) {
      vars.put("MLSCALE_MEMORY_LIMIT", Long.toString(plan.resources().memory().bytes()));
    }
    String pythonPath = environment.get("PYTHONPATH");
    vars.put(
        "PYTHONPATH",
        PythonHelper.install(home.cache()) + (pythonPath == null ? "" : ":" + pythonPath));
    vars.put("VIRTUAL_ENV", env.dir().toString());
    vars.put("PATH", env.bin() + ":" + environment.getOrDefault("PATH", "/usr/bin:/bin"));
    vars.put("PYTHONUNBUFFERED", "1");
    vars.put("JUPYTER_TOKEN", token);
    return vars;
  }

  private static void pump(
      Process process, Path log, CountDownLatch ready, Consumer<String> progress) {
    try (BufferedReader r =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        Files.writeString(log, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        if (line.startsWith("mlscale notebook:")) {
          progress.accept(line.substring("mlscale ".length()));
        }
        if (line.startsWith(Jupyter.READY)) {
          ready.countDown();
        }
      }
    } catch (IOException e) {
      // the server's output is gone (it ended); the session tells how
    } finally {
      ready.countDown();
    }
  }

  private static String url(int port) {
    return "http://127.0.0.1:" + port + "/";
  }

  /** A server this process started: closing it stops the server and its kernels. */
  private final class LocalSession implements Session {
    private final String name;
    private final Process process;
    private final String url;

    LocalSession(String name, Process process, String url) {
      this.name = name;
      this.process = process;
      this.url = url;
    }

    @Override
    public String url() {
      return url;
    }

    @Override
    public String awaitEnd() throws InterruptedException {
      int code = process.waitFor();
      String last = lastLine(dir(name).resolve("server.log"));
      return last.startsWith("mlscale notebook: culled")
          ? last.substring("mlscale notebook: ".length())
          : "the server exited with code " + code;
    }

    @Override
    public void close() {
      try {
        stopGroup(process.pid());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** SIGTERM to the whole group (the helper, Jupyter, its kernels), then SIGKILL after grace. */
  private static boolean stopGroup(long pgid) throws InterruptedException {
    if (!ProcessGroup.groupAlive(pgid)) {
      return false;
    }
    ProcessGroup.signalGroup(pgid, "TERM");
    Optional<ProcessHandle> leader = ProcessHandle.of(pgid);
    if (leader.isPresent()) {
      try {
        leader.get().onExit().get(STOP_GRACE.toSeconds(), TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        // killed below
      }
    }
    // Kernels are the server's children; whatever of the group is left goes now.
    ProcessGroup.signalGroup(pgid, "KILL");
    return true;
  }

  @Override
  public List<NotebookView> list() {
    Path root = home.root().resolve("notebooks");
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    List<NotebookView> views = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(root)) {
      for (Path d : dirs.sorted().toList()) {
        String name = d.getFileName().toString();
        Optional<State> s = state(name);
        boolean alive = s.map(x -> ProcessGroup.groupAlive(x.pid())).orElse(false);
        String last = lastLine(d.resolve("server.log"));
        String reason =
            alive
                ? "pid " + s.get().pid()
                : last.startsWith("mlscale notebook: ")
                    ? last.substring("mlscale notebook: ".length())
                    : "";
        views.add(
            new NotebookView(
                name,
                s.map(State::user).orElse(""),
                alive ? "Running" : last.contains("culled") ? "Culled" : "Stopped",
                alive ? url(s.get().port()) : "",
                s.map(x -> Instant.parse(x.started())).orElse(null),
                workspace(name).toString(),
                reason));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    views.sort(
        Comparator.comparing(
                NotebookView::started, Comparator.nullsLast(Comparator.<Instant>naturalOrder()))
            .reversed());
    return views;
  }

  @Override
  public String stop(String name) throws InterruptedException {
    State s = state(name).orElseThrow(() -> notFound(name));
    if (!stopGroup(s.pid())) {
      return "notebook " + name + " was not running; its workspace is " + workspace(name);
    }
    return "stopped notebook " + name + "; its workspace stays at " + workspace(name);
  }

  @Override
  public String delete(String name, boolean confirmed) throws InterruptedException {
    if (!Files.isDirectory(dir(name))) {
      throw notFound(name);
    }
    if (!confirmed) {
      throw new UserError(
          "deleting notebook "
              + name
              + " removes its workspace "
              + workspace(name)
              + " and every file in it; add --yes to confirm");
    }
    state(name).ifPresent(s -> stopQuietly(s.pid()));
    try (Stream<Path> walk = Files.walk(dir(name))) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new EnvironmentError("cannot remove " + dir(name) + ": " + e.getMessage());
    }
    return "deleted notebook " + name + " and its workspace";
  }

  private static void stopQuietly(long pid) {
    try {
      stopGroup(pid);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private NotFoundError notFound(String name) {
    return new NotFoundError(
        "notebook", name, "the notebooks of this machine: mlscale notebook ls");
  }

  private Optional<State> state(String name) {
    Path f = dir(name).resolve("notebook.json");
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(f.toFile(), State.class));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static void write(Path file, State state) {
    try {
      Path tmp = file.resolveSibling("notebook.json.tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(tmp, JSON.writeValueAsString(state));
      Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new EnvironmentError("cannot write " + file + ": " + e.getMessage());
    }
  }

  private static String lastLine(Path log) {
    if (!Files.exists(log)) {
      return "";
    }
    try {
      List<String> lines = Files.readAllLines(log);
      for (int i = lines.size() - 1; i >= 0; i--) {
        if (lines.get(i).startsWith("mlscale notebook:")) {
          return lines.get(i);
        }
      }
      return "";
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public void close() {}
}

package dev.mlscale.backend.local;

import dev.mlscale.error.EnvironmentError;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * One attempt of a run, started under a small supervisor that outlives mlscale: a POSIX shell in a
 * session of its own starts the job in another session (so that the job's process group can be
 * signalled without touching the supervisor), sends the job's output to the attempt's log, waits
 * for it, kills what the job left running in its process group (as a container's end would) and
 * writes its exit status atomically next to the log. If mlscale dies (kill -9, a closed laptop
 * lid), the job runs on and its end is still recorded; the next mlscale adopts that record or
 * follows the attempt until it ends, and never starts it again.
 *
 * <p>For a single process that supervisor is, when it can be, this mlscale process's {@link
 * SupervisorDaemon} (one Python process for every attempt, which writes the same files); else, and
 * for a gang, a shell of its own as described here.
 *
 * <p>The files of attempt N in the run's directory: {@code attempt-N.launch} (written before the
 * supervisor starts: the memory limit), {@code attempt-N.pid} ("supervisor-pid job-pid"), {@code
 * attempt-N.log}, {@code attempt-N.exit} (the exit status, as a shell reports it: 128+signal when
 * killed) and {@code attempt-N.killed} (why mlscale killed it, when it did). The shell writes its
 * two files with one short write each (no extra process for a rename): a reader that finds one
 * empty waits for the supervisor to end, or for the pid file to be written.
 */
final class AttemptProcess {
  /** The supervisor; its words are fixed, the job's argv is passed to it as arguments. */
  private static final String SUPERVISOR =
      """
      prefix=$1; shift
      setsid "$@" >>"$prefix.log" 2>&1 </dev/null &
      job=$!
      printf '%s %s\\n' "$$" "$job" >"$prefix.pid"
      exec >/dev/null
      wait "$job"
      code=$?
      kill -s KILL -- -"$job" 2>/dev/null
      printf '%s\\n' "$code" >"$prefix.exit"
      exit "$code"
      """;

  /**
   * The supervisor of a gang (a distributed run): its words are fixed; it takes the attempt's
   * prefix, the number of workers, one port per worker and the job's argv. Each worker runs in a
   * session of its own under a watcher (a subshell) that prefixes its lines with its rank in the
   * attempt's log, records its pid ({@code attempt-N.wK.pid}) and waits for it; the first worker to
   * fail writes {@code attempt-N.failed} ("rank code", created exclusively) and stops every other
   * worker, so no worker waits forever for a peer that is gone. When all have ended the supervisor
   * writes the gang's exit status: the first failure's, else 0.
   */
  private static final String GANG_SUPERVISOR =
      """
      prefix=$1; n=$2; shift 2
      i=0
      while [ "$i" -lt "$n" ]; do eval "port$i=\\$1"; shift; i=$((i+1)); done
      printf '%s\\n' "$$" >"$prefix.pid.tmp"
      i=0
      while [ "$i" -lt "$n" ]; do
        eval "port=\\$port$i"
        (
          w="$prefix.w$i"
          rm -f "$w.fifo"; mkfifo "$w.fifo" || exit 1
          while IFS= read -r line || [ -n "$line" ]; do printf '[%s] %s\\n' "$i" "$line"; done \\
            <"$w.fifo" >>"$prefix.log" 2>&1 &
          export RANK="$i" NODE_RANK="$i" GROUP_RANK="$i" LOCAL_RANK=0 LOCAL_WORLD_SIZE=1
          export MLSCALE_WORKER_INDEX="$i" MLSCALE_WORKER_PORT="$port"
          if [ "$i" -ne 0 ]; then
            export MLSCALE_METRICS_FILE="$w.metrics.jsonl"
            if [ -n "$MLSCALE_OUTPUT_DIR" ]; then
              MLSCALE_OUTPUT_DIR="$w.output"; mkdir -p "$MLSCALE_OUTPUT_DIR"
            fi
          fi
          setsid "$@" >"$w.fifo" 2>&1 </dev/null &
          job=$!
          printf '%s\\n' "$job" >"$w.pid"
          exec >/dev/null
          [ -e "$prefix.failed" ] && kill -s KILL -- "-$job" 2>/dev/null
          wait "$job"
          code=$?
          kill -s KILL -- "-$job" 2>/dev/null
          if [ "$code" -ne 0 ] && (set -C; printf '%s %s\\n' "$i" "$code" >"$prefix.failed") 2>/dev/null
          then
            for f in "$prefix".w*.pid; do
              read -r p <"$f" && [ "$p" != "$job" ] && kill -s KILL -- "-$p" 2>/dev/null
            done
          fi
          wait
          rm -f "$w.fifo"
        ) &
        i=$((i+1))
      done
      mv "$prefix.pid.tmp" "$prefix.pid"
      exec >/dev/null
      wait
      code=0
      [ -e "$prefix.failed" ] && read -r rank code <"$prefix.failed"
      printf '%s\\n' "$code" >"$prefix.exit"
      exit "$code"
      """;

  private static final String NAME = "mlscale-attempt";

  private final Path dir;
  private final int number;
  private final long supervisorPid;
  private final long[] jobPids; // one per worker: each leads its own process group

  /** Completes when the supervisor has recorded the end; null when adopted from another process. */
  private final CompletableFuture<?> ended;

  private final ProcessGroup.Meter[] meters; // one per worker, for the memory sampler

  private AttemptProcess(
      Path dir, int number, long supervisorPid, long[] jobPids, CompletableFuture<?> ended) {
    this.dir = dir;
    this.number = number;
    this.supervisorPid = supervisorPid;
    this.jobPids = jobPids.clone();
    this.ended = ended;
    this.meters = new ProcessGroup.Meter[jobPids.length];
    for (int k = 0; k < jobPids.length; k++) {
      meters[k] = new ProcessGroup.Meter(jobPids[k]);
    }
  }

  /**
   * Starts attempt {@code number} of the run in {@code dir}: {@code argv} (its first word resolved)
   * in {@code workdir} with this process's environment and {@code env}, output appended to {@code
   * attempt-N.log}; under {@code daemon} when there is one, else under a shell supervisor of its
   * own.
   */
  static AttemptProcess launch(
      Path dir,
      int number,
      Long memoryLimit,
      List<String> argv,
      Path workdir,
      Map<String, String> env,
      Optional<SupervisorDaemon> daemon) {
    writeLaunch(dir, number, memoryLimit);
    if (daemon.isPresent()) {
      try {
        SupervisorDaemon.Started s = daemon.get().launch(prefix(dir, number), argv, workdir, env);
        return new AttemptProcess(
            dir, number, s.supervisorPid(), new long[] {s.jobPid()}, s.exit());
      } catch (IOException e) {
        if (Files.exists(file(dir, number, "pid"))) {
          throw new EnvironmentError("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
        }
        // the daemon could not start it (it ended, or the job's program is not one): the shell
        // supervisor below says why in the attempt's log, as it always did
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new EnvironmentError("interrupted while starting " + argv.get(0), e);
      }
    }
    List<String> words = List.of(SUPERVISOR, NAME, prefix(dir, number).toString());
    return start(dir, number, words, argv, workdir, env);
  }

  /** Records that attempt {@code number} is being launched, and with which memory limit. */
  private static void writeLaunch(Path dir, int number, Long memoryLimit) {
    write(file(dir, number, "launch"), memoryLimit == null ? "" : memoryLimit.toString());
  }

  /**
   * Starts attempt {@code number} as a gang of {@code ports.size()} workers (see {@link
   * #GANG_SUPERVISOR}): worker K gets {@code env} plus its rank and {@code ports.get(K)}; their
   * output goes to {@code attempt-N.log}, each line prefixed with "[K] ".
   */
  static AttemptProcess launchGang(
      Path dir,
      int number,
      Long memoryLimit,
      List<Integer> ports,
      List<String> argv,
      Path workdir,
      Map<String, String> env) {
    write(file(dir, number, "workers"), Integer.toString(ports.size()));
    List<String> words = new ArrayList<>(List.of(GANG_SUPERVISOR, NAME));
    words.add(prefix(dir, number).toString());
    words.add(Integer.toString(ports.size()));
    ports.forEach(p -> words.add(Integer.toString(p)));
    writeLaunch(dir, number, memoryLimit);
    return start(dir, number, words, argv, workdir, env);
  }

  /** Starts {@code sh -c SCRIPT NAME ARGS... ARGV...} in a session of its own. */
  private static AttemptProcess start(
      Path dir,
      int number,
      List<String> supervisorWords,
      List<String> argv,
      Path workdir,
      Map<String, String> env) {
    List<String> command = new ArrayList<>(argv.size() + supervisorWords.size() + 3);
    command.addAll(List.of("setsid", "sh", "-c"));
    command.addAll(supervisorWords);
    command.addAll(argv);
    ProcessBuilder pb = new ProcessBuilder(command).directory(workdir.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectError(ProcessBuilder.Redirect.appendTo(file(dir, number, "log").toFile()));
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new EnvironmentError("cannot start " + argv.get(0) + ": " + e.getMessage(), e);
    }
    try (InputStream out = p.getInputStream()) {
      out.readAllBytes(); // the supervisor closes its output once the pid files are written
    } catch (IOException e) {
      // the pid file says whether it started
    }
    long[] pids =
        readPids(dir, number)
            .orElseThrow(
                () ->
                    new EnvironmentError(
                        "the supervisor of "
                            + argv.get(0)
                            + " ended before starting it; see "
                            + file(dir, number, "log")));
    return new AttemptProcess(
        dir, number, pids[0], java.util.Arrays.copyOfRange(pids, 1, pids.length), p.onExit());
  }

  /** The highest attempt number ever launched in {@code dir}, if any. */
  static OptionalInt lastLaunched(Path dir) {
    int max = 0;
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "attempt-*.launch")) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        try {
          max = Math.max(max, Integer.parseInt(name.substring(8, name.length() - 7)));
        } catch (NumberFormatException e) {
          // not ours
        }
      }
    } catch (IOException e) {
      return OptionalInt.empty();
    }
    return max == 0 ? OptionalInt.empty() : OptionalInt.of(max);
  }

  /**
   * Attempt {@code number} as another mlscale process left it: running (its supervisor alive) or
   * ended (an exit file). Empty when it is neither: its supervisor never started, or died unseen.
   */
  static Optional<AttemptProcess> attach(Path dir, int number) {
    Optional<long[]> pids = readPids(dir, number);
    // a supervisor writes its pid file within milliseconds of its launch: give one that was
    // launched a moment ago (its launcher killed right then) the time to write it
    for (int i = 0;
        i < 40 && pids.isEmpty() && launchedAt(dir, number).isAfter(Instant.now().minusSeconds(10));
        i++) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      pids = readPids(dir, number);
    }
    if (pids.isEmpty()) {
      return Optional.empty();
    }
    long[] all = pids.get();
    AttemptProcess a =
        new AttemptProcess(
            dir, number, all[0], java.util.Arrays.copyOfRange(all, 1, all.length), null);
    return a.exitStatus().isPresent() || a.supervisorAlive() ? Optional.of(a) : Optional.empty();
  }

  /**
   * What an attempt's files say of its last attempt when the mlscale process that watched it is
   * gone: still running (its supervisor alive) or ended with an exit status.
   */
  record Unwatched(
      int attempt, long jobPid, boolean running, Integer exitStatus, String killedFor) {}

  static Optional<Unwatched> unwatched(Path dir) {
    OptionalInt n = lastLaunched(dir);
    if (n.isEmpty()) {
      return Optional.empty();
    }
    return attach(dir, n.getAsInt())
        .map(
            a -> {
              OptionalInt exit = a.exitStatus();
              return new Unwatched(
                  a.number,
                  a.jobPid(),
                  exit.isEmpty(),
                  exit.isEmpty() ? null : exit.getAsInt(),
                  a.killedFor().orElse(null));
            });
  }

  /** The memory limit this attempt was launched with (null: none). */
  static Long launchedMemoryLimit(Path dir, int number) {
    try {
      String s = Files.readString(file(dir, number, "launch")).strip();
      return s.isEmpty() ? null : Long.parseLong(s);
    } catch (IOException | NumberFormatException e) {
      return null;
    }
  }

  /** When attempt {@code number} was launched. */
  static Instant launchedAt(Path dir, int number) {
    try {
      return Files.getLastModifiedTime(file(dir, number, "launch")).toInstant();
    } catch (IOException e) {
      return Instant.now();
    }
  }

  int number() {
    return number;
  }

  /** The job's process group (its pid), to measure and to signal; worker 0's for a gang. */
  long jobPid() {
    return jobPids[0];
  }

  /** How many workers the attempt has: 1, or a distributed run's gang. */
  int workers() {
    return jobPids.length;
  }

  /**
   * The worker of a gang that failed first and its exit status (the others were stopped because of
   * it); empty when none failed, or for a single process.
   */
  Optional<int[]> firstFailure() {
    try {
      String[] f = Files.readString(file(dir, number, "failed")).strip().split(" ");
      return Optional.of(new int[] {Integer.parseInt(f[0]), Integer.parseInt(f[1])});
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  Path log() {
    return file(dir, number, "log");
  }

  boolean adopted() {
    return ended == null;
  }

  /** Whether the supervisor still runs (so the attempt has not ended). */
  boolean supervisorAlive() {
    if (ended != null) {
      return !ended.isDone();
    }
    return ProcessHandle.of(supervisorPid)
        .filter(ProcessHandle::isAlive)
        .filter(this::isOurSupervisor)
        .isPresent();
  }

  /**
   * Tells a reused pid from the supervisor: a shell supervisor's arguments name this attempt's
   * files; the daemon's name it ({@link SupervisorDaemon#NAME}).
   */
  private boolean isOurSupervisor(ProcessHandle h) {
    String prefix = prefix(dir, number).toString();
    return h.info()
        .arguments()
        .map(a -> List.of(a).contains(prefix) || List.of(a).contains(SupervisorDaemon.NAME))
        .orElse(true);
  }

  /** Waits at most {@code d} for the supervisor to end; whether it has. */
  boolean awaitEnd(java.time.Duration d) throws InterruptedException {
    if (ended != null) {
      try {
        ended.get(d.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return false;
      } catch (ExecutionException e) {
        // ended all the same
      }
      return true;
    }
    if (exitStatus().isPresent() || !supervisorAlive()) {
      return true;
    }
    // not our child: nothing to wait on but its files and its supervisor's pid (the daemon of
    // another process outlives the attempt)
    Thread.sleep(d.toMillis());
    return exitStatus().isPresent() || !supervisorAlive();
  }

  /**
   * Waits until the supervisor has ended and returns the job's exit status; empty when the
   * supervisor ended without writing it (it was killed itself: nobody knows how the job ended).
   */
  OptionalInt await() throws InterruptedException {
    if (ended != null) {
      try {
        ended.get();
      } catch (ExecutionException e) {
        // it is gone either way
      }
    } else {
      while (!awaitEnd(java.time.Duration.ofMillis(50))) {
        // another process's supervisor: its files and its pid are all there is to watch
      }
    }
    return exitStatus();
  }

  /** The exit status the supervisor wrote, once the job has ended. */
  OptionalInt exitStatus() {
    try {
      return OptionalInt.of(Integer.parseInt(Files.readString(file(dir, number, "exit")).strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalInt.empty();
    }
  }

  /** Writes down why mlscale stops the job (OOMKilled, DeadlineExceeded) before it signals it. */
  void markKilled(String reason) {
    write(file(dir, number, "killed"), reason);
  }

  /** Why mlscale stopped the job, if it did. */
  Optional<String> killedFor() {
    try {
      return Optional.of(Files.readString(file(dir, number, "killed")).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /**
   * Sends a signal (TERM, KILL, ...) to every process of the job (of every worker of a gang), never
   * to the supervisor.
   */
  void signal(String signal) {
    for (long pid : jobPids) {
      ProcessGroup.signalGroup(pid, signal);
    }
  }

  /** Sends a signal to every process of worker {@code k}. */
  void signalWorker(int k, String signal) {
    ProcessGroup.signalGroup(jobPids[k], signal);
  }

  /** The resident memory of worker {@code k}'s processes (each worker has the job's limit). */
  long residentBytes(int k) {
    return meters[k].residentBytes();
  }

  /**
   * {supervisor, job} of a single process, {supervisor, worker 0, worker 1, ...} of a gang (whose
   * supervisor writes its own pid, each watcher its worker's in {@code attempt-N.wK.pid}).
   */
  private static Optional<long[]> readPids(Path dir, int number) {
    try {
      String[] f = Files.readString(file(dir, number, "pid")).strip().split(" ");
      if (f.length >= 2) {
        return Optional.of(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
      }
      int n = Integer.parseInt(Files.readString(file(dir, number, "workers")).strip());
      long[] pids = new long[n + 1];
      pids[0] = Long.parseLong(f[0]);
      for (int k = 0; k < n; k++) {
        pids[k + 1] = Long.parseLong(Files.readString(file(dir, number, "w" + k + ".pid")).strip());
      }
      return Optional.of(pids);
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  private static Path prefix(Path dir, int number) {
    return dir.resolve("attempt-" + number);
  }

  static Path file(Path dir, int number, String suffix) {
    return dir.resolve("attempt-" + number + "." + suffix);
  }

  /** Writes {@code text} so that a reader sees all of it or nothing. */
  private static void write(Path file, String text) {
    try {
      dev.mlscale.store.AtomicFiles.write(file, text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new EnvironmentError("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}

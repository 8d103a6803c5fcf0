package dev.mlscale.render;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker launcher a distributed pod starts with ({@code python3 -m mlscale worker ARGV}), run
 * as a real process: it starts the job only when every peer's name resolves, and otherwise gives up
 * after start_timeout with exit code 75 and a message naming the missing workers (the pod's
 * termination message, which mlscale shows as GangNotStarted).
 */
class WorkerLauncherTest {
  private static final Path HELPER = Path.of("src/main/resources/python").toAbsolutePath();

  private record Result(int exit, String stderr, String termination) {}

  private static Result launch(Path dir, String hosts, String timeout, String... argv)
      throws Exception {
    Path termination = dir.resolve("termination-log");
    List<String> command = new java.util.ArrayList<>(List.of("python3", "-m", "mlscale", "worker"));
    command.addAll(List.of(argv));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put("PYTHONPATH", HELPER.toString());
    pb.environment().put("MLSCALE_WORKER_HOSTS", hosts);
    pb.environment().put("MLSCALE_WORKER_INDEX", "0");
    pb.environment().put("MLSCALE_GANG_START_TIMEOUT", timeout);
    pb.environment().put("MLSCALE_TERMINATION_LOG", termination.toString());
    pb.redirectOutput(dir.resolve("out").toFile());
    Process p = pb.start();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Result(
        p.exitValue(), err, Files.exists(termination) ? Files.readString(termination) : "");
  }

  @Test
  void aWorkerWhosePeersAllResolveRunsTheJob(@TempDir Path dir) throws Exception {
    Result r =
        launch(
            dir,
            "localhost:29500,localhost:29501",
            "5",
            "python3",
            "-c",
            "open('ran','w').write('yes')");
    assertThat(r.exit()).as(r.stderr()).isZero();
    assertThat(dir.resolve("ran")).hasContent("yes");
  }

  @Test
  void aWorkerWhosePeerNeverGetsAnAddressGivesUpAfterTheStartTimeout(@TempDir Path dir)
      throws Exception {
    Result r =
        launch(
            dir,
            "localhost:29500,job-1.never-scheduled.invalid:29500",
            "2",
            "python3",
            "-c",
            "open('ran','w').write('yes')");
    assertThat(r.exit()).isEqualTo(Gang.GANG_NOT_STARTED);
    assertThat(dir.resolve("ran")).doesNotExist();
    assertThat(r.termination())
        .startsWith("gang not started: 1 of 2 workers had no address after 2s")
        .contains("job-1.never-scheduled.invalid")
        .contains("distributed.start_timeout");
    assertThat(r.stderr()).contains("gang not started");
  }
}

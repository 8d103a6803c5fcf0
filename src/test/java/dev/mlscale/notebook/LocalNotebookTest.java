package dev.mlscale.notebook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.backend.local.ProcessGroup;
import dev.mlscale.cli.CliHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlscale notebook} on this machine, against a real JupyterLab (installed from PyPI into a
 * cached environment on first use: about 30 s): the token guards the API, a cell run over the
 * kernel websocket sees the job's helper, params and workspace; stop, Ctrl-C and idle culling leave
 * nothing running.
 */
class LocalNotebookTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path home;
  @TempDir Path work;
  CliHarness cli;
  Path spec;

  @BeforeEach
  void setUp() throws Exception {
    cli = new CliHarness(home);
    Files.writeString(work.resolve("train.py"), "print('training')\n");
    spec =
        Files.writeString(
            work.resolve("job.yaml"),
            "name: nbjob\ncommand: [python, train.py]\nparams: {lr: 0.25, layers: 3}\n");
  }

  private long serverGroup() throws Exception {
    return JSON.readTree(home.resolve("notebooks/nbjob/notebook.json").toFile())
        .get("pid")
        .asLong();
  }

  @Test
  void aBrowserReachesTheJobsEnvironmentAndStopLeavesNothingRunning() throws Exception {
    Path terminal = work.resolve("terminal.txt");
    Process p = cli.start(terminal, "notebook", spec.toString(), "--no-browser");
    JupyterClient jupyter =
        new JupyterClient(JupyterClient.awaitUrl(terminal, p, Duration.ofMinutes(4)));

    var status = jupyter.get("api/status", true);
    assertThat(status.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(status.body()).has("last_activity")).isTrue();
    assertThat(jupyter.get("api/status", false).statusCode()).isEqualTo(403);
    assertThat(jupyter.get("lab", true).body()).contains("JupyterLab");

    String kernel = jupyter.startKernel();
    var cell =
        jupyter.execute(
            kernel,
            String.join(
                "\n",
                "import os, mlscale",
                "p = mlscale.params()",
                "path = os.path.join(os.environ['MLSCALE_WORKSPACE'], 'from-notebook.txt')",
                "open(path, 'w').write('lr=%s layers=%s' % (p['lr'], p['layers']))",
                "print('wrote', path, os.environ['MLSCALE_RUN_ID'], os.getcwd())"),
            Duration.ofSeconds(60));
    assertThat(cell.error()).isEmpty();
    assertThat(cell.status()).isEqualTo("ok");
    assertThat(cell.stdout()).contains("notebook-nbjob").contains(work.toRealPath().toString());
    Path written = home.resolve("notebooks/nbjob/workspace/from-notebook.txt");
    assertThat(Files.readString(written)).isEqualTo("lr=0.25 layers=3");

    var ls = cli.run("notebook", "ls", "-o", "json");
    JsonNode views = JSON.readTree(ls.out());
    assertThat(views.get(0).get("name").asText()).isEqualTo("nbjob");
    assertThat(views.get(0).get("state").asText()).isEqualTo("Running");

    long group = serverGroup();
    var stop = cli.run("notebook", "stop", "nbjob");
    assertThat(stop.exit()).as(stop.all()).isZero();
    assertThat(stop.out()).contains("stopped notebook nbjob");
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(ProcessGroup.groupAlive(group)).as("server and kernel processes").isFalse();
    assertThat(
            JSON.readTree(cli.run("notebook", "ls", "-o", "json").out())
                .get(0)
                .get("state")
                .asText())
        .isEqualTo("Stopped");
    assertThat(Files.readString(written)).as("the workspace stays").isEqualTo("lr=0.25 layers=3");

    var refused = cli.run("notebook", "delete", "nbjob");
    assertThat(refused.exit()).isEqualTo(2);
    assertThat(refused.err()).contains("--yes");
    assertThat(cli.run("notebook", "delete", "nbjob", "--yes").exit()).isZero();
    assertThat(written).doesNotExist();
  }

  @Test
  void ctrlCStopsTheServerAndIdleNotebooksAreCulled() throws Exception {
    Path terminal = work.resolve("terminal.txt");
    Process p = cli.start(terminal, "notebook", spec.toString(), "--no-browser");
    JupyterClient jupyter =
        new JupyterClient(JupyterClient.awaitUrl(terminal, p, Duration.ofMinutes(4)));
    jupyter.startKernel();
    long group = serverGroup();
    new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(ProcessGroup.groupAlive(group)).as("server and kernel processes").isFalse();

    Path terminal2 = work.resolve("terminal2.txt");
    Process culled =
        cli.start(terminal2, "notebook", spec.toString(), "--no-browser", "--idle-timeout", "3s");
    JupyterClient j2 =
        new JupyterClient(JupyterClient.awaitUrl(terminal2, culled, Duration.ofMinutes(4)));
    var cell = j2.execute(j2.startKernel(), "print(6 * 7)", Duration.ofSeconds(60));
    assertThat(cell.stdout()).contains("42");
    long group2 = serverGroup();
    assertThat(culled.waitFor(90, TimeUnit.SECONDS)).as("culled after 3 s idle").isTrue();
    assertThat(culled.exitValue()).isZero();
    assertThat(Files.readString(terminal2)).contains("culled: no activity for");
    assertThat(ProcessGroup.groupAlive(group2)).isFalse();
    assertThat(
            JSON.readTree(cli.run("notebook", "ls", "-o", "json").out())
                .get(0)
                .get("state")
                .asText())
        .isEqualTo("Culled");
  }
}

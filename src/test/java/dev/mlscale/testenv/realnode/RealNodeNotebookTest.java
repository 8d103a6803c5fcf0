package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.notebook.Jupyter;
import dev.mlscale.notebook.JupyterClient;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code mlscale notebook --target k8s} on the real node: JupyterLab installed by the pod's setup
 * from the package index on the bridge, reached through a Fabric8 port-forward via the API server
 * as a browser would; Ctrl-C ends only the port-forward and starting again reconnects to the same
 * pod with the same token; the workspace claim keeps a cell's file when the pod is recreated; an
 * idle notebook is culled; stop keeps the workspace, delete needs --yes.
 */
@RealNodeTest
class RealNodeNotebookTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
  }

  private static String[] args(TestNamespace ns, String... first) {
    List<String> a = new ArrayList<>(List.of(first));
    a.addAll(List.of("--target", "k8s", "-n", ns.name()));
    return a.toArray(String[]::new);
  }

  private Process start(CliHarness cli, TestNamespace ns, Path spec, Path terminal, String idle)
      throws Exception {
    List<String> a =
        new ArrayList<>(
            List.of(
                args(
                    ns,
                    "notebook",
                    spec.toString(),
                    "--no-browser",
                    "--idle-timeout",
                    idle,
                    "--workspace-class",
                    "nfs-storage")));
    a.addAll(RealNode.PLACE);
    return cli.start(terminal, a.toArray(String[]::new));
  }

  @Test
  void aBrowserThroughThePortForwardKeepsItsWorkspaceAndIdleNotebooksAreCulled(TestNamespace ns)
      throws Exception {
    RealNode.createClaim(ns.client(), "model-storage");
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            "name: nbreal\nimage: python:3.11-slim\ncommand: [python, train.py]\n"
                + "params: {lr: 0.5}\nresources: {cpu: 500m, memory: 1Gi}\n");
    Files.writeString(work.resolve("train.py"), "print('train')\n");
    Path requirements =
        Files.writeString(work.resolve("requirements-index.txt"), Jupyter.PACKAGE + "\n");
    try (PackageIndex index = PackageIndex.serve(RealNode.HOST, requirements)) {
      CliHarness cli =
          new CliHarness(home)
              .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
              .with("PIP_INDEX_URL", index.url())
              .with("USER", "tester");
      Path terminal = work.resolve("terminal-1.txt");
      Process p = start(cli, ns, spec, terminal, "0");
      JupyterClient jupyter =
          new JupyterClient(JupyterClient.awaitUrl(terminal, p, Duration.ofMinutes(8)));
      assertThat(jupyter.get("api/status", true).statusCode()).isEqualTo(200);
      assertThat(jupyter.get("api/status", false).statusCode()).isEqualTo(403);
      String kernel = jupyter.startKernel();
      var cell =
          jupyter.execute(
              kernel,
              String.join(
                  "\n",
                  "import os, mlscale",
                  "p = mlscale.params()",
                  "path = os.path.join(os.environ['MLSCALE_WORKSPACE'], 'kept.txt')",
                  "open(path, 'w').write('lr=%s' % p['lr'])",
                  "print('wrote', path, os.path.exists('train.py'))"),
              Duration.ofSeconds(90));
      assertThat(cell.error()).isEmpty();
      assertThat(cell.stdout()).contains("wrote /workspace/work/kept.txt True");
      Path claimDir = RealNode.hostPath(ns.client(), "nb-tester-nbreal-workspace");
      assertThat(Files.readString(claimDir.resolve("kept.txt"))).isEqualTo("lr=0.5");
      Pod pod = ns.client().pods().withName("nb-tester-nbreal").get();
      assertThat(pod.getSpec().getNodeName()).isEqualTo(RealNode.NAME);
      String logs = ns.client().pods().withName("nb-tester-nbreal").getLog();
      assertThat(logs).contains("mlscale notebook: ready").doesNotContain(jupyter.token());
      assertThat(Files.readString(terminal)).doesNotContain("ERROR");
      assertThat(index.downloads()).anyMatch(f -> f.startsWith("jupyterlab-"));

      // Ctrl-C (here SIGTERM) ends the port-forward; the pod keeps running
      p.destroy();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(ns.client().pods().withName("nb-tester-nbreal").get().getStatus().getPhase())
          .isEqualTo("Running");
      JsonNode listed = JSON.readTree(cli.run(args(ns, "notebook", "ls", "-o", "json")).out());
      assertThat(listed.get(0).get("state").asText()).isEqualTo("Running");

      // started again, it reconnects to the same pod: the same token, the same kernel (its
      // variables kept); it says the pod keeps the idle timeout it started with
      String uid = ns.client().pods().withName("nb-tester-nbreal").get().getMetadata().getUid();
      Path terminalAgain = work.resolve("terminal-again.txt");
      Process again = start(cli, ns, spec, terminalAgain, "30m");
      JupyterClient same =
          new JupyterClient(JupyterClient.awaitUrl(terminalAgain, again, Duration.ofMinutes(2)));
      assertThat(same.token()).isEqualTo(jupyter.token());
      assertThat(same.get("api/status", true).statusCode()).isEqualTo(200);
      assertThat(same.execute(kernel, "print('again', p['lr'])", Duration.ofSeconds(60)).stdout())
          .contains("again 0.5");
      assertThat(Files.readString(terminalAgain))
          .contains("runs already in pod nb-tester-nbreal; connecting")
          .contains("keeps the idle timeout it started with (never, not 30m)");
      assertThat(ns.client().pods().withName("nb-tester-nbreal").get().getMetadata().getUid())
          .isEqualTo(uid);
      again.destroy();
      assertThat(again.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(ns.client().pods().withName("nb-tester-nbreal").get().getStatus().getPhase())
          .isEqualTo("Running");

      var stop = cli.run(args(ns, "notebook", "stop", "nbreal"));
      assertThat(stop.exit()).as(stop.all()).isZero();
      assertThat(ns.client().pods().withName("nb-tester-nbreal").get()).isNull();
      assertThat(ns.client().secrets().withName("nb-tester-nbreal-token").get()).isNull();
      assertThat(ns.client().persistentVolumeClaims().withName("nb-tester-nbreal-workspace").get())
          .isNotNull();

      // a new pod (the environment cached) sees the file; idle for 5 s, it is culled
      int downloads = index.downloads().size();
      Path terminal2 = work.resolve("terminal-2.txt");
      Process p2 = start(cli, ns, spec, terminal2, "5s");
      JupyterClient j2 =
          new JupyterClient(JupyterClient.awaitUrl(terminal2, p2, Duration.ofMinutes(8)));
      var read =
          j2.execute(
              j2.startKernel(),
              "import os; print(open(os.path.join(os.environ['MLSCALE_WORKSPACE'],"
                  + " 'kept.txt')).read())",
              Duration.ofSeconds(90));
      assertThat(read.stdout()).contains("lr=0.5");
      assertThat(index.downloads()).hasSize(downloads);
      assertThat(p2.waitFor(3, TimeUnit.MINUTES)).as("culled after 5 s idle").isTrue();
      assertThat(Files.readString(terminal2)).contains("culled: no activity for");
      Pod culled = ns.client().pods().withName("nb-tester-nbreal").get();
      assertThat(culled.getStatus().getPhase()).isEqualTo("Succeeded");
      listed = JSON.readTree(cli.run(args(ns, "notebook", "ls", "-o", "json")).out());
      assertThat(listed.get(0).get("state").asText()).isEqualTo("Culled");

      var refused = cli.run(args(ns, "notebook", "delete", "nbreal"));
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err()).contains("--yes");
      var deleted = cli.run(args(ns, "notebook", "delete", "nbreal", "--yes"));
      assertThat(deleted.exit()).as(deleted.all()).isZero();
      assertThat(ns.client().persistentVolumeClaims().withName("nb-tester-nbreal-workspace").get())
          .isNull();
    }
  }

  @Test
  void renderedObjectsPassTheApiServersValidation(TestNamespace ns) throws Exception {
    Path spec =
        Files.writeString(
            work.resolve("job.yaml"),
            "name: nbdry\nimage: python:3.11-slim\ncommand: [python, t.py]\n"
                + "resources: {gpus: 1}\nsetup: {requirements: req.txt}\n");
    Files.writeString(work.resolve("req.txt"), "numpy\n");
    var r =
        new CliHarness(home)
            .with("KUBECONFIG", TestCluster.get().kubeconfig().toString())
            .run("notebook", "render", spec.toString(), "-n", ns.name(), "--server-dry-run");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("accepts all 4 objects");
    assertThat(r.out()).contains("kind: \"Pod\"").contains("jupyterlab==");
    assertThat(ns.client().pods().list().getItems()).isEmpty();
  }
}

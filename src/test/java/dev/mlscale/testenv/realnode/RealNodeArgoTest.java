package dev.mlscale.testenv.realnode;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import dev.mlscale.testenv.infra.ArgoTestEnv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pipelines on the real Argo controller with Argo's real executor (argoexec, built from the same
 * module) in real containers on the real node: the workshop's hello-steps and diamond examples,
 * unchanged but for where their pods run, and on_oom through podSpecPatch on a real OOM kill.
 */
@RealNodeTest
class RealNodeArgoTest {
  private static final String PLACE_PIPELINE =
      "kubernetes={node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator: Exists}]}";
  @TempDir Path home;
  @TempDir Path work;

  @BeforeAll
  static void node() {
    RealNode.ensureUp();
    ArgoTestEnv.controller();
  }

  private CliHarness cli() {
    return new CliHarness(home).with("KUBECONFIG", TestCluster.get().kubeconfig().toString());
  }

  @Test
  void helloStepsAndTheDiamondRunInRealContainers(TestNamespace ns) {
    RealNode.executorRole(ns.client());
    CliHarness.Result r =
        cli()
            .run(
                "pipeline",
                "run",
                "examples/hello-steps/pipeline.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name(),
                "--set",
                PLACE_PIPELINE);
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("[hello ✔] → [hello-a ✔ | hello-b ✔] → [exit-handler ✔]");
    String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
    CliHarness.Result logs = cli().run("pipeline", "logs", id, "--target", "k8s", "-n", ns.name());
    // the programs' real output, not KWOK's simulated line
    assertThat(logs.out())
        .contains("[hello] step 1 says: hello world")
        .contains("[hello-b] step 2b, in parallel")
        .contains("[exit-handler] pipeline Succeeded")
        .doesNotContain("simulated pod output");
    assertThat(
            ns.client().pods().list().getItems().stream()
                .map(p -> p.getSpec().getNodeName())
                .distinct())
        .containsExactly(RealNode.NAME);

    CliHarness.Result diamond =
        cli()
            .run(
                "pipeline",
                "run",
                "examples/diamond/pipeline.yaml",
                "--target",
                "k8s",
                "-n",
                ns.name(),
                "--set",
                PLACE_PIPELINE);
    assertThat(diamond.exit()).as(diamond.err()).isZero();
    assertThat(diamond.err()).contains("[a ✔] → [b ✔ | c ✔] → [d ✔]");
    String did = diamond.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
    // files passed through the shared workspace claim, read by real programs
    assertThat(cli().run("pipeline", "logs", did, "--target", "k8s", "-n", ns.name()).out())
        .contains("[b] B read: hi from A")
        .contains("[d] D joins B C");
  }

  @Test
  void aRealOomKillIsRetriedWithMoreMemoryThroughPodSpecPatch(TestNamespace ns) throws IOException {
    RealNode.executorRole(ns.client());
    Path file =
        Files.writeString(
            work.resolve("oom.yaml"),
            """
            name: oom
            kubernetes: {node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator: Exists}]}
            dag:
              - name: big
                image: python:3.11-slim
                command: [python3, -c, "b = bytearray(150 * 1024 * 1024); print('held 150 MB')"]
                resources: {memory: 64Mi}
                on_oom: {increase: 2x, max: 1Gi}
              - {name: after, depends: [big], image: python:3.11-slim, command: [python3, -c, "print('after')"]}
            """);
    CliHarness.Result r =
        cli().run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err())
        .contains("● big (try 1) Failed")
        .contains("● big (try 2) Failed")
        .contains("● big (try 3) Succeeded")
        .contains("● after Succeeded");
    String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
    CliHarness.Result status =
        cli().run("pipeline", "status", id, "--target", "k8s", "-n", ns.name());
    assertThat(status.out()).contains("OOMKilled");
    CliHarness.Result logs =
        cli().run("pipeline", "logs", id, "big", "--target", "k8s", "-n", ns.name());
    assertThat(logs.out()).contains("[big (try 3)] held 150 MB");
  }

  @Test
  void aFanOutOfTheDigitsJobBuildsItsSetupOnceAndTrains(TestNamespace ns) throws IOException {
    RealNode.executorRole(ns.client());
    RealNode.createClaim(ns.client(), "model-storage");
    Path digits = CliHarness.repo().resolve("examples/digits/job.yaml");
    Path file =
        Files.writeString(
            work.resolve("fanout.yaml"),
            """
            name: fanout
            kubernetes: {node_pool: real, tolerations: [{key: mlscale.dev/real-node, operator: Exists}]}
            dag:
              - name: train
                job: %s
                params: {epochs: 3}
                for_each:
                  - {activation: relu}
                  - {activation: tanh}
            """
                .formatted(digits));
    try (PackageIndex index =
        PackageIndex.serve(RealNode.HOST, digits.resolveSibling("requirements.txt"))) {
      CliHarness.Result r =
          cli()
              .with("PIP_INDEX_URL", index.url())
              .run("pipeline", "run", file.toString(), "--target", "k8s", "-n", ns.name());
      assertThat(r.exit()).as(r.err()).isZero();
      String id = r.err().replaceAll("(?s).*▶ pipeline (\\S+).*", "$1");
      CliHarness.Result logs =
          cli().run("pipeline", "logs", id, "--target", "k8s", "-n", ns.name());
      assertThat(logs.out()).contains("training on 1347 digits");
      // the two tasks started together: one built the environment, the other waited for it
      long builds =
          ns.client().pods().list().getItems().stream()
              .filter(p -> p.getMetadata().getName().contains("-train-"))
              .map(
                  p ->
                      ns.client()
                          .pods()
                          .withName(p.getMetadata().getName())
                          .inContainer("setup-env")
                          .getLog())
              .filter(l -> l.contains("mlscale setup: building environment"))
              .count();
      assertThat(builds).isEqualTo(1);
      assertThat(index.downloads().stream().filter(f -> f.startsWith("scikit_learn-"))).hasSize(1);
    }
  }

  @Test
  void theWorkshopsMlPipelineRunsEndToEndInRealContainers(TestNamespace ns) throws Exception {
    RealNode.executorRole(ns.client());
    RealNode.createClaim(ns.client(), "model-storage");
    dev.mlscale.testenv.infra.S3TestServer s3 = dev.mlscale.testenv.infra.S3TestServer.get();
    String podEndpoint = "http://" + RealNode.HOST + ":" + s3.endpoint().getPort();
    String bucket = "ml-" + Long.toString(System.nanoTime(), 36);
    CliHarness local =
        cli()
            .with("AWS_ACCESS_KEY_ID", s3.accessKey())
            .with("AWS_SECRET_ACCESS_KEY", s3.secretKey());
    // the data, as the README says (on this machine: prepare.yaml creates the bucket)
    CliHarness.Result prepared =
        local.run(
            "pipeline",
            "run",
            CliHarness.repo().resolve("examples/ml-pipeline/prepare.yaml").toString(),
            "--set",
            "params.endpoint=" + s3.endpoint(),
            "--set",
            "params.bucket=" + bucket,
            "-q");
    assertThat(prepared.exit()).as(prepared.all()).isZero();
    ns.client()
        .secrets()
        .resource(
            new io.fabric8.kubernetes.api.model.SecretBuilder()
                .withNewMetadata()
                .withName("s3-credentials")
                .endMetadata()
                .addToStringData("access-key", s3.accessKey())
                .addToStringData("secret-key", s3.secretKey())
                .build())
        .create();
    Path digits = CliHarness.repo().resolve("examples/digits/job.yaml");
    try (dev.mlscale.pipeline.SlackReceiver slack =
            new dev.mlscale.pipeline.SlackReceiver(work, RealNode.HOST);
        PackageIndex index =
            PackageIndex.serve(RealNode.HOST, digits.resolveSibling("requirements.txt"))) {
      ns.client()
          .secrets()
          .resource(
              new io.fabric8.kubernetes.api.model.SecretBuilder()
                  .withNewMetadata()
                  .withName("slack-webhook")
                  .endMetadata()
                  .addToStringData("url", slack.url())
                  .build())
          .create();
      CliHarness.Result r =
          cli()
              .with("PIP_INDEX_URL", index.url())
              .run(
                  "pipeline",
                  "run",
                  CliHarness.repo().resolve("examples/ml-pipeline/pipeline.yaml").toString(),
                  "--target",
                  "k8s",
                  "-n",
                  ns.name(),
                  "--set",
                  "params.endpoint=" + podEndpoint,
                  "--set",
                  "params.bucket=" + bucket,
                  "--set",
                  "kubernetes={node_pool: real, tolerations: [{key: mlscale.dev/real-node,"
                      + " operator: Exists}], aws_cli_image: "
                      + RealNode.AWS_CLI_IMAGE
                      + "}");
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.err()).contains("[input ✔] → [train ✔] → [best ✔] → [output ✔] → [notify ✔]");
      // the best model went up to S3, and Slack heard about it
      try (software.amazon.awssdk.services.s3.S3Client client =
          software.amazon.awssdk.services.s3.S3Client.builder()
              .endpointOverride(s3.endpoint())
              .region(software.amazon.awssdk.regions.Region.of(s3.region()))
              .forcePathStyle(true)
              .httpClientBuilder(
                  software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
              .credentialsProvider(
                  software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                      software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                          s3.accessKey(), s3.secretKey())))
              .build()) {
        assertThat(client.listObjectsV2(b -> b.bucket(bucket).prefix("models/")).contents())
            .extracting(software.amazon.awssdk.services.s3.model.S3Object::key)
            .contains("models/best/model.pkl");
      }
      assertThat(slack.messages().toString())
          .contains("Training Done! ml-pipeline")
          .containsPattern("best accuracy=0\\.\\d+ \\(train-[012]\\)");
    }
  }
}

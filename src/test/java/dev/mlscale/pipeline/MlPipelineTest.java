package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.infra.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The workshop's ML pipeline end to end on this machine, against a real S3 server (SeaweedFS,
 * started by testenv/s3) and a real HTTP receiver for the Slack message. Tagged cluster because it
 * needs the test parts that testenv builds.
 */
@Tag("cluster")
class MlPipelineTest {
  @TempDir Path home;
  @TempDir Path work;

  @Test
  void dataFromS3TrainsEveryRowUploadsTheModelsAndTellsSlack() throws Exception {
    S3TestServer server = S3TestServer.get();
    CliHarness cli =
        new CliHarness(home)
            .with("AWS_ACCESS_KEY_ID", server.accessKey())
            .with("AWS_SECRET_ACCESS_KEY", server.secretKey());
    // the data, as the README says: prepare.yaml makes digits.csv and uploads it to a new bucket
    String bucket = "ml-" + Long.toString(System.nanoTime(), 36);
    CliHarness.Result prepared =
        cli.run(
            "pipeline",
            "run",
            CliHarness.repo().resolve("examples/ml-pipeline/prepare.yaml").toString(),
            "--set",
            "params.endpoint=" + server.endpoint(),
            "--set",
            "params.bucket=" + bucket,
            "-q");
    assertThat(prepared.exit()).as(prepared.all()).isZero();
    assertThat(prepared.err()).contains("uploaded 1 file(s) to s3://" + bucket + "/");
    try (S3Client s3 =
        S3Client.builder()
            .endpointOverride(server.endpoint())
            .region(Region.of(server.region()))
            .forcePathStyle(true)
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .credentialsProvider(
                StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(server.accessKey(), server.secretKey())))
            .build()) {
      assertThat(s3.listObjectsV2(b -> b.bucket(bucket)).contents())
          .extracting(S3Object::key)
          .containsExactly("digits.csv");

      try (SlackReceiver receiver = new SlackReceiver(work)) {
        cli.with("SLACK_WEBHOOK_URL", receiver.url());
        CliHarness.Result r =
            cli.run(
                "pipeline",
                "run",
                CliHarness.repo().resolve("examples/ml-pipeline/pipeline.yaml").toString(),
                "--set",
                "params.endpoint=" + server.endpoint(),
                "--set",
                "params.bucket=" + bucket,
                "-q");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.err())
            .contains("downloaded 1 file(s) from s3://" + bucket + "/digits.csv")
            .contains("[input ✔] → [train-0 ✔ | train-1 ✔ | train-2 ✔] → [best ✔] → [output ✔]")
            .containsPattern(
                "registered digits-best:1 from train-[012] \\(accuracy=0\\.\\d+, the highest of 3\\)");
      }
      List<S3Object> models = s3.listObjectsV2(b -> b.bucket(bucket).prefix("models/")).contents();
      assertThat(models).extracting(S3Object::key).contains("models/best/model.pkl");
    }
    assertThat(Files.readString(work.resolve("slack.jsonl")))
        .contains("Training Done! ml-pipeline")
        .contains("succeeded")
        .contains("6 tasks: 6 succeeded")
        .containsPattern("best accuracy=0\\.\\d+ \\(train-[012]\\)");
    assertThat(cli.run("models", "ls", "digits").out()).contains("digits:3");
    // the registered best is the most accurate of the three runs
    var all = cli.run("models", "ls", "-o", "json").out();
    var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(all);
    double bestOfRuns = -1;
    double registered = -1;
    for (var m : json) {
      double acc = m.get("metrics").get("accuracy").asDouble();
      if (m.get("name").asText().equals("digits")) {
        bestOfRuns = Math.max(bestOfRuns, acc);
      } else if (m.get("name").asText().equals("digits-best")) {
        registered = acc;
      }
    }
    assertThat(registered).isEqualTo(bestOfRuns).isGreaterThan(0.5);
  }

  @Test
  void aMissingBucketOrWrongKeysFailTheS3TaskWithTheReason() throws Exception {
    S3TestServer server = S3TestServer.get();
    Path p =
        Files.writeString(
            work.resolve("p.yaml"),
            """
            name: fetch
            params: {endpoint: "%s", bucket: no-such-bucket}
            dag:
              - name: input
                s3_download: {endpoint: "${params.endpoint}", bucket: "${params.bucket}", key: x.csv}
              - {name: train, depends: [input], command: [python3, -c, "print('never')"]}
            """
                .formatted(server.endpoint()));
    CliHarness cli =
        new CliHarness(home)
            .with("AWS_ACCESS_KEY_ID", server.accessKey())
            .with("AWS_SECRET_ACCESS_KEY", server.secretKey());
    CliHarness.Result missing = cli.run("pipeline", "run", p.toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err())
        .contains("✘ input failed: bucket 'no-such-bucket' does not exist")
        .contains("⊘ train skipped: not run: input failed");

    CliHarness.Result wrongKeys =
        new CliHarness(home)
            .with("AWS_ACCESS_KEY_ID", server.accessKey())
            .with("AWS_SECRET_ACCESS_KEY", "not-the-secret")
            .run("pipeline", "run", p.toString());
    assertThat(wrongKeys.exit()).isEqualTo(1);
    assertThat(wrongKeys.err())
        .contains("✘ input failed: the S3 keys were refused")
        .contains("check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");

    CliHarness.Result noKeys = new CliHarness(home).run("pipeline", "run", p.toString());
    assertThat(noKeys.err()).contains("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
}

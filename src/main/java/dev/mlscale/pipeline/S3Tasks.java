package dev.mlscale.pipeline;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The built-in S3 tasks on this machine, with the AWS SDK against any S3-compatible endpoint. */
final class S3Tasks {
  private final Clock clock;
  private final Map<String, String> environment;

  S3Tasks(Clock clock, Map<String, String> environment) {
    this.clock = clock;
    this.environment = environment;
  }

  DagExecutor.Result run(String node, S3Transfer t, boolean download, Path workspace) {
    Instant start = clock.instant();
    String bucket = t.bucket();
    String where =
        "s3://"
            + bucket
            + "/"
            + (download && t.key() != null ? t.key() : t.prefix())
            + (t.endpoint() == null ? "" : " at " + t.endpoint());
    String access = environment.get("AWS_ACCESS_KEY_ID");
    String secret = environment.get("AWS_SECRET_ACCESS_KEY");
    if (access == null || secret == null) {
      return result(
          node, false, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for " + where, start);
    }
    var builder =
        S3Client.builder()
            .region(Region.of(t.region()))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret)))
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .forcePathStyle(true);
    if (t.endpoint() != null) {
      builder.endpointOverride(URI.create(t.endpoint()));
    }
    try (S3Client s3 = builder.build()) {
      int files = download ? download(s3, t, bucket, workspace) : upload(s3, t, bucket, workspace);
      return result(
          node,
          true,
          (download ? "downloaded " : "uploaded ")
              + files
              + " file(s) "
              + (download ? "from " : "to ")
              + where,
          start);
    } catch (NoSuchBucketException e) {
      return result(node, false, "bucket '" + bucket + "' does not exist (" + where + ")", start);
    } catch (NoSuchKeyException e) {
      return result(node, false, "no object " + where, start);
    } catch (S3Exception e) {
      String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
      return result(
          node,
          false,
          (e.statusCode() == 403
                  ? "the S3 keys were refused ("
                      + code
                      + "); check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                  : "S3 said " + code + ": " + e.getMessage())
              + " ("
              + where
              + ")",
          start);
    } catch (SdkClientException | IOException e) {
      return result(node, false, "cannot reach " + where + ": " + e.getMessage(), start);
    }
  }

  private static int download(S3Client s3, S3Transfer t, String bucket, Path workspace)
      throws IOException {
    if (t.key() != null) {
      String key = t.key();
      Path target =
          workspace
              .resolve(t.to() == null ? Path.of(key).getFileName().toString() : t.to())
              .normalize();
      Files.createDirectories(target.getParent());
      Files.deleteIfExists(target);
      s3.getObject(GetObjectRequest.builder().bucket(bucket).key(key).build(), target);
      return 1;
    }
    String prefix = t.prefix();
    Path dir = workspace.resolve(t.to() == null ? "." : t.to()).normalize();
    int n = 0;
    for (S3Object o :
        s3.listObjectsV2Paginator(
                ListObjectsV2Request.builder().bucket(bucket).prefix(prefix).build())
            .contents()) {
      Path target =
          dir.resolve(o.key().substring(prefix.length()).replaceFirst("^/", "")).normalize();
      Files.createDirectories(target.getParent());
      Files.deleteIfExists(target);
      s3.getObject(GetObjectRequest.builder().bucket(bucket).key(o.key()).build(), target);
      n++;
    }
    return n;
  }

  /** Makes the bucket unless it exists (another task may make it at the same moment). */
  private static void createIfMissing(S3Client s3, S3Transfer t, String bucket) {
    try {
      s3.headBucket(b -> b.bucket(bucket));
      return;
    } catch (S3Exception e) {
      if (e.statusCode() != 404) {
        throw e;
      }
    }
    try {
      s3.createBucket(
          b -> {
            b.bucket(bucket);
            if (!t.region().equals("us-east-1")) {
              b.createBucketConfiguration(c -> c.locationConstraint(t.region()));
            }
          });
    } catch (software.amazon.awssdk.services.s3.model.BucketAlreadyOwnedByYouException e) {
      // made meanwhile by another task of ours
    }
  }

  private static int upload(S3Client s3, S3Transfer t, String bucket, Path workspace)
      throws IOException {
    Path from = workspace.resolve(t.from() == null ? "." : t.from()).normalize();
    if (!Files.exists(from)) {
      throw new IOException(from + " does not exist in the workspace");
    }
    String prefix = t.prefix();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(from)) {
      files = walk.filter(Files::isRegularFile).sorted().toList();
    }
    if (t.createBucket()) {
      createIfMissing(s3, t, bucket);
    }
    Path base = Files.isDirectory(from) ? from : from.getParent();
    for (Path f : files) {
      String key =
          (prefix.isEmpty() || prefix.endsWith("/") ? prefix : prefix + "/")
              + base.relativize(f).toString().replace('\\', '/');
      s3.putObject(
          PutObjectRequest.builder().bucket(bucket).key(key).build(), RequestBody.fromFile(f));
    }
    return files.size();
  }

  private DagExecutor.Result result(String node, boolean ok, String message, Instant start) {
    return DagExecutor.Result.of(node, ok, message, start, clock.instant());
  }
}

package dev.mlscale.pipeline;

import dev.mlscale.spec.SpecFieldException;

/**
 * A built-in S3 task: {@code s3_download} copies {@code key} (one object) or everything under
 * {@code prefix} from the bucket into {@code to} in the run's workspace; {@code s3_upload} copies
 * {@code from} (a file or directory of the workspace) to {@code prefix} in the bucket. Keys come
 * from {@code AWS_ACCESS_KEY_ID}/{@code AWS_SECRET_ACCESS_KEY} locally and from the Secret {@code
 * credentials_secret} (keys access-key, secret-key; default s3-credentials) on the cluster. An
 * upload with {@code create_bucket: true} makes the bucket first if it does not exist (on this
 * machine; on the cluster the bucket must exist).
 */
public record S3Transfer(
    String endpoint,
    String region,
    String bucket,
    String key,
    String prefix,
    String to,
    String from,
    String credentialsSecret,
    Boolean createBucket) {
  public S3Transfer {
    if (bucket == null) {
      throw new SpecFieldException("bucket", "name the S3 bucket, e.g. bucket: my-data");
    }
    if (bucket.startsWith("s3://")) {
      throw new SpecFieldException(
          "bucket",
          "bucket '"
              + bucket
              + "' is a URL; write the bucket's name and the path apart, e.g. bucket: data and"
              + " prefix: train");
    }
    if (endpoint != null && !endpoint.contains("${") && !isHttpUrl(endpoint)) {
      throw new SpecFieldException(
          "endpoint",
          "endpoint '"
              + endpoint
              + "' must be an http:// or https:// URL of the S3 service, e.g. endpoint:"
              + " http://minio:9000");
    }
    region = region == null ? "us-east-1" : region;
    prefix = prefix == null ? "" : prefix;
    credentialsSecret = credentialsSecret == null ? "s3-credentials" : credentialsSecret;
    createBucket = createBucket != null && createBucket;
  }

  private static boolean isHttpUrl(String text) {
    try {
      java.net.URI uri = new java.net.URI(text);
      return ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /** This transfer with every field passed through {@code f} (e.g. parameter substitution). */
  public S3Transfer map(java.util.function.BiFunction<String, String, String> f) {
    return new S3Transfer(
        f.apply("endpoint", endpoint),
        f.apply("region", region),
        f.apply("bucket", bucket),
        f.apply("key", key),
        f.apply("prefix", prefix),
        f.apply("to", to),
        f.apply("from", from),
        f.apply("credentials_secret", credentialsSecret),
        createBucket);
  }
}

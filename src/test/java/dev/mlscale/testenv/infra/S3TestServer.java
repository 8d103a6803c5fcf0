package dev.mlscale.testenv.infra;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * The test S3 server (SeaweedFS built from its Go module, testenv/s3/): {@link #get()} runs {@code
 * testenv/s3/up.sh} once per JVM (builds {@code weed} when not cached, about 9 minutes cold; starts
 * or reuses the server, about 3 s / 0.2 s) and reads {@code ~/.cache/mlscale/testenv/s3.env}.
 * Path-style addressing, region {@code us-east-1}; buckets are not created for you.
 */
public record S3TestServer(URI endpoint, String accessKey, String secretKey, String region) {

  private static final Duration START_TIMEOUT = Duration.ofMinutes(30);
  private static S3TestServer instance;

  /** Starts (or reuses) the server and returns its endpoint and keys. */
  public static synchronized S3TestServer get() {
    if (instance == null) {
      Scripts.run("s3/up.sh", "s3-up.log", START_TIMEOUT);
      String file = System.getenv("MLSCALE_S3_ENV_FILE");
      Map<String, String> env =
          Scripts.readEnv(
              file != null && !file.isBlank()
                  ? java.nio.file.Path.of(file)
                  : Scripts.testenvHome().resolve("s3.env"));
      instance =
          new S3TestServer(
              URI.create(env.get("MLSCALE_TEST_S3_ENDPOINT")),
              env.get("MLSCALE_TEST_S3_ACCESS_KEY"),
              env.get("MLSCALE_TEST_S3_SECRET_KEY"),
              env.getOrDefault("MLSCALE_TEST_S3_REGION", "us-east-1"));
    }
    return instance;
  }
}

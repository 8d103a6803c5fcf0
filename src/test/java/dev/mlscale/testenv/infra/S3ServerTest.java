package dev.mlscale.testenv.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The test S3 server answers on loopback and refuses unsigned requests. (Signed requests are
 * checked end to end with boto3 by testenv/s3/check.py; Java tests use the AWS SDK with {@link
 * S3TestServer}'s endpoint and keys.)
 */
@Tag("cluster")
class S3ServerTest {

  @Test
  void answersOnLoopbackAndRefusesAnonymousRequests() throws Exception {
    S3TestServer s3 = S3TestServer.get();
    assertThat(s3.endpoint().getHost()).isEqualTo("127.0.0.1");
    assertThat(s3.accessKey()).isNotBlank();
    assertThat(s3.secretKey()).isNotBlank();

    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(s3.endpoint().resolve("/")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(403);
    assertThat(response.body()).contains("<Code>AccessDenied</Code>");
  }
}

package dev.mlscale.notebook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Talks to a Jupyter server as JupyterLab in a browser does: the REST API with the token, and a
 * kernel's channels over its websocket (Jupyter's messaging protocol, JSON messages).
 */
public final class JupyterClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final URI base;
  private final String token;

  /** From the URL mlscale prints: {@code http://127.0.0.1:PORT/lab?token=T}. */
  public JupyterClient(String url) {
    URI u = URI.create(url);
    this.base = URI.create(u.getScheme() + "://" + u.getAuthority() + "/");
    this.token = u.getQuery().substring("token=".length());
  }

  private static final java.util.regex.Pattern URL =
      java.util.regex.Pattern.compile("is ready: (http://127\\.0\\.0\\.1:\\d+/lab\\?token=\\w+)");

  /** Waits until mlscale, writing to {@code terminal}, prints the notebook's URL; returns it. */
  public static String awaitUrl(java.nio.file.Path terminal, Process p, Duration atMost) {
    String[] url = {null};
    org.awaitility.Awaitility.await("the notebook's URL in mlscale's output")
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              if (!p.isAlive()) {
                throw new AssertionError(
                    "mlscale ended early:\n" + java.nio.file.Files.readString(terminal));
              }
              java.util.regex.Matcher m = URL.matcher(java.nio.file.Files.readString(terminal));
              url[0] = m.find() ? m.group(1) : null;
              return url[0] != null;
            });
    return url[0];
  }

  public String token() {
    return token;
  }

  public URI base() {
    return base;
  }

  /** GET a path; with or without the token; returns the status code and body. */
  public HttpResponse<String> get(String path, boolean withToken) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(30));
    if (withToken) {
      b.header("Authorization", "token " + token);
    }
    return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Starts a kernel (POST /api/kernels); returns its id. */
  public String startKernel() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(base.resolve("api/kernels"))
                .header("Authorization", "token " + token)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"python3\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 201) {
      throw new AssertionError("POST /api/kernels: " + r.statusCode() + " " + r.body());
    }
    return JSON.readTree(r.body()).get("id").asText();
  }

  /** What a cell printed and how it ended. */
  public record CellResult(String status, String stdout, String error) {}

  /**
   * Runs {@code code} in the kernel over its websocket: sends an execute_request on the shell
   * channel, collects the iopub stream output until the execute_reply.
   */
  public CellResult execute(String kernelId, String code, Duration timeout) throws Exception {
    BlockingQueue<JsonNode> messages = new LinkedBlockingQueue<>();
    StringBuilder partial = new StringBuilder();
    URI ws =
        URI.create(
            "ws://"
                + base.getAuthority()
                + "/api/kernels/"
                + kernelId
                + "/channels?token="
                + token);
    WebSocket socket =
        http.newWebSocketBuilder()
            .buildAsync(
                ws,
                new WebSocket.Listener() {
                  @Override
                  public CompletionStage<?> onText(WebSocket s, CharSequence data, boolean last) {
                    partial.append(data);
                    if (last) {
                      try {
                        messages.add(JSON.readTree(partial.toString()));
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                      partial.setLength(0);
                    }
                    s.request(1);
                    return null;
                  }
                })
            .get(30, TimeUnit.SECONDS);
    String msgId = UUID.randomUUID().toString();
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("msg_id", msgId);
    header.put("username", "test");
    header.put("session", UUID.randomUUID().toString());
    header.put("msg_type", "execute_request");
    header.put("version", "5.3");
    header.put("date", Instant.now().toString());
    Map<String, Object> content = new LinkedHashMap<>();
    content.put("code", code);
    content.put("silent", false);
    content.put("store_history", true);
    content.put("user_expressions", Map.of());
    content.put("allow_stdin", false);
    content.put("stop_on_error", true);
    Map<String, Object> msg = new LinkedHashMap<>();
    msg.put("header", header);
    msg.put("parent_header", Map.of());
    msg.put("metadata", Map.of());
    msg.put("content", content);
    msg.put("channel", "shell");
    socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
    StringBuilder out = new StringBuilder();
    StringBuilder error = new StringBuilder();
    long deadline = System.nanoTime() + timeout.toNanos();
    String status = null;
    boolean idle = false;
    try {
      while (true) {
        JsonNode m = messages.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        if (m == null) {
          throw new AssertionError(
              "no execute_reply within " + timeout + "; output so far: " + out + error);
        }
        if (!msgId.equals(m.path("parent_header").path("msg_id").asText())) {
          continue;
        }
        String type = m.path("header").path("msg_type").asText();
        if (type.equals("stream")) {
          out.append(m.path("content").path("text").asText());
        } else if (type.equals("error")) {
          error
              .append(m.path("content").path("ename").asText())
              .append(": ")
              .append(m.path("content").path("evalue").asText());
        } else if (type.equals("execute_reply")) {
          status = m.path("content").path("status").asText();
        } else if (type.equals("status")) {
          // iopub's "idle" for this request comes after all its output
          idle |= m.path("content").path("execution_state").asText().equals("idle");
        }
        if (status != null && idle) {
          return new CellResult(status, out.toString(), error.toString());
        }
      }
    } finally {
      socket.sendClose(WebSocket.NORMAL_CLOSURE, "done");
    }
  }
}

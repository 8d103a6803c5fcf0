package dev.mlscale.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A real HTTP server on loopback that receives Slack incoming-webhook posts: the process
 * src/test/resources/pipeline/slack_receiver.py (200 on /hook, 500 on /fail).
 */
public final class SlackReceiver implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final Path messages;
  private final String url;

  SlackReceiver(Path dir) throws IOException {
    this(dir, "127.0.0.1");
  }

  /**
   * A receiver listening on {@code host} (the real node's pods reach this machine at 10.244.0.1).
   */
  public SlackReceiver(Path dir, String host) throws IOException {
    messages = dir.resolve("slack.jsonl");
    process =
        new ProcessBuilder(
                "python3",
                CliHarness.repo()
                    .resolve("src/test/resources/pipeline/slack_receiver.py")
                    .toString(),
                messages.toString(),
                host)
            .start();
    String port =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
            .readLine();
    url = "http://" + host + ":" + port + "/hook";
  }

  /** The webhook URL that answers 200. */
  public String url() {
    return url;
  }

  /** The posted bodies, in order. */
  public List<JsonNode> messages() {
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(messages)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(messages)) {
        out.add(JSON.readTree(line));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public void close() {
    process.destroy();
  }
}

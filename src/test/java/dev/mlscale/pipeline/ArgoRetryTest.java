package dev.mlscale.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlscale.error.UserError;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code pipeline retry --target k8s} does what {@code argo retry} does. The goldens ({@code
 * *.argo.json}) are what Argo Workflows v3.7.18's own {@code FormulateRetryWorkflow} made of the
 * same Workflows, summed up by {@link #summary}.
 */
class ArgoRetryTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path DIR =
      dev.mlscale.cli.CliHarness.repo().resolve("src/test/resources/pipeline/argo-retry");
  private static final Instant NOW = Instant.parse("2026-12-01T08:00:00Z");

  private static JsonNode read(String name) throws Exception {
    return JSON.readTree(Files.readString(DIR.resolve(name)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"failed", "stopped"})
  void retryDoesWhatArgoRetryDoes(String fixture) throws Exception {
    JsonNode before = read(fixture + ".json");
    ArgoRetry.Retried r = ArgoRetry.formulate(before, NOW);
    assertThat(summary(r.workflow(), r.pods())).isEqualTo(read(fixture + ".argo.json"));
    assertThat(before).as("the input is not changed").isEqualTo(read(fixture + ".json"));
  }

  @Test
  void theFailedPodsGoTheSucceededStayAndTheWorkflowRunsAgain() throws Exception {
    ArgoRetry.Retried r = ArgoRetry.formulate(read("failed.json"), NOW);
    JsonNode wf = r.workflow();
    JsonNode nodes = wf.get("status").get("nodes");
    List<String> left = new ArrayList<>();
    nodes.forEach(n -> left.add(n.get("displayName").asText() + "=" + n.get("phase").asText()));
    // b's two tries, train's failed item and the omitted d go (and run again); the exit handler too
    assertThat(left)
        .containsExactlyInAnyOrder(
            "flaky-abcde=Running",
            "a=Succeeded",
            "b=Running",
            "train=Running",
            "train(0:x=1)=Succeeded",
            "c=Succeeded");
    assertThat(r.pods()).hasSize(4).allMatch(p -> p.startsWith("flaky-abcde-"));
    assertThat(wf.get("status").get("phase").asText()).isEqualTo("Running");
    assertThat(wf.get("metadata").get("labels").has("workflows.argoproj.io/completed")).isFalse();
    assertThat(wf.get("metadata").get("resourceVersion").asText())
        .as("written back as an update of what was read")
        .isEqualTo("12345");
  }

  @Test
  void aWorkflowThatDidNotFailIsRefused() throws Exception {
    ObjectNode running = read("failed.json").deepCopy();
    ((ObjectNode) running.get("status")).put("phase", "Running");
    assertThatThrownBy(() -> ArgoRetry.formulate(running, NOW))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("pipeline run flaky-abcde is Running; retry runs a Failed");
  }

  /** What a retry decides, without what Go and Jackson write differently (empty fields). */
  static JsonNode summary(JsonNode wf, List<String> pods) {
    ObjectNode s = JSON.createObjectNode();
    pods.stream().sorted().forEach(s.putArray("pods")::add);
    JsonNode status = wf.get("status");
    s.put("phase", status.path("phase").asText());
    s.put("message", status.path("message").asText(""));
    s.put("startedAt", stamp(status.path("startedAt")));
    s.put("finishedAt", status.path("finishedAt").asText(""));
    s.put("claims", status.path("persistentVolumeClaims").size());
    s.set("conditions", status.path("conditions"));
    s.set("labels", wf.get("metadata").get("labels"));
    s.put("shutdown", wf.get("spec").path("shutdown").asText(""));
    ObjectNode nodes = s.putObject("nodes");
    List<String> ids = new ArrayList<>();
    status.get("nodes").fieldNames().forEachRemaining(ids::add);
    ids.stream()
        .sorted()
        .forEach(
            id -> {
              JsonNode n = status.get("nodes").get(id);
              ObjectNode o = nodes.putObject(id);
              o.put("phase", n.path("phase").asText());
              o.put("message", n.path("message").asText(""));
              o.put("startedAt", stamp(n.path("startedAt")));
              o.put("finishedAt", n.path("finishedAt").asText(""));
              o.set(
                  "children",
                  n.path("children").isMissingNode() ? JSON.createArrayNode() : n.get("children"));
              o.set(
                  "outboundNodes",
                  n.path("outboundNodes").isMissingNode()
                      ? JSON.createArrayNode()
                      : n.get("outboundNodes"));
            });
    return s;
  }

  /** A time the retry set (now: not the fixture's 10:0x) reads NOW: Go's run had another now. */
  private static String stamp(JsonNode t) {
    String v = t.asText("");
    return v.startsWith("2026-11-30T10:") || v.isEmpty() ? v : "NOW";
  }
}

package dev.mlscale.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mlscale.error.UserError;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code argo retry} does to a Failed Workflow, as a pure function: a port of Argo Workflows
 * v3.7's {@code FormulateRetryWorkflow} ({@code workflow/util/util.go}) without its
 * restart-successful and parameter options. The failed pods' nodes are deleted from the status (the
 * controller schedules them again), the nodes above them (their retry node, task group, DAG) are
 * reset to Running, the exit handler's nodes go, and the Workflow is Running again; what succeeded
 * stays. The caller deletes {@link Retried#pods()} and then writes {@link Retried#workflow()} back
 * (an update, so that a Workflow changed in between is not overwritten).
 */
public final class ArgoRetry {
  private static final String LABEL_COMPLETED = "workflows.argoproj.io/completed";
  private static final String LABEL_ARCHIVING = "workflows.argoproj.io/workflow-archiving-status";
  private static final String LABEL_PHASE = "workflows.argoproj.io/phase";
  private static final String POD_NAME_FORMAT = "workflows.argoproj.io/pod-name-format";
  private static final int MAX_PREFIX = 253 - 10;

  private ArgoRetry() {}

  /**
   * @param workflow the Workflow to retry, patched
   * @param pods the pods to delete first (those of the reset nodes and of the exit handler)
   * @param nodes how many nodes were deleted or reset
   */
  public record Retried(ObjectNode workflow, List<String> pods, int nodes) {}

  /** One node with the parent Argo's retry walks up to (one of them where there are several). */
  private record Node(String id, JsonNode n) {
    String type() {
      return n.path("type").asText();
    }

    String phase() {
      return n.path("phase").asText();
    }

    String name() {
      return n.path("name").asText();
    }

    List<String> children() {
      List<String> c = new ArrayList<>();
      n.path("children").forEach(x -> c.add(x.asText()));
      return c;
    }

    boolean failedOrError() {
      return phase().equals("Failed") || phase().equals("Error");
    }
  }

  /** The retried Workflow; {@code now} is when its nodes and it start again. */
  public static Retried formulate(JsonNode workflow, Instant now) {
    String name = workflow.path("metadata").path("name").asText();
    String phase = workflow.path("status").path("phase").asText();
    if (!phase.equals("Failed") && !phase.equals("Error")) {
      throw new UserError(
          "pipeline run "
              + name
              + " is "
              + (phase.isEmpty() ? "Pending" : phase)
              + "; retry runs a Failed (or cancelled) Workflow again");
    }
    JsonNode status = workflow.path("status");
    if (status.has("offloadNodeStatusVersion") || status.has("compressedNodes")) {
      // the nodes are not in the object: Argo's server reads them from its database first
      throw new UserError(
          "Workflow "
              + name
              + " keeps its node status "
              + (status.has("compressedNodes") ? "compressed" : "in Argo's database")
              + ", which mlscale does not read; retry it with 'argo retry "
              + name
              + "'");
    }
    String at = now.truncatedTo(ChronoUnit.SECONDS).toString();
    Map<String, Node> all = new TreeMap<>(); // Argo walks them sorted by id
    workflow
        .path("status")
        .path("nodes")
        .fields()
        .forEachRemaining(e -> all.put(e.getKey(), new Node(e.getKey(), e.getValue())));
    ObjectNode newWf = restarted(workflow, at);
    ObjectNode newNodes = (ObjectNode) newWf.with("status").putObject("nodes");

    // the failed pods whose tries did not end in a success
    Set<String> failed = new LinkedHashSet<>();
    for (Node node : all.values()) {
      if (node.failedOrError() && isExecution(node.type())) {
        Node top = node;
        if (node.n.path("nodeFlag").path("retried").asBoolean(false)) {
          top =
              all.values().stream()
                  .filter(r -> r.type().equals("Retry") && r.children().contains(node.id()))
                  .findFirst()
                  .orElse(node);
        }
        if (!descendantSucceeded(all, top)) {
          failed.add(node.id());
        }
      }
    }

    Map<String, String> parent = new LinkedHashMap<>();
    for (Node node : all.values()) {
      for (String child : node.children()) {
        parent.put(child, node.id());
      }
    }
    for (Node node : all.values()) {
      if (!parent.containsKey(node.id())
          && !node.name().equals(name)
          && !node.name().startsWith(name + ".onExit")) {
        throw new UserError(
            "Workflow "
                + name
                + ": node "
                + node.id()
                + " has no parent; argo retry refuses it too");
      }
    }
    List<Node> sorted = sortedFromRoot(all, name);
    Set<String> toReset = new LinkedHashSet<>();
    Set<String> toDelete = new LinkedHashSet<>();
    for (Node node : sorted) {
      if (failed.contains(node.id()) && !toDelete.contains(node.id())) {
        resetPath(all, parent, node.id(), toReset, toDelete);
      }
    }
    for (String id : toReset) {
      if (!toDelete.contains(id)) {
        newNodes.set(id, reset(all.get(id).n, at));
      }
    }
    Set<String> pods = new LinkedHashSet<>();
    for (String id : toDelete) {
      if (all.get(id).type().equals("Pod")) {
        pods.add(podName(workflow, all.get(id)));
      }
    }
    String onExit = name + ".onExit";
    for (Node node : all.values()) {
      boolean delete = toDelete.contains(node.id()) || node.name().startsWith(onExit);
      if (!newNodes.has(node.id()) && !delete) {
        newNodes.set(node.id(), node.n.deepCopy());
      }
      if (node.name().equals(onExit)) {
        Deque<Node> queue = new ArrayDeque<>(List.of(node));
        while (!queue.isEmpty()) {
          Node n = queue.poll();
          pods.add(podName(workflow, n));
          n.children().forEach(c -> queue.add(all.get(c)));
        }
      }
    }
    for (Node node : all.values()) {
      if (newNodes.has(node.id())) {
        ObjectNode kept = (ObjectNode) newNodes.get(node.id());
        prune(kept, "children", toDelete);
        prune(kept, "outboundNodes", toDelete);
      }
    }
    int changed =
        toDelete.size() + (int) toReset.stream().filter(id -> !toDelete.contains(id)).count();
    return new Retried(newWf, List.copyOf(pods), changed);
  }

  /** Argo's createNewRetryWorkflow: the Workflow as it starts again, with no nodes yet. */
  private static ObjectNode restarted(JsonNode workflow, String at) {
    ObjectNode wf = workflow.deepCopy();
    ObjectNode labels = wf.with("metadata").with("labels");
    labels.remove(LABEL_COMPLETED);
    labels.remove(LABEL_ARCHIVING);
    labels.put(LABEL_PHASE, "Running");
    ObjectNode status = wf.with("status");
    ArrayNode conditions = status.withArray("conditions");
    boolean found = false;
    for (JsonNode c : conditions) {
      if (c.path("type").asText().equals("Completed")) {
        ((ObjectNode) c).put("status", "False");
        found = true;
      }
    }
    if (!found) {
      conditions.addObject().put("type", "Completed").put("status", "False");
    }
    status.put("phase", "Running");
    status.remove("message");
    status.put("startedAt", at);
    status.putNull("finishedAt");
    if (status.has("storedWorkflowTemplateSpec")) {
      ((ObjectNode) status.get("storedWorkflowTemplateSpec")).remove("shutdown");
    }
    status.remove("persistentVolumeClaims");
    ObjectNode spec = wf.with("spec");
    spec.remove("shutdown");
    if (spec.path("activeDeadlineSeconds").isNumber()
        && spec.get("activeDeadlineSeconds").asLong() == 0) {
      spec.remove("activeDeadlineSeconds"); // a terminated Workflow's deadline
    }
    return wf;
  }

  private static ObjectNode reset(JsonNode node, String at) {
    ObjectNode n = node.deepCopy();
    if (!n.path("phase").asText().equals("Skipped")) {
      n.put("phase", "Running"); // a skipped node stays skipped, or the Workflow never ends
    }
    n.remove("message");
    n.put("startedAt", at);
    n.putNull("finishedAt");
    return n;
  }

  private static void prune(ObjectNode node, String field, Set<String> gone) {
    if (node.get(field) instanceof ArrayNode old) {
      ArrayNode left = node.arrayNode();
      old.forEach(
          x -> {
            if (!gone.contains(x.asText())) {
              left.add(x);
            }
          });
      node.set(field, left);
    }
  }

  private static boolean isExecution(String type) {
    return List.of("Container", "Pod", "HTTP", "Plugin").contains(type);
  }

  private static boolean isGroup(String type) {
    return List.of("DAG", "TaskGroup", "StepGroup", "Steps").contains(type);
  }

  private static boolean descendantSucceeded(Map<String, Node> all, Node node) {
    for (String c : node.children()) {
      Node child = all.get(c);
      if (child.phase().equals("Succeeded") || descendantSucceeded(all, child)) {
        return true;
      }
    }
    return false;
  }

  /** The nodes reachable from the root (the node named as the Workflow), breadth first. */
  private static List<Node> sortedFromRoot(Map<String, Node> all, String name) {
    Node root =
        all.values().stream()
            .filter(n -> n.name().equals(name))
            .findFirst()
            .orElseThrow(() -> new UserError("Workflow " + name + " has no root node to retry"));
    List<Node> out = new ArrayList<>();
    Set<String> visited = new LinkedHashSet<>(List.of(root.id()));
    Deque<Node> queue = new ArrayDeque<>(List.of(root));
    while (!queue.isEmpty()) {
      Node n = queue.poll();
      out.add(n);
      for (String c : n.children()) {
        if (visited.add(c)) {
          queue.add(all.get(c));
        }
      }
    }
    return out;
  }

  /** Argo's resetPath: delete the node and all below it; reset the groups and retries above. */
  private static void resetPath(
      Map<String, Node> all,
      Map<String, String> parent,
      String start,
      Set<String> toReset,
      Set<String> toDelete) {
    toDelete.add(start);
    toDelete.addAll(below(all, start));
    String curr = start;
    while (curr != null) {
      Node n = all.get(curr);
      if (isGroup(n.type())) {
        toReset.add(curr);
        curr = resetBoundaries(all, parent, curr, toReset);
        continue;
      }
      if (n.type().equals("Retry") && n.failedOrError()) {
        toReset.add(curr);
      } else if (n.type().equals("Container")) {
        // a container of a container set: its pod goes with everything in it
        String pod = curr;
        while (pod != null && !all.get(pod).type().equals("Pod")) {
          pod = parent.get(pod);
        }
        if (pod == null) {
          throw new UserError("Workflow node " + curr + " is a container without a pod");
        }
        toDelete.add(pod);
        toDelete.addAll(below(all, pod));
        curr = pod;
      }
      curr = parent.get(curr);
    }
  }

  /** Argo's resetBoundaries: up to the node's boundary, resetting retries and groups on the way. */
  private static String resetBoundaries(
      Map<String, Node> all, Map<String, String> parent, String start, Set<String> toReset) {
    String curr = start;
    while (curr != null) {
      String up = parent.get(curr);
      if (up != null && all.get(up).type().equals("Retry")) {
        toReset.add(up);
        curr = up;
        up = parent.get(curr);
      }
      if (up != null
          && (all.get(up).type().equals("StepGroup") || all.get(up).type().equals("TaskGroup"))) {
        toReset.add(up);
      }
      String boundary = all.get(curr).n.path("boundaryID").asText("");
      if (boundary.isEmpty()) {
        return parent.get(curr);
      }
      while (curr != null && !curr.equals(boundary)) {
        curr = parent.get(curr);
      }
      if (curr == null) {
        throw new UserError(
            "Workflow node " + start + ": its boundary " + boundary + " is not above it");
      }
      toReset.add(curr);
    }
    return null;
  }

  private static Set<String> below(Map<String, Node> all, String id) {
    Set<String> out = new LinkedHashSet<>();
    Deque<String> queue = new ArrayDeque<>(all.get(id).children());
    while (!queue.isEmpty()) {
      String c = queue.poll();
      if (out.add(c)) {
        queue.addAll(all.get(c).children());
      }
    }
    return out;
  }

  /** The name Argo gives a node's pod (pod-name-format v2 unless the Workflow says v1). */
  static String podName(JsonNode workflow, Node node) {
    String wf = workflow.path("metadata").path("name").asText();
    if ("v1".equals(workflow.path("metadata").path("annotations").path(POD_NAME_FORMAT).asText())) {
      return node.id();
    }
    if (wf.equals(node.name())) {
      return wf;
    }
    String template =
        node.n.path("templateRef").has("template")
            ? node.n.path("templateRef").path("template").asText()
            : node.n.path("templateName").asText("");
    String prefix = template.isEmpty() ? wf : wf + "-" + template;
    if (prefix.length() > MAX_PREFIX - 1) {
      prefix = prefix.substring(0, MAX_PREFIX - 1);
    }
    return prefix + "-" + Integer.toUnsignedString(fnv1a32(node.name()));
  }

  private static int fnv1a32(String s) {
    int h = 0x811c9dc5;
    for (byte b : s.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x01000193;
    }
    return h;
  }
}

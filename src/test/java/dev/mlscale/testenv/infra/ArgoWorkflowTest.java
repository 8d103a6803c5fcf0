package dev.mlscale.testenv.infra;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Argo Workflows on the test cluster: CRD schema validation by server-side dry run, and the real
 * workflow-controller running the examples of testenv/argo/examples over KWOK pods.
 */
@ClusterTest
class ArgoWorkflowTest {

  @Test
  void schemaAcceptsValidAndRejectsInvalidWorkflows(KubernetesClient client, TestNamespace ns) {
    ArgoTestEnv.crds();
    for (String valid : List.of("hello-steps.yaml", "diamond.yaml", "outputs.yaml")) {
      GenericKubernetesResource created =
          workflows(client, ns).resource(load(client, valid)).dryRun().create();
      assertThat(created.getMetadata().getName()).startsWith(valid.replace(".yaml", "-"));
    }
    assertThat(workflows(client, ns).list().getItems()).isEmpty(); // dry run stored nothing

    assertThatThrownBy(
            () ->
                workflows(client, ns).resource(load(client, "invalid-type.yaml")).dryRun().create())
        .isInstanceOfSatisfying(
            KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(422))
        .hasMessageContaining("spec.parallelism in body must be of type integer")
        .hasMessageContaining("dependencies in body must be of type array");
    assertThatThrownBy(
            () ->
                workflows(client, ns)
                    .resource(load(client, "invalid-missing.yaml"))
                    .dryRun()
                    .create())
        .hasMessageContaining("spec.templates[0].dag.tasks[0].name: Required value");
  }

  @Test
  void diamondRunsInOrderOverSimulatedPods(KubernetesClient client, TestNamespace ns) {
    ArgoTestEnv.controller();
    GenericKubernetesResource wf =
        workflows(client, ns).resource(load(client, "diamond.yaml")).create();
    GenericKubernetesResource done = waitUntilFinished(client, ns, wf.getMetadata().getName());

    assertThat(phase(done)).isEqualTo("Succeeded");
    Map<String, Map<String, Object>> pods = podNodes(done);
    assertThat(pods.keySet()).containsExactlyInAnyOrder("A", "B", "C", "D");
    assertThat(pods.values()).allSatisfy(n -> assertThat(n.get("phase")).isEqualTo("Succeeded"));
    // B and C start after A finished; D after both B and C finished.
    assertThat(time(pods.get("B"), "startedAt"))
        .isAfterOrEqualTo(time(pods.get("A"), "finishedAt"));
    assertThat(time(pods.get("C"), "startedAt"))
        .isAfterOrEqualTo(time(pods.get("A"), "finishedAt"));
    assertThat(time(pods.get("D"), "startedAt"))
        .isAfterOrEqualTo(time(pods.get("B"), "finishedAt"))
        .isAfterOrEqualTo(time(pods.get("C"), "finishedAt"));
  }

  @Test
  void stepsWithParallelGroupAndExitHandler(KubernetesClient client, TestNamespace ns) {
    ArgoTestEnv.controller();
    GenericKubernetesResource wf =
        workflows(client, ns).resource(load(client, "hello-steps.yaml")).create();
    GenericKubernetesResource done = waitUntilFinished(client, ns, wf.getMetadata().getName());

    assertThat(phase(done)).isEqualTo("Succeeded");
    Map<String, Map<String, Object>> pods = podNodes(done);
    assertThat(pods.keySet())
        .containsExactlyInAnyOrder(
            "hello", "left", "right", wf.getMetadata().getName() + ".onExit");
    assertThat(time(pods.get("left"), "startedAt"))
        .isAfterOrEqualTo(time(pods.get("hello"), "finishedAt"));
  }

  @Test
  void outputsArePassedOnThroughTheSimulatedExecutor(KubernetesClient client, TestNamespace ns) {
    ArgoTestEnv.controller();
    GenericKubernetesResource wf =
        workflows(client, ns).resource(load(client, "outputs.yaml")).create();
    GenericKubernetesResource done = waitUntilFinished(client, ns, wf.getMetadata().getName());

    assertThat(phase(done)).isEqualTo("Succeeded");
    @SuppressWarnings("unchecked")
    Map<String, Object> inputs = (Map<String, Object>) podNodes(done).get("report").get("inputs");
    assertThat(inputs.get("parameters").toString()).contains("0.97").contains("lr=0.01 acc=0.97");
  }

  private static NonNamespaceOperation<
          GenericKubernetesResource,
          GenericKubernetesResourceList,
          Resource<GenericKubernetesResource>>
      workflows(KubernetesClient client, TestNamespace ns) {
    return client
        .genericKubernetesResources(ArgoTestEnv.API_VERSION, ArgoTestEnv.KIND)
        .inNamespace(ns.name());
  }

  private static GenericKubernetesResource load(KubernetesClient client, String example) {
    try (InputStream in =
        Files.newInputStream(
            Scripts.repoRoot().resolve("testenv/argo/examples").resolve(example))) {
      return client.getKubernetesSerialization().unmarshal(in, GenericKubernetesResource.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static GenericKubernetesResource waitUntilFinished(
      KubernetesClient client, TestNamespace ns, String name) {
    return workflows(client, ns)
        .withName(name)
        .waitUntilCondition(
            w -> w != null && List.of("Succeeded", "Failed", "Error").contains(phase(w)),
            120,
            TimeUnit.SECONDS);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> status(GenericKubernetesResource wf) {
    Object status = wf.getAdditionalProperties().get("status");
    return status instanceof Map ? (Map<String, Object>) status : Map.of();
  }

  private static String phase(GenericKubernetesResource wf) {
    return String.valueOf(status(wf).get("phase"));
  }

  /** Pod nodes by display name. */
  @SuppressWarnings("unchecked")
  private static Map<String, Map<String, Object>> podNodes(GenericKubernetesResource wf) {
    Map<String, Object> nodes = (Map<String, Object>) status(wf).getOrDefault("nodes", Map.of());
    Map<String, Map<String, Object>> pods = new java.util.TreeMap<>();
    for (Object o : nodes.values()) {
      Map<String, Object> node = (Map<String, Object>) o;
      if ("Pod".equals(node.get("type"))) {
        pods.put(String.valueOf(node.get("displayName")), node);
      }
    }
    return pods;
  }

  private static Instant time(Map<String, Object> node, String field) {
    return Instant.parse(String.valueOf(node.get(field)));
  }
}

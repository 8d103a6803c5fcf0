package dev.mlscale.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mlscale.cli.CliHarness;
import dev.mlscale.testenv.ClusterTest;
import dev.mlscale.testenv.TestCluster;
import dev.mlscale.testenv.TestNamespace;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.storage.StorageClassBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster check} and {@code cluster init} against the test cluster: a namespace that init
 * prepared passes for a user bound by init, and the check fails, with the fix, when a permission,
 * the RWX class or Argo's controller is taken away. Everything taken away is scoped to the test's
 * namespace or to objects of its own, and put back in a finally block.
 */
@ClusterTest
class ClusterCheckTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;

  private CliHarness.Result mlscale(Path kubeconfig, String... args) {
    return new CliHarness(home).with("KUBECONFIG", kubeconfig.toString()).run(args);
  }

  private CliHarness.Result admin(String... args) {
    return mlscale(TestCluster.get().kubeconfig(), args);
  }

  private static JsonNode line(CliHarness.Result r, String item) throws Exception {
    for (JsonNode c : JSON.readTree(r.out()).get("checks")) {
      if (c.get("item").asText().equals(item)) {
        return c;
      }
    }
    throw new AssertionError("no line '" + item + "' in " + r.out());
  }

  @Test
  void initPreparesANamespaceWhereItsUserPassesAndATakenPermissionFailsWithTheFix(
      TestNamespace ns, TestCluster cluster, @TempDir Path dir) throws Exception {
    KubernetesClient client = ns.client();
    // before init: no claim, so mlscale cannot run; the fix is init
    CliHarness.Result before = admin("cluster", "check", "-n", ns.name(), "-o", "json");
    assertThat(before.exit()).as(before.all()).isEqualTo(1);
    assertThat(line(before, "claim model-storage").get("status").asText()).isEqualTo("MISSING");
    assertThat(line(before, "claim model-storage").get("fix").asText())
        .isEqualTo("mlscale cluster init -n " + ns.name() + " --storage-class nfs-storage");

    client
        .serviceAccounts()
        .resource(
            new ServiceAccountBuilder().withNewMetadata().withName("checker").endMetadata().build())
        .create();
    String binding = InitRenderer.CLUSTER_ROLE + "-" + ns.name();
    try {
      CliHarness.Result init =
          admin(
              "cluster", "init", "-n", ns.name(), "--service-account", "checker", "--size", "1Gi");
      assertThat(init.exit()).as(init.all()).isZero();
      assertThat(init.out()).contains("PersistentVolumeClaim  model-storage").contains("created");
      CliHarness.Result again =
          admin(
              "cluster", "init", "-n", ns.name(), "--service-account", "checker", "--size", "1Gi");
      assertThat(again.out())
          .as("init is idempotent")
          .doesNotContain("created")
          .doesNotContain("updated")
          .contains("kept (exists: Bound");

      Path kubeconfig = serviceAccountKubeconfig(cluster, ns.name(), "checker", dir);
      CliHarness.Result ok = mlscale(kubeconfig, "cluster", "check", "-n", ns.name(), "-o", "json");
      assertThat(ok.exit()).as(ok.all()).isZero();
      JsonNode report = JSON.readTree(ok.out());
      assertThat(report.get("ok").asBoolean()).isTrue();
      assertThat(report.get("user").asText())
          .isEqualTo("system:serviceaccount:" + ns.name() + ":checker");
      assertThat(line(ok, "jobs.batch").get("status").asText()).isEqualTo("OK");
      assertThat(line(ok, "claim model-storage").get("detail").asText())
          .contains("Bound", "ReadWriteMany");
      assertThat(line(ok, "Argo controller").get("status").asText()).isEqualTo("OK");
      assertThat(report.get("pools").findValuesAsText("role"))
          .contains("train-cpu", "train-gpu", "default");

      // take 'create' on Jobs away from the Role init made
      client
          .rbac()
          .roles()
          .withName(InitRenderer.ROLE)
          .edit(r -> new RoleBuilder(r).withRules(withoutCreateJobs(r)).build());
      try (KubernetesClient asChecker =
          new KubernetesClientBuilder()
              .withConfig(Config.fromKubeconfig(Files.readString(kubeconfig)))
              .build()) {
        Awaitility.await("the authorizer sees the changed Role")
            .atMost(Duration.ofSeconds(30))
            .until(() -> !canCreateJobs(asChecker, ns.name()));
      }
      CliHarness.Result taken = mlscale(kubeconfig, "cluster", "check", "-n", ns.name());
      assertThat(taken.exit()).as(taken.all()).isEqualTo(1);
      assertThat(taken.out())
          .contains("✘ missing   rbac")
          .contains(
              "not allowed to create in " + ns.name() + " (runs, rows and sweep trials are Jobs)")
          .contains(
              "fix: an admin runs: mlscale cluster init -n "
                  + ns.name()
                  + " --service-account checker")
          .contains("✘ mlscale cannot run here: 1 required line(s) to fix");
    } finally {
      cluster.client().rbac().clusterRoleBindings().withName(binding).delete();
    }
  }

  private static List<PolicyRule> withoutCreateJobs(Role r) {
    return r.getRules().stream()
        .map(
            rule ->
                rule.getResources().contains("jobs")
                    ? new PolicyRuleBuilder(rule)
                        .withVerbs(
                            rule.getVerbs().stream().filter(v -> !v.equals("create")).toList())
                        .build()
                    : rule)
        .toList();
  }

  private static boolean canCreateJobs(KubernetesClient c, String ns) {
    var review =
        new SelfSubjectAccessReviewBuilder()
            .withNewSpec()
            .withNewResourceAttributes()
            .withGroup("batch")
            .withResource("jobs")
            .withVerb("create")
            .withNamespace(ns)
            .endResourceAttributes()
            .endSpec()
            .build();
    return Boolean.TRUE.equals(
        c.authorization().v1().selfSubjectAccessReview().create(review).getStatus().getAllowed());
  }

  /** A kubeconfig that logs in as the ServiceAccount with a bound token (TokenRequest). */
  private static Path serviceAccountKubeconfig(TestCluster cluster, String ns, String sa, Path dir)
      throws Exception {
    String token =
        cluster
            .client()
            .serviceAccounts()
            .inNamespace(ns)
            .withName(sa)
            .tokenRequest(
                new TokenRequestBuilder()
                    .withNewSpec()
                    .withExpirationSeconds(3600L)
                    .endSpec()
                    .build())
            .getStatus()
            .getToken();
    Config admin = cluster.client().getConfiguration();
    String ca =
        admin.getCaCertData() != null
            ? admin.getCaCertData()
            : Base64.getEncoder()
                .encodeToString(Files.readAllBytes(Path.of(admin.getCaCertFile())));
    String yaml =
        String.join(
            "\n",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: test",
            "  cluster: {server: '"
                + admin.getMasterUrl()
                + "', certificate-authority-data: "
                + ca
                + "}",
            "users:",
            "- name: " + sa,
            "  user: {token: " + token + "}",
            "contexts:",
            "- name: " + sa,
            "  context: {cluster: test, user: " + sa + ", namespace: " + ns + "}",
            "current-context: " + sa,
            "");
    return Files.writeString(dir.resolve("kubeconfig-" + sa), yaml);
  }

  @Test
  void aMissingOrReadWriteOnceClassFailsWithTheFix(TestNamespace ns, TestCluster cluster)
      throws Exception {
    String name = ns.name(); // a class of this test's own: nobody else uses it
    CliHarness.Result missing =
        admin("cluster", "check", "-n", ns.name(), "--storage-class", name, "-o", "json");
    assertThat(missing.exit()).as(missing.all()).isEqualTo(1);
    JsonNode l = line(missing, "RWX StorageClass " + name);
    assertThat(l.get("status").asText()).isEqualTo("MISSING");
    assertThat(l.get("fix").asText())
        .contains("nfs-subdir-external-provisioner", "storageClass.name=" + name);

    cluster
        .client()
        .storage()
        .v1()
        .storageClasses()
        .resource(
            new StorageClassBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withProvisioner("rancher.io/local-path")
                .build())
        .create();
    try {
      CliHarness.Result rwo =
          admin("cluster", "check", "-n", ns.name(), "--storage-class", name, "-o", "json");
      assertThat(rwo.exit()).as(rwo.all()).isEqualTo(1);
      JsonNode w = line(rwo, "RWX StorageClass " + name);
      assertThat(w.get("status").asText()).isEqualTo("WRONG");
      assertThat(w.get("detail").asText()).contains("gives ReadWriteOnce volumes only");
      assertThat(w.get("fix").asText()).contains("--storage-class");
    } finally {
      cluster.client().storage().v1().storageClasses().withName(name).delete();
    }
  }

  @Test
  void argoOutOfTheNamespacesViewFailsWithTheFix(TestNamespace ns, TestCluster cluster)
      throws Exception {
    // A ValidatingAdmissionPolicy, bound to this namespace only, refuses every update of a
    // Workflow: Argo's controller cannot mark one, as if it did not watch the namespace.
    String policy = ns.name();
    KubernetesClient admin = cluster.client();
    admin
        .resource(
            String.join(
                "\n",
                "apiVersion: admissionregistration.k8s.io/v1",
                "kind: ValidatingAdmissionPolicy",
                "metadata: {name: " + policy + "}",
                "spec:",
                "  failurePolicy: Fail",
                "  matchConstraints:",
                "    resourceRules:",
                "    - {apiGroups: [argoproj.io], apiVersions: ['*'], operations: [UPDATE],"
                    + " resources: [workflows]}",
                "  validations:",
                "  - {expression: 'false', message: 'Argo is out of view in this test namespace'}"))
        .create();
    try {
      admin
          .resource(
              String.join(
                  "\n",
                  "apiVersion: admissionregistration.k8s.io/v1",
                  "kind: ValidatingAdmissionPolicyBinding",
                  "metadata: {name: " + policy + "}",
                  "spec:",
                  "  policyName: " + policy,
                  "  validationActions: [Deny]",
                  "  matchResources:",
                  "    namespaceSelector:",
                  "      matchLabels: {kubernetes.io/metadata.name: " + ns.name() + "}"))
          .create();
      var workflows = ns.client().genericKubernetesResources(ClusterChecker.WORKFLOWS);
      var canary = workflows.resource(ClusterChecker.probeWorkflow(ns.name())).create();
      Awaitility.await("the policy refuses updates of Workflows in " + ns.name())
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                try {
                  workflows
                      .withName(canary.getMetadata().getName())
                      .edit(
                          w -> {
                            w.getMetadata()
                                .getLabels()
                                .put("canary", String.valueOf(System.nanoTime()));
                            return w;
                          });
                  return false;
                } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                  return e.getMessage().contains("out of view");
                }
              });

      CliHarness.Result r =
          admin("cluster", "check", "-n", ns.name(), "--argo-timeout", "5", "-o", "json");
      assertThat(r.exit()).as(r.all()).isEqualTo(1);
      JsonNode l = line(r, "Argo controller");
      assertThat(l.get("status").asText()).isEqualTo("MISSING");
      assertThat(l.get("detail").asText())
          .contains("no controller picked up a probe Workflow in " + ns.name() + " within 5s");
      assertThat(l.get("fix").asText()).contains("workflow-controller", "install.yaml");
      assertThat(line(r, "Argo CRDs").get("status").asText()).isEqualTo("OK");
    } finally {
      admin
          .genericKubernetesResources(
              "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding")
          .withName(policy)
          .delete();
      admin
          .genericKubernetesResources(
              "admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy")
          .withName(policy)
          .delete();
    }
  }
}

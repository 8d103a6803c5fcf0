package dev.mlscale.cluster;

import dev.mlscale.render.Labels;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.PolicyRuleBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBindingBuilder;
import io.fabric8.kubernetes.api.model.rbac.RoleBuilder;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.fabric8.kubernetes.api.model.rbac.SubjectBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Pure: what {@code cluster init -n NS} puts in a namespace, in the order it is applied. What the
 * README used to tell users to create by hand: the RWX model-storage claim, the Role its users need
 * (from {@link Access#MLSCALE}) and a ClusterRole for the cluster-wide reads, Argo's executor role
 * for the namespace's pods, and the S3 and Slack Secrets the pipelines name, from the environment.
 */
public final class InitRenderer {
  public static final String ROLE = "mlscale";
  public static final String CLUSTER_ROLE = "mlscale-cluster";
  public static final String EXECUTOR_ROLE = "argo-executor";
  public static final String S3_SECRET = "s3-credentials";
  public static final String SLACK_SECRET = "slack-webhook";

  private InitRenderer() {}

  public static List<HasMetadata> render(InitInput in) {
    String ns = in.namespace();
    Map<String, String> labels = Map.of("app.kubernetes.io/managed-by", "mlscale");
    List<HasMetadata> out = new ArrayList<>();
    out.add(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build());
    out.add(
        new PersistentVolumeClaimBuilder()
            .withMetadata(Labels.meta(in.claim(), ns, labels))
            .withNewSpec()
            .withAccessModes("ReadWriteMany")
            .withStorageClassName(in.storageClass())
            .withNewResources()
            .addToRequests("storage", new Quantity(in.size()))
            .endResources()
            .endSpec()
            .build());
    out.add(
        new RoleBuilder()
            .withMetadata(Labels.meta(ROLE, ns, labels))
            .withRules(rules(true))
            .build());
    out.add(
        new ClusterRoleBuilder()
            .withNewMetadata()
            .withName(CLUSTER_ROLE)
            .withLabels(labels)
            .endMetadata()
            .withRules(rules(false))
            .build());
    if (in.hasSubjects()) {
      List<Subject> subjects = subjects(in);
      out.add(
          new RoleBindingBuilder()
              .withMetadata(Labels.meta(ROLE, ns, labels))
              .withNewRoleRef("rbac.authorization.k8s.io", "Role", ROLE)
              .withSubjects(subjects)
              .build());
      out.add(
          new ClusterRoleBindingBuilder()
              .withNewMetadata()
              .withName(CLUSTER_ROLE + "-" + ns)
              .withLabels(labels)
              .endMetadata()
              .withNewRoleRef("rbac.authorization.k8s.io", "ClusterRole", CLUSTER_ROLE)
              .withSubjects(subjects)
              .build());
    }
    out.add(
        new RoleBuilder()
            .withMetadata(Labels.meta(EXECUTOR_ROLE, ns, labels))
            .withRules(
                new PolicyRuleBuilder()
                    .withApiGroups("argoproj.io")
                    .withResources("workflowtaskresults")
                    .withVerbs("create", "patch")
                    .build())
            .build());
    out.add(
        new RoleBindingBuilder()
            .withMetadata(Labels.meta(EXECUTOR_ROLE, ns, labels))
            .withNewRoleRef("rbac.authorization.k8s.io", "Role", EXECUTOR_ROLE)
            .addNewSubject()
            .withKind("ServiceAccount")
            .withName("default")
            .withNamespace(ns)
            .endSubject()
            .build());
    secret(
            in,
            S3_SECRET,
            Map.of("access-key", "AWS_ACCESS_KEY_ID", "secret-key", "AWS_SECRET_ACCESS_KEY"))
        .ifPresent(out::add);
    secret(in, SLACK_SECRET, Map.of("url", "SLACK_WEBHOOK_URL")).ifPresent(out::add);
    return out;
  }

  /** The Secrets init would create and the variables each needs, for the report. */
  public static Map<String, List<String>> secretSources() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    m.put(S3_SECRET, List.of("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"));
    m.put(SLACK_SECRET, List.of("SLACK_WEBHOOK_URL"));
    return m;
  }

  private static java.util.Optional<HasMetadata> secret(
      InitInput in, String name, Map<String, String> keyToVar) {
    Map<String, String> data = new java.util.TreeMap<>();
    for (var e : keyToVar.entrySet()) {
      String v = in.env().get(e.getValue());
      if (v == null || v.isEmpty()) {
        return java.util.Optional.empty();
      }
      data.put(e.getKey(), v);
    }
    return java.util.Optional.of(
        new SecretBuilder()
            .withMetadata(
                Labels.meta(
                    name, in.namespace(), Map.of("app.kubernetes.io/managed-by", "mlscale")))
            .withType("Opaque")
            .withStringData(data)
            .build());
  }

  /** A copy whose Secret values read {@code (from $VAR)}: what --dry-run prints. */
  public static List<HasMetadata> redacted(List<HasMetadata> objects) {
    Map<String, String> vars =
        Map.of(
            "access-key", "AWS_ACCESS_KEY_ID",
            "secret-key", "AWS_SECRET_ACCESS_KEY",
            "url", "SLACK_WEBHOOK_URL");
    return objects.stream()
        .map(
            o -> {
              if (o instanceof io.fabric8.kubernetes.api.model.Secret s) {
                Map<String, String> data = new java.util.TreeMap<>();
                s.getStringData().keySet().forEach(k -> data.put(k, "(from $" + vars.get(k) + ")"));
                return (HasMetadata) new SecretBuilder(s).withStringData(data).build();
              }
              return o;
            })
        .toList();
  }

  private static List<PolicyRule> rules(boolean namespaced) {
    return Access.MLSCALE.stream()
        .filter(a -> a.namespaced() == namespaced)
        .map(
            a ->
                new PolicyRuleBuilder()
                    .withApiGroups(a.group())
                    .withResources(a.rbacResource())
                    .withVerbs(a.verbs())
                    .build())
        .toList();
  }

  private static List<Subject> subjects(InitInput in) {
    List<Subject> s = new ArrayList<>();
    for (String u : in.users()) {
      s.add(
          new SubjectBuilder()
              .withApiGroup("rbac.authorization.k8s.io")
              .withKind("User")
              .withName(u)
              .build());
    }
    for (String g : in.groups()) {
      s.add(
          new SubjectBuilder()
              .withApiGroup("rbac.authorization.k8s.io")
              .withKind("Group")
              .withName(g)
              .build());
    }
    for (String sa : in.serviceAccounts()) {
      String[] p = sa.split(":", 2);
      s.add(
          new SubjectBuilder()
              .withKind("ServiceAccount")
              .withNamespace(p.length == 2 ? p[0] : in.namespace())
              .withName(p.length == 2 ? p[1] : p[0])
              .build());
    }
    return s;
  }
}

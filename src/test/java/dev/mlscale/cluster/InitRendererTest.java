package dev.mlscale.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import dev.mlscale.render.Manifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code cluster init}'s objects are exactly src/test/resources/golden/cluster-init.yaml (rewrite
 * with -Dgolden.update=true after an intended change and review the diff).
 */
class InitRendererTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden/cluster-init.yaml");

  static InitInput input(Map<String, String> env) {
    return new InitInput(
        "ml",
        "nfs-storage",
        "model-storage",
        "50Gi",
        List.of("alice"),
        List.of("ml-team"),
        List.of("ci", "tools:bot"),
        env);
  }

  @Test
  void rendersExactlyTheGoldenObjects() throws IOException {
    Map<String, String> env =
        Map.of(
            "AWS_ACCESS_KEY_ID", "AKIA-TEST",
            "AWS_SECRET_ACCESS_KEY", "s3cr3t",
            "SLACK_WEBHOOK_URL", "https://hooks.example/T0/B0/x");
    String actual = Manifests.yaml(InitRenderer.render(input(env)));
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(GOLDEN, actual);
    }
    assertThat(actual).isEqualTo(Files.readString(GOLDEN));
  }

  @Test
  void theRoleGrantsEveryNamespacedVerbTheCheckAsksFor() {
    Role role =
        (Role)
            InitRenderer.render(input(Map.of())).stream()
                .filter(o -> o instanceof Role r && r.getMetadata().getName().equals("mlscale"))
                .findFirst()
                .orElseThrow();
    for (Access a : Access.MLSCALE) {
      if (!a.namespaced()) {
        continue;
      }
      assertThat(role.getRules())
          .as(a.display())
          .anySatisfy(
              r -> {
                assertThat(r.getApiGroups()).containsExactly(a.group());
                assertThat(r.getResources()).containsExactly(a.rbacResource());
                assertThat(r.getVerbs()).containsExactlyElementsOf(a.verbs());
              });
    }
  }

  @Test
  void secretsComeOnlyFromASetEnvironmentAndDryRunHidesTheirValues() {
    List<HasMetadata> none = InitRenderer.render(input(Map.of("AWS_ACCESS_KEY_ID", "only-one")));
    assertThat(none).noneMatch(o -> o instanceof Secret);

    List<HasMetadata> objects =
        InitRenderer.render(
            input(Map.of("AWS_ACCESS_KEY_ID", "AKIA-TEST", "AWS_SECRET_ACCESS_KEY", "s3cr3t")));
    String printed = Manifests.yaml(InitRenderer.redacted(objects));
    assertThat(printed).contains("(from $AWS_SECRET_ACCESS_KEY)").doesNotContain("s3cr3t");
    assertThat(Manifests.yaml(objects)).contains("s3cr3t");
  }

  @Test
  void withoutUsersThereIsNoBinding() {
    var in =
        new InitInput(
            "ml",
            "nfs-storage",
            "model-storage",
            "50Gi",
            List.of(),
            List.of(),
            List.of(),
            Map.of());
    assertThat(InitRenderer.render(in))
        .extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
        .doesNotContain("RoleBinding/mlscale", "ClusterRoleBinding/mlscale-cluster-ml")
        .contains("RoleBinding/argo-executor");
  }

  @Test
  void badNamesAreUserErrors() {
    assertThatThrownBy(
            () ->
                new InitInput(
                    "ML_team",
                    "nfs-storage",
                    "model-storage",
                    "50Gi",
                    List.of(),
                    List.of(),
                    List.of(),
                    Map.of()))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("not a namespace name");
    assertThatThrownBy(
            () ->
                new InitInput(
                    "ml",
                    "nfs-storage",
                    "model-storage",
                    "lots",
                    List.of(),
                    List.of(),
                    List.of(),
                    Map.of()))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("--size 'lots'");
  }
}

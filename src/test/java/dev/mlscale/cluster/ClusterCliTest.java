package dev.mlscale.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mlscale.cli.CliHarness;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code cluster init --dry-run} prints and the mistakes refused before any cluster. */
class ClusterCliTest {
  @TempDir Path home;

  @Test
  void dryRunPrintsTheObjectsWithoutTheSecretsValuesAndNeedsNoCluster() {
    CliHarness.Result r =
        new CliHarness(home)
            .with("KUBECONFIG", home.resolve("none").toString())
            .with("AWS_ACCESS_KEY_ID", "AKIA-TEST")
            .with("AWS_SECRET_ACCESS_KEY", "s3cr3t")
            .run("cluster", "init", "-n", "ml", "--user", "alice", "--dry-run");
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("kind: \"PersistentVolumeClaim\"", "kind: \"RoleBinding\"", "name: \"alice\"")
        .contains("secret-key: \"(from $AWS_SECRET_ACCESS_KEY)\"")
        .doesNotContain("s3cr3t");
  }

  @Test
  void mistakesAreUserErrors() {
    CliHarness cli = new CliHarness(home).with("KUBECONFIG", home.resolve("none").toString());
    CliHarness.Result noNs = cli.run("cluster", "init", "--dry-run");
    assertThat(noNs.exit()).isEqualTo(2);
    assertThat(noNs.err()).contains("name the namespace to prepare with -n NAMESPACE");

    CliHarness.Result target = cli.run("cluster", "check", "--target", "k8s");
    assertThat(target.exit()).isEqualTo(2);
    assertThat(target.err()).contains("drop --target");

    CliHarness.Result size = cli.run("cluster", "init", "-n", "ml", "--size", "lots", "--dry-run");
    assertThat(size.exit()).isEqualTo(2);
    assertThat(size.err()).contains("--size 'lots' is not a quantity");
  }
}

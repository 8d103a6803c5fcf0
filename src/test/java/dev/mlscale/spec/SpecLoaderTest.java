package dev.mlscale.spec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mlscale.error.UserError;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecLoaderTest {
  private final SpecLoader loader = new SpecLoader();

  private JobSpec parse(String yaml, String... overrides) {
    return loader.parse(yaml, "job.yaml", JobSpec.class, List.of(overrides));
  }

  private UserError error(String yaml, String... overrides) {
    try {
      parse(yaml, overrides);
    } catch (UserError e) {
      return e;
    }
    throw new AssertionError("expected a UserError for:\n" + yaml);
  }

  @Test
  void readsAFullSpecWithDefaults() {
    JobSpec spec =
        parse(
            """
            name: digits
            image: python:3.11
            command: [python, train.py]
            args: [10, relu, 0.2, "${params.lr}"]
            params:
              lr: 0.01
              layers: [64, 32]
            resources:
              cpu: 500m
              memory: 2Gi
            retries: 3
            on_oom: {increase: 2x, max: 8Gi}
            timeout: 1h30m
            outputs: {model: digits-svc}
            """);
    assertThat(spec.name()).isEqualTo("digits");
    assertThat(spec.args()).containsExactly("10", "relu", "0.2", "${params.lr}");
    assertThat(spec.params()).containsKeys("lr", "layers");
    assertThat(spec.resources().cpu().millis()).isEqualTo(500);
    assertThat(spec.resources().memory().bytes()).isEqualTo(2L << 30);
    assertThat(spec.resources().gpus()).isZero();
    assertThat(spec.retries().limit()).isEqualTo(3);
    assertThat(spec.retries().on()).contains(FailureKind.ERROR);
    assertThat(spec.onOom().increase()).isEqualTo(2.0);
    assertThat(spec.onOom().max().toQuantity()).isEqualTo("8Gi");
    assertThat(spec.timeout().duration()).isEqualTo(Duration.ofMinutes(90));
    assertThat(spec.outputs().model()).isEqualTo("digits-svc");
    assertThat(spec.workdir()).isEqualTo(".");
  }

  @Test
  void unknownFieldPointsAtTheKeyAndSuggestsTheRightName() {
    UserError e =
        error(
            """
            name: digits
            comand: [python, train.py]
            """);
    assertThat(e.getMessage())
        .startsWith("job.yaml:2:1: unknown field 'comand' in the spec; did you mean 'command'?")
        .contains("Known fields:");
    assertThat(e.exitCode()).isEqualTo(2);
  }

  @Test
  void unknownNestedFieldNamesItsParent() {
    UserError e =
        error(
            """
            name: digits
            command: [python, train.py]
            resources:
              cpus: 2
            """);
    assertThat(e.getMessage())
        .startsWith("job.yaml:4:3: unknown field 'cpus' in 'resources'; did you mean 'cpu'?");
  }

  @Test
  void wrongTypePointsAtTheValue() {
    UserError e =
        error(
            """
            name: digits
            command: python train.py
            """);
    assertThat(e.getMessage())
        .isEqualTo(
            "job.yaml:2:10: 'command' must be a list, e.g. [a, b], but it is the text 'python"
                + " train.py'");
  }

  @Test
  void fractionalGpusAreRejected() {
    UserError e =
        error(
            """
            name: digits
            command: [python]
            resources: {gpus: 1.5}
            """);
    assertThat(e.getMessage()).startsWith("job.yaml:3:19: 'resources.gpus' must be a whole number");
  }

  @Test
  void missingRequiredFieldSaysWhatToWrite() {
    UserError e = error("name: digits\nimage: x\n");
    assertThat(e.getMessage())
        .isEqualTo(
            "job.yaml:1:1: missing required field 'command': the program to run as a list, e.g."
                + " command: [python, train.py]");
  }

  @Test
  void badMemoryQuantityPointsAtTheValue() {
    UserError e =
        error(
            """
            name: digits
            command: [python]
            resources:
              memory: 4GB
            """);
    assertThat(e.getMessage())
        .isEqualTo(
            "job.yaml:4:11: '4GB' is not an amount of memory; write it like 512Mi, 4Gi or 2G");
  }

  @Test
  void invalidNamePointsAtTheName() {
    UserError e = error("command: [python]\nname: my job!\n");
    assertThat(e.getMessage()).startsWith("job.yaml:2:7: job name 'my job!' may only hold");
  }

  @Test
  void unknownRetryKindListsTheKnownOnes() {
    UserError e =
        error(
            """
            name: digits
            command: [python]
            retries:
              limit: 2
              on: [error, crash]
            """);
    assertThat(e.getMessage())
        .isEqualTo(
            "job.yaml:5:15: 'crash' is not a failure kind; use one of error, oom, timeout,"
                + " disruption");
  }

  @Test
  void onOomWithoutMemoryLimitIsExplained() {
    UserError e =
        error(
            """
            name: digits
            command: [python]
            on_oom: {max: 4Gi}
            """);
    assertThat(e.getMessage()).startsWith("job.yaml:3:9: on_oom needs a memory limit");
  }

  @Test
  void invalidYamlGivesThePosition() {
    UserError e = error("name: digits\ncommand: [python\n");
    assertThat(e.getMessage()).startsWith("job.yaml:3:1: this is not valid YAML");
  }

  @Test
  void overridesSetNestedFieldsWithYamlTypes() {
    JobSpec spec =
        parse("name: d\ncommand: [python]\n", "params.lr=0.5", "resources.gpus=2", "timeout=10m");
    assertThat(spec.params()).containsEntry("lr", 0.5);
    assertThat(spec.resources().gpus()).isEqualTo(2);
    assertThat(spec.timeout().duration()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void badOverrideNamesTheFlag() {
    assertThat(error("name: d\ncommand: [python]\n", "resources.gpus=lots").getMessage())
        .isEqualTo(
            "--set 'resources.gpus=lots': 'resources.gpus' must be a whole number, but it is the"
                + " text 'lots'");
    assertThat(error("name: d\ncommand: [python]\n", "novalue").getMessage())
        .isEqualTo("--set 'novalue' must look like key=value, e.g. --set params.lr=0.01");
    assertThat(error("name: d\ncommand: [python]\n", "command.x=1").getMessage())
        .isEqualTo("--set 'command.x=1': 'command' is a list, so it has no field 'x'");
  }

  @Test
  void missingFileIsAUserError() {
    assertThatThrownBy(() -> loader.loadJob(Path.of("no/such/job.yaml"), List.of()))
        .isInstanceOf(UserError.class)
        .hasMessage("spec file no/such/job.yaml does not exist; check the path");
  }

  @Test
  void emptyAndNonMappingSpecsAreExplained() {
    assertThat(error("").getMessage())
        .isEqualTo(
            "job.yaml:1:1: the spec is empty (it has no fields); write them, e.g. name: train and"
                + " command: [python, train.py]");
    assertThat(error("- a\n- b\n").getMessage())
        .startsWith("job.yaml:1:1: a spec is a mapping of fields");
  }

  @Test
  void aKeyGivenTwiceIsRefusedWithBothPositions() {
    UserError e =
        error(
            """
            name: twice
            command: [python, train.py]
            resources: {cpu: 2}
            resources:
              memory: 1Gi
            """);
    assertThat(e.getMessage())
        .contains("job.yaml:4:1")
        .contains("'resources' is given twice")
        .contains("first at 3:1");
  }

  @Test
  void nestedDuplicatesAreFoundButTheSameKeyInTwoMappingsIsFine() {
    assertThat(
            error(
                    """
                name: nested
                command: [python, train.py]
                params: {lr: 0.1, depth: 3, lr: 0.2}
                """)
                .getMessage())
        .contains("job.yaml:3:29")
        .contains("'lr' is given twice");
    JobSpec ok =
        parse(
            """
            name: rows
            command: [python, train.py]
            rows: [{lr: 0.1}, {lr: 0.2}]
            params: {lr: 0.3}
            """);
    assertThat(ok.rows()).hasSize(2);
  }

  @Test
  void anAliasIsRefusedNotReadAsItsName() {
    UserError e =
        error(
            """
            name: alias
            command: [python, train.py]
            params:
              base: &lr 0.01
              lr: *lr
            """);
    assertThat(e.getMessage()).contains("job.yaml:5:7").contains("'*lr' is a YAML alias");
  }

  @Test
  void aBinaryOrOversizedFileIsRefusedBeforeParsing(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws java.io.IOException {
    var binary = java.nio.file.Files.write(dir.resolve("model.yaml"), new byte[] {'n', 0, 1, 2});
    assertThatThrownBy(() -> loader.loadJob(binary, List.of()))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("not a text file");
    var big =
        java.nio.file.Files.writeString(
            dir.resolve("big.yaml"), "name: big\n" + "#".repeat(2 << 20));
    assertThatThrownBy(() -> loader.loadJob(big, List.of()))
        .isInstanceOf(UserError.class)
        .hasMessageContaining("more than the 1048576 a spec may have");
  }
}

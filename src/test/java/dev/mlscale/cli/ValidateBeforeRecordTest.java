package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Mistakes that can be seen before anything runs are exit code 2, at the place in the file that
 * names the thing, and nothing is recorded (no run, no pipeline run) or started.
 */
class ValidateBeforeRecordTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path home;
  @TempDir Path work;

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(
            "a missing requirements file",
            "job.yaml",
            """
            name: needs
            command: [python3, -c, "open('ran', 'w')"]
            setup:
              requirements: requirements-missing.txt
            """,
            new String[] {"run", "job.yaml"},
            "job.yaml:4:17: setup.requirements names 'requirements-missing.txt', which does not"
                + " exist"),
        Arguments.of(
            "a missing setup input",
            "job.yaml",
            """
            name: needs
            command: [python3, -c, "open('ran', 'w')"]
            setup:
              inputs: [here.txt, gone.txt]
            """,
            new String[] {"run", "job.yaml"},
            "job.yaml:4:22: setup.inputs names 'gone.txt', which does not exist"),
        Arguments.of(
            "a pipeline using an unset parameter in its second task",
            "pipeline.yaml",
            """
            name: unset
            dag:
              - {name: a, command: [python3, -c, "open('ran', 'w')"]}
              - {name: b, depends: [a], command: [echo, "${params.x}"]}
            """,
            new String[] {"pipeline", "run", "pipeline.yaml"},
            "pipeline.yaml:4:46: task 'b': command uses ${params.x} but params has no 'x'"),
        Arguments.of(
            "a pipeline whose task's job file is missing",
            "pipeline.yaml",
            """
            name: nojob
            dag:
              - {name: a, command: [python3, -c, "open('ran', 'w')"]}
              - {name: b, depends: [a], job: missing-job.yaml}
            """,
            new String[] {"pipeline", "run", "pipeline.yaml"},
            "task 'b' names job 'missing-job.yaml', which does not exist"),
        Arguments.of(
            "a pipeline task whose job needs a missing requirements file",
            "pipeline.yaml",
            """
            name: jobsetup
            dag:
              - {name: a, command: [python3, -c, "open('ran', 'w')"]}
              - {name: b, depends: [a], job: job.yaml}
            """,
            new String[] {"pipeline", "run", "pipeline.yaml"},
            "job.yaml:3:23: setup.requirements names 'nope.txt', which does not exist"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedBeforeAnythingIsRecorded(
      String what, String file, String spec, String[] args, String expected) throws Exception {
    Files.writeString(work.resolve("here.txt"), "x");
    if (!file.equals("job.yaml")) {
      Files.writeString(
          work.resolve("job.yaml"),
          "name: j\ncommand: [python3, -V]\nsetup: {requirements: nope.txt}\n");
    }
    Files.writeString(work.resolve(file), spec);
    String[] absolute = args.clone();
    absolute[absolute.length - 1] = work.resolve(args[args.length - 1]).toString();
    CliHarness cli = new CliHarness(home);
    CliHarness.Result r = cli.run(absolute);
    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertThat(r.err()).as(what).contains(expected);
    assertThat(r.err()).as("no id of a run that does not exist is shown").doesNotContain("▶");
    assertThat(work.resolve("ran")).as("nothing ran").doesNotExist();
    assertThat(JSON.readTree(cli.run("ls", "-o", "json").out())).as("no run recorded").isEmpty();
    assertThat(JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out()))
        .as("no pipeline run recorded")
        .isEmpty();
  }
}

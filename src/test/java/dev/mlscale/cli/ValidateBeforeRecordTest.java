package dev.mlscale.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of bad inputs: every mistake that can be seen before anything runs is exit code 2, a
 * message that says what to do, at the place in the file that names it ({@code file:line:col}),
 * without a stack trace, and nothing is recorded (no run, sweep or pipeline run, no run directory)
 * or started (the jobs here would write the file 'ran'). Keep adding to it.
 */
class ValidateBeforeRecordTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A job that would leave the marker file 'ran' in its workdir if it ever started. */
  private static final String RAN = "command: [python3, -c, \"open('ran', 'w')\"]";

  /** What the content of a case's file is when it is not text. */
  private static final Object DIRECTORY = new Object();

  @TempDir Path home;
  @TempDir Path work;

  /**
   * One bad input: the file {@code file} with {@code content} (text, bytes, {@link #DIRECTORY} or
   * null for no file), other files next to it, the command line (the file's name in it stands for
   * its path), where the error must point ({@code file:line:col}, or null where no field is
   * involved) and the words its message must hold.
   */
  record Case(
      String what,
      String file,
      Object content,
      Map<String, String> files,
      List<String> args,
      String at,
      List<String> says) {
    Case at(int line, int col) {
      return at(file, line, col);
    }

    Case at(String in, int line, int col) {
      return new Case(what, file, content, files, args, in + ":" + line + ":" + col, says);
    }

    Case says(String... words) {
      return new Case(what, file, content, files, args, at, List.of(words));
    }

    Case args(String... newArgs) {
      return new Case(what, file, content, files, List.of(newArgs), at, says);
    }

    Case with(String name, String text) {
      Map<String, String> more = new LinkedHashMap<>(files);
      more.put(name, text);
      return new Case(what, file, content, more, args, at, says);
    }

    @Override
    public String toString() {
      return args.get(0) + ": " + what;
    }
  }

  private static Case run(String what, Object content) {
    return new Case(what, "job.yaml", content, Map.of(), List.of("run", "job.yaml"), null, null);
  }

  private static Case job(String what, String... lines) {
    return run(what, text(lines));
  }

  private static Case sweep(String what, String... lines) {
    return new Case(
        what,
        "sweep.yaml",
        text(lines),
        Map.of(),
        List.of("sweep", "run", "sweep.yaml"),
        null,
        null);
  }

  private static Case pipeline(String what, String... lines) {
    return new Case(
        what,
        "pipeline.yaml",
        text(lines),
        Map.of(),
        List.of("pipeline", "run", "pipeline.yaml"),
        null,
        null);
  }

  private static String text(String... lines) {
    return String.join("\n", lines) + "\n";
  }

  /** A valid sweep but for {@code lines}, which follow its name, job and objective. */
  private static Case sweepWith(String what, String... lines) {
    List<String> all =
        new ArrayList<>(List.of("name: s", "job: good.yaml", "objective: {metric: acc}"));
    all.addAll(Arrays.asList(lines));
    return sweep(what, all.toArray(String[]::new));
  }

  private static final String SPACE = "space: {lr: {uniform: [0.1, 0.5]}}";

  static Stream<Case> cases() {
    return Stream.of(
        // mlscale run: fields of a job spec
        job("a missing requirements file", "name: needs", RAN, "setup:", "  requirements: r.txt")
            .at(4, 17)
            .says("setup.requirements names 'r.txt', which does not exist"),
        job("a missing setup input", "name: needs", RAN, "setup:", "  inputs: [here.txt, gone.txt]")
            .at(4, 22)
            .says("setup.inputs names 'gone.txt', which does not exist"),
        job("a misspelt field", "name: typo", "comand: [python3, -c, \"open('ran', 'w')\"]")
            .at(2, 1)
            .says("unknown field 'comand' in the spec", "did you mean 'command'?"),
        job("a misspelt nested field", "name: n", RAN, "resources:", "  cpus: 2")
            .at(4, 3)
            .says("unknown field 'cpus' in 'resources'", "did you mean 'cpu'?"),
        job("memory as words", "name: n", RAN, "resources:", "  memory: lots")
            .at(4, 11)
            .says("'lots' is not an amount of memory", "write it like 512Mi, 4Gi or 2G"),
        job("memory in a unit that does not exist", "name: n", RAN, "resources:", "  memory: 12XB")
            .at(4, 11)
            .says("'12XB' is not an amount of memory"),
        job("memory as a list", "name: n", RAN, "resources:", "  memory: [4Gi]")
            .at(4, 11)
            .says("'[4Gi]' is not an amount of memory"),
        job("env as a list", "name: n", RAN, "env: [A=1]")
            .at(3, 6)
            .says("'env' must be a mapping of fields (key: value), but it is a list"),
        job("an env value that is a mapping", "name: n", RAN, "env:", "  LR: {a: 1}")
            .at(4, 7)
            .says("'env.LR' must be a single value", "but it is a mapping"),
        job("an argument that is a mapping", "name: n", RAN, "args:", "  - --lr", "  - {a: 1}")
            .at(5, 5)
            .says("'args.1' must be a single value", "but it is a mapping"),
        job("negative cpu", "name: n", RAN, "resources:", "  cpu: -1")
            .at(4, 8)
            .says("cpu must be more than 0"),
        job("zero cpu", "name: n", RAN, "resources:", "  cpu: 0")
            .at(4, 8)
            .says("cpu must be more than 0"),
        job("cpu as words", "name: n", RAN, "resources:", "  cpu: two")
            .at(4, 8)
            .says("'two' is not a number of CPUs", "2, 0.5 or 500m"),
        job("negative gpus", "name: n", RAN, "resources:", "  gpus: -1")
            .at(4, 9)
            .says("gpus must be 0 or more"),
        job("more cpu than the machine has", "name: n", RAN, "resources:", "  cpu: 100000")
            .at(4, 8)
            .says("asks for more than this machine has", "lower its resources"),
        job("a timeout in parsecs", "name: n", RAN, "timeout: 5 parsecs")
            .at(3, 10)
            .says("'5 parsecs' is not a duration", "90s, 30m, 1h30m"),
        job("a zero timeout", "name: n", RAN, "timeout: 0")
            .at(3, 10)
            .says("a duration must be more than zero", "e.g. 30m"),
        job("retries -1", "name: n", RAN, "retries: -1")
            .at(3, 10)
            .says("retries must be between 0 and 100, got -1"),
        job("a retry kind that does not exist", "name: n", RAN, "retries:", "  on: [crash]")
            .at(4, 8)
            .says("'crash' is not a failure kind", "error, oom, timeout, disruption"),
        job(
                "on_oom max below the memory",
                "name: n",
                RAN,
                "resources:",
                "  memory: 4Gi",
                "on_oom:",
                "  max: 2Gi")
            .at(6, 8)
            .says("on_oom.max 2Gi is not more than resources.memory 4Gi", "raise on_oom.max"),
        job("on_oom without memory", "name: n", RAN, "on_oom:", "  max: 8Gi")
            .at(4, 3)
            .says("on_oom needs a memory limit", "add resources: {memory: 2Gi}"),
        job(
                "on_oom that does not increase",
                "name: n",
                RAN,
                "resources: {memory: 1Gi}",
                "on_oom:",
                "  increase: 1x",
                "  max: 8Gi")
            .at(5, 13)
            .says("on_oom.increase must be more than 1x"),
        job("an empty command", "name: n", "command: []")
            .at(2, 10)
            .says("command is empty", "command: [python, train.py]"),
        job("no command", "name: n").at(1, 1).says("missing required field 'command'"),
        job("a command not on PATH", "name: n", "command: [no-such-program-mlscale, x]")
            .at(2, 11)
            .says("command 'no-such-program-mlscale' of job 'n' was not found"),
        job("a workdir that does not exist", "name: n", RAN, "workdir: nowhere")
            .at(3, 10)
            .says("workdir 'nowhere' is not a directory", "relative to the spec file"),
        job("an unset parameter", "name: n", "command: [echo, \"${params.x}\"]")
            .at(2, 17)
            .says("command uses ${params.x} but params has no 'x'", "--set params.x="),
        job("a name with spaces", "name: my job!", RAN)
            .at(1, 7)
            .says("job name 'my job!' may only hold letters, digits"),
        job(
                "a secret that is not in the environment",
                "name: n",
                RAN,
                "secrets:",
                "  MLSCALE_TEST_UNSET_SECRET: creds/token")
            .at(4, 30)
            .says("needs the secret MLSCALE_TEST_UNSET_SECRET", "export"),
        job("a model name with spaces", "name: n", RAN, "outputs:", "  model: my model")
            .at(4, 10)
            .says("model name 'my model' may only hold"),
        job("parallelism 0", "name: n", RAN, "rows: [{a: 1}]", "parallelism: 0")
            .at(4, 14)
            .says("parallelism must be 1 or more"),
        job("rows that are not mappings", "name: n", RAN, "rows: [1, 2]")
            .at(3, 8)
            .says("must be a mapping"),
        job("an index URL that is not http", "name: n", RAN, "setup:", "  index_url: ftp://x/s")
            .at(4, 14)
            .says("index_url 'ftp://x/s' must be an http:// or https:// URL"),
        job("a blank python", "name: n", RAN, "setup:", "  python: ''")
            .at(4, 11)
            .says("setup.python must name an interpreter"),

        // mlscale run: the command line
        job("--set of a field that does not exist", "name: n", RAN)
            .args("run", "--set", "resourcse.cpu=2", "job.yaml")
            .says(
                "--set 'resourcse.cpu=2'", "unknown field 'resourcse'", "did you mean 'resources'"),
        job("--set without a value", "name: n", RAN)
            .args("run", "--set", "params.lr", "job.yaml")
            .says("--set 'params.lr' must look like key=value"),
        job("--set of a bad value", "name: n", RAN)
            .args("run", "--set", "resources.memory=12XB", "job.yaml")
            .says("--set 'resources.memory=12XB'", "'12XB' is not an amount of memory"),
        job("--set below a plain value", "name: n", RAN)
            .args("run", "--set", "name.x=1", "job.yaml")
            .says("--set 'name.x=1'", "'name' is the text 'n', so it has no field 'x'"),
        job(
                "two specs, the second one bad: neither runs",
                "name: n",
                "command: [no-such-program-mlscale]")
            .args("run", "good.yaml", "job.yaml")
            .at(2, 11)
            .says("command 'no-such-program-mlscale' of job 'n' was not found"),
        job("--param-grid without values", "name: n", RAN)
            .args("run", "--param-grid", "lr", "job.yaml")
            .says("--param-grid 'lr' must look like name=v1,v2"),
        job("params as a list", "name: n", RAN, "params: [1, 2]")
            .at(3, 9)
            .says("'params' must be a mapping of fields (key: value), but it is a list"),
        job("a negative timeout", "name: n", RAN, "timeout: -5s")
            .at(3, 10)
            .says("'-5s' is not a duration"),
        job("a retry backoff in words", "name: n", RAN, "retries:", "  limit: 2", "  backoff: soon")
            .at(5, 12)
            .says("'soon' is not a duration"),
        job(
                "a kubernetes ttl in words (parsed even on this machine)",
                "name: n",
                RAN,
                "kubernetes:",
                "  ttl: forever")
            .at(4, 8)
            .says("'forever' is not a duration"),

        // the YAML itself
        job("tab indentation", "name: tabs", "command:", "\t- echo")
            .at(3, 1)
            .says("not valid YAML", "tab", "indent with spaces"),
        job("a list instead of a mapping", "- name: a", "  " + RAN)
            .at(1, 1)
            .says("a spec is a mapping of fields", "not a list"),
        run("an empty file", "").at(1, 1).says("the spec is empty", "name:"),
        job("only comments", "# nothing yet").at(1, 1).says("the spec is empty"),
        job("two documents", "name: one", RAN, "---", "name: two", RAN)
            .at(3, 1)
            .says("more than one YAML document", "one spec per file"),
        run("a directory instead of a file", DIRECTORY).says("job.yaml is a directory"),
        run("a file that does not exist", null).says("job.yaml does not exist; check the path"),
        run(
                "Latin-1 bytes",
                "name: caf\u00e9\ncommand: [echo]\n".getBytes(StandardCharsets.ISO_8859_1))
            .at(1, 10)
            .says("not a UTF-8 text file", "save the spec as UTF-8"),
        run("a binary file", new byte[] {'n', 0, 1, 2}).at(1, 1).says("not a text file"),
        job("a key given twice", "name: a", RAN, "name: b")
            .at(3, 1)
            .says("the key 'name' is given twice in the same mapping (first at 1:1)"),
        job("an alias", "name: &n a", "command: [python3, *n]")
            .at(2, 20)
            .says("'*n' is a YAML alias", "write the value out"),
        job("an unclosed quote", "name: a", "command: [echo, \"oops]")
            .says("this is not valid YAML"),
        run("a spec over 1 MiB", "name: big\n" + "#".repeat(2 << 20))
            .at(1, 1)
            .says("more than the 1048576 a spec may have"),

        // mlscale render
        job(
                "render: memory in a unit that does not exist",
                "name: n",
                RAN,
                "resources:",
                "  memory: 9QB")
            .args("render", "job.yaml")
            .at(4, 11)
            .says("'9QB' is not an amount of memory"),
        job("render: a misspelt field", "name: n", RAN, "imgae: python:3.12")
            .args("render", "job.yaml")
            .at(3, 1)
            .says("unknown field 'imgae'", "did you mean 'image'?"),
        job("render: a file that does not exist", "name: n", RAN)
            .args("render", "missing.yaml")
            .says("missing.yaml does not exist; check the path"),
        job("render: --set of a field that does not exist", "name: n", RAN)
            .args("render", "--set", "kubernetes.namespce=x", "job.yaml")
            .says("--set 'kubernetes.namespce=x'", "did you mean 'namespace'?"),

        // mlscale sweep run
        sweep(
                "an empty space",
                "name: s",
                "job: good.yaml",
                "objective: {metric: acc}",
                "space: {}")
            .at(4, 8)
            .says("the search space is empty", "add parameters"),
        sweepWith("uniform with low above high", "space:", "  lr: {uniform: [0.5, 0.1]}")
            .at(5, 17)
            .says("uniform needs [low, high] with low < high, got [0.5, 0.1]"),
        sweepWith("loguniform from 0", "space:", "  lr: {loguniform: [0, 1]}")
            .at(5, 20)
            .says("loguniform bounds must be more than 0"),
        sweepWith("int with low above high", "space:", "  layers: {int: [5, 1]}")
            .at(5, 17)
            .says("int needs [low, high] with low <= high"),
        sweepWith(
                "a parameter with two kinds", "space:", "  lr: {uniform: [0.1, 0.5], choice: [1]}")
            .at(5, 37)
            .says("give exactly one of choice, uniform, loguniform, int or grid"),
        sweepWith("max_trials 0", SPACE, "budget:", "  max_trials: 0")
            .at(6, 15)
            .says("max_trials must be 1 or more"),
        sweepWith("max_parallel 0", SPACE, "budget:", "  max_parallel: 0")
            .at(6, 17)
            .says("max_parallel must be 1 or more"),
        sweepWith("an unknown algorithm", SPACE, "algorithm: bayes")
            .at(5, 12)
            .says("'bayes' is not a search algorithm; use auto, grid, random, tpe or gp"),
        sweepWith("mlscale's own auto_reason written by hand", SPACE, "auto_reason: because")
            .at(5, 14)
            .says("unknown field 'auto_reason'; mlscale writes it when algorithm is auto"),
        sweepWith("grid over a continuous space", SPACE, "algorithm: grid")
            .at(4, 13)
            .says("the grid algorithm needs a finite space", "list the values with grid"),
        sweep(
                "an objective without a metric",
                "name: s",
                "job: good.yaml",
                "objective: {goal: max}",
                SPACE)
            .at(3, 12)
            .says("name the metric to optimise"),
        sweep(
                "a goal that is not one",
                "name: s",
                "job: good.yaml",
                "objective: {metric: acc, goal: up}",
                SPACE)
            .at(3, 32)
            .says("'up' is not a goal; use minimize or maximize"),
        sweep(
                "direction instead of goal",
                "name: s",
                "job: good.yaml",
                "objective: {metric: acc, direction: max}",
                SPACE)
            .at(3, 26)
            .says("unknown field 'direction' in 'objective'", "goal"),
        sweepWith(
                "an early stopping rule that does not exist",
                SPACE,
                "early_stopping: {rule: hyperband}")
            .at(5, 24)
            .says("early_stopping.rule must be median or asha, got hyperband"),
        sweepWith("reduction_factor 1", SPACE, "early_stopping: {rule: asha, reduction_factor: 1}")
            .at(5, 48)
            .says("reduction_factor must be 2 or more"),
        sweepWith("a seed that is not a number", SPACE, "seed: abc")
            .at(5, 7)
            .says("'seed' must be a whole number"),
        sweep(
                "a job that does not exist",
                "name: s",
                "job: nojob.yaml",
                "objective: {metric: acc}",
                SPACE)
            .at(2, 6)
            .says("job 'nojob.yaml' does not exist"),
        sweep(
                "a job with a missing requirements file",
                "name: s",
                "job: job.yaml",
                "objective: {metric: acc}",
                SPACE)
            .at("job.yaml", 3, 23)
            .says("setup.requirements names 'nope.txt', which does not exist"),
        sweep(
                "a job whose command is not on PATH",
                "name: s",
                "job: nocmd.yaml",
                "objective: {metric: acc}",
                SPACE)
            .with("nocmd.yaml", text("name: nocmd", "command: [no-such-program-mlscale]"))
            .at("nocmd.yaml", 2, 11)
            .says("command 'no-such-program-mlscale' of job 'nocmd' was not found"),
        sweep(
                "a job with a misspelt field",
                "name: s",
                "job: typo.yaml",
                "objective: {metric: acc}",
                SPACE)
            .with("typo.yaml", text("name: typo", RAN, "paramz: {lr: 1}"))
            .at("typo.yaml", 3, 1)
            .says("unknown field 'paramz'", "did you mean 'params'?"),
        sweep("a job with rows", "name: s", "job: rows.yaml", "objective: {metric: acc}", SPACE)
            .with("rows.yaml", text("name: rows", RAN, "rows: [{a: 1}]"))
            .at("rows.yaml", 3, 1)
            .says("'rows' does not work on this machine", "take their params from its space"),
        sweepWith("a budget that is a number", SPACE, "budget: 5")
            .at(5, 9)
            .says("'budget' must be a mapping of fields (key: value), but it is the number 5"),
        sweepWith("--set of a misspelt budget field", SPACE)
            .args("sweep", "run", "--set", "budget.max_trails=3", "sweep.yaml")
            .says("--set 'budget.max_trails=3'", "did you mean 'max_trials'?"),
        sweep("no name", "job: good.yaml", "objective: {metric: acc}", SPACE)
            .at(1, 1)
            .says("a sweep needs a short name"),

        // mlscale pipeline run
        pipeline("an empty dag", "name: p", "dag: []")
            .at(2, 6)
            .says("dag is empty", "list at least one task"),
        pipeline(
                "two tasks with one name",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: a, " + RAN + "}")
            .at(4, 12)
            .says("two tasks are named 'a'", "task names must be unique"),
        pipeline(
                "a dependency that is not a task",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: [zz], " + RAN + "}")
            .at(4, 25)
            .says("task 'b' depends on 'zz', which is not a task of this pipeline (tasks: a, b)"),
        pipeline(
                "a cycle",
                "name: p",
                "dag:",
                "  - {name: a, depends: [b], " + RAN + "}",
                "  - {name: b, depends: [a], " + RAN + "}")
            .at(3, 25)
            .says("depend on each other in a cycle", "a pipeline must be acyclic"),
        pipeline(
                "a task that depends on itself",
                "name: p",
                "dag:",
                "  - {name: a, depends: [a], " + RAN + "}")
            .at(3, 25)
            .says("task 'a' depends on itself"),
        pipeline(
                "for_each over a mapping",
                "name: p",
                "dag:",
                "  - name: a",
                "    " + RAN,
                "    for_each: {lr: 1}")
            .at(5, 15)
            .says("'dag.0.for_each' must be a list"),
        pipeline(
                "for_each over plain values",
                "name: p",
                "dag:",
                "  - name: a",
                "    " + RAN,
                "    for_each: [1, 2]")
            .at(5, 16)
            .says("must be a mapping"),
        pipeline(
                "an exit task with dependencies",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "on_exit: {name: done, depends: [a], command: [echo]}")
            .at(4, 32)
            .says("the exit task 'done' runs after all other tasks", "remove depends"),
        pipeline(
                "an unset parameter in the second task",
                "name: unset",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: [a], command: [echo, \"${params.x}\"]}")
            .at(4, 46)
            .says("task 'b': command uses ${params.x} but params has no 'x'"),
        pipeline(
                "an S3 endpoint that is not a URL",
                "name: p",
                "dag:",
                "  - name: get",
                "    s3_download: {endpoint: not a url, bucket: b, key: k, to: d}",
                "  - {name: a, depends: [get], " + RAN + "}")
            .at(4, 29)
            .says("endpoint 'not a url' must be an http:// or https:// URL"),
        pipeline(
                "an S3 bucket written as a URL",
                "name: p",
                "dag:",
                "  - name: get",
                "    s3_download: {bucket: s3://data/train, prefix: x, to: d}",
                "  - {name: a, depends: [get], " + RAN + "}")
            .at(4, 27)
            .says("bucket 's3://data/train' is a URL", "bucket: data"),
        pipeline(
                "a task with two kinds",
                "name: p",
                "dag:",
                "  - {name: a, job: good.yaml, " + RAN + "}")
            .at(3, 20)
            .says("task 'a' needs exactly one of job", "command"),
        pipeline(
                "depends as a word, not a list",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: a, " + RAN + "}")
            .at(4, 24)
            .says("'dag.1.depends' must be a list"),
        pipeline(
                "steps with a dependency that is not a task",
                "name: p",
                "steps:",
                "  - - {name: a, " + RAN + "}",
                "  - - {name: b, depends: [zz], " + RAN + "}")
            .at(4, 26)
            .says("task 'b' depends on 'zz', which is not a task"),
        pipeline(
                "--set below a plain parameter",
                "name: p",
                "params: {x: 1}",
                "dag:",
                "  - {name: a, " + RAN + "}")
            .args("pipeline", "run", "--set", "params.x.y=2", "pipeline.yaml")
            .says("--set 'params.x.y=2'", "'params.x' is the number 1, so it has no field 'y'"),
        pipeline("a task with no kind", "name: p", "dag:", "  - {name: a}")
            .at(3, 5)
            .says("task 'a' needs exactly one of job"),
        pipeline("a task name in capitals", "name: p", "dag:", "  - {name: Train, " + RAN + "}")
            .at(3, 12)
            .says("a task needs a name of lower-case letters", "got 'Train'"),
        pipeline(
                "a pipeline name with an underscore",
                "name: my_pipe",
                "dag:",
                "  - {name: a, " + RAN + "}")
            .at(1, 7)
            .says("a pipeline needs a name of lower-case letters"),
        pipeline(
                "dag and steps",
                "name: p",
                "dag: [{name: a, " + RAN + "}]",
                "steps: [[{name: b, " + RAN + "}]]")
            .at(2, 6)
            .says("either dag", "or steps", "not both"),
        pipeline("an empty step group", "name: p", "steps: [[]]")
            .at(2, 8)
            .says("a step group is empty"),
        pipeline(
                "register_model of a task it does not depend on",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: reg, register_model: {name: m, best_of: a, metric: acc}}")
            .at(4, 52)
            .says("task 'reg' takes the best model of 'a', so it must depend on it"),
        pipeline(
                "a job task with resources",
                "name: p",
                "dag:",
                "  - {name: a, job: good.yaml, resources: {cpu: 2}}")
            .at(3, 31)
            .says("'dag.0.resources' does not work on this machine", "set it in that file"),
        pipeline(
                "a job task whose file does not exist",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: [a], job: missing-job.yaml}")
            .at(4, 34)
            .says("task 'b' names job 'missing-job.yaml', which does not exist"),
        pipeline(
                "a job task whose job needs a missing requirements file",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: [a], job: job.yaml}")
            .at("job.yaml", 3, 23)
            .says("setup.requirements names 'nope.txt', which does not exist"),
        pipeline(
                "a command task not on PATH",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: b, depends: [a], command: [no-such-program-mlscale]}")
            .at(4, 39)
            .says("command 'no-such-program-mlscale' of job 'b' was not found"),
        pipeline("parallelism 0", "name: p", "parallelism: 0", "dag: [{name: a, " + RAN + "}]")
            .at(2, 14)
            .says("parallelism is how many tasks may run at once: 1 or more"),
        pipeline(
                "a command task with on_oom but no memory",
                "name: p",
                "dag:",
                "  - {name: a, on_oom: {max: 8Gi}, " + RAN + "}")
            .at(3, 23)
            .says("on_oom needs a memory limit to increase"),
        pipeline(
                "a command task with an empty command",
                "name: p",
                "dag:",
                "  - {name: a, command: []}")
            .at(3, 24)
            .says("task 'a': command is empty"),
        pipeline(
                "an S3 endpoint parameter that is not a URL",
                "name: p",
                "params: {endpoint: minio}",
                "dag:",
                "  - name: get",
                "    s3_download: {endpoint: \"${params.endpoint}\", bucket: b, key: k, to: d}",
                "  - {name: a, depends: [get], " + RAN + "}")
            .says(
                "task 'get' s3_download.endpoint",
                "endpoint 'minio' must be an http:// or https://"),
        pipeline(
                "a slack text with {{best}} but no metric",
                "name: p",
                "dag:",
                "  - {name: a, " + RAN + "}",
                "  - {name: tell, depends: [a], slack: {webhook_env: HOOK, text: \"{{best}}\"}}")
            .at(4, 65)
            .says("the text uses {{best}}", "best_metric"));
  }

  @Test
  void theTableKeepsGrowing() {
    assertThat(cases().count()).isGreaterThanOrEqualTo(45);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void isRefusedBeforeAnythingIsRecorded(Case c) throws Exception {
    Files.writeString(work.resolve("here.txt"), "x");
    Files.writeString(work.resolve("good.yaml"), text("name: good", RAN));
    if (!c.file().equals("job.yaml")) {
      Files.writeString(
          work.resolve("job.yaml"),
          "name: j\ncommand: [python3, -V]\nsetup: {requirements: nope.txt}\n");
    }
    for (var f : c.files().entrySet()) {
      Files.writeString(work.resolve(f.getKey()), f.getValue());
    }
    Path file = work.resolve(c.file());
    if (c.content() instanceof String s) {
      Files.writeString(file, s);
    } else if (c.content() instanceof byte[] b) {
      Files.write(file, b);
    } else if (c.content() == DIRECTORY) {
      Files.createDirectories(file);
    }
    List<String> args =
        c.args().stream().map(a -> a.endsWith(".yaml") ? work.resolve(a).toString() : a).toList();
    CliHarness cli = new CliHarness(home);
    CliHarness.Result r = cli.run(args.toArray(String[]::new));

    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    if (c.at() != null) {
      assertThat(r.err()).as("the position").contains(c.at() + ": ");
    }
    for (String word : c.says()) {
      assertThat(r.err()).as("what it says").contains(word);
    }
    assertThat(r.err())
        .as("no stack trace")
        .doesNotContain("Exception")
        .doesNotContain("\tat ")
        .doesNotContain("internal error");
    assertThat(r.err()).as("no id of a run that does not exist is shown").doesNotContain("▶");
    assertThat(work.resolve("ran")).as("nothing ran").doesNotExist();
    assertThat(JSON.readTree(cli.run("ls", "-o", "json").out())).as("no run recorded").isEmpty();
    assertThat(JSON.readTree(cli.run("sweep", "ls", "-o", "json").out()))
        .as("no sweep recorded")
        .isEmpty();
    assertThat(JSON.readTree(cli.run("pipeline", "ls", "-o", "json").out()))
        .as("no pipeline run recorded")
        .isEmpty();
    assertThat(entries(home.resolve("runs"))).as("no run directory").isEmpty();
    assertThat(entries(home.resolve("sweeps"))).as("no sweep directory").isEmpty();
  }

  private static List<Path> entries(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }
}

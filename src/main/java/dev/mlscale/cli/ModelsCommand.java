package dev.mlscale.cli;

import dev.mlscale.spec.MemorySize;
import dev.mlscale.store.ModelRecord;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "models",
    description = "The model store: every model a run saved, versioned.",
    subcommands = {ModelsCommand.Ls.class, ModelsCommand.Show.class, ModelsCommand.PathOf.class})
final class ModelsCommand extends CommandGroup {
  static Map<String, Object> view(ModelRecord m) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("model", m.ref());
    v.put("name", m.name());
    v.put("version", m.version());
    v.put("run", m.runId());
    v.put("path", m.path());
    v.put("createdAt", m.createdAt());
    v.put("sizeBytes", m.sizeBytes());
    v.put("params", m.params());
    v.put("metrics", m.metrics());
    return v;
  }

  @Command(
      name = "ls",
      aliases = "list",
      description = "List models and their versions, newest first.")
  static final class Ls extends CliCommand {
    @Parameters(arity = "0..1", paramLabel = "NAME", description = "Only this model.")
    String name;

    @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

    @Override
    public Integer call() {
      List<ModelRecord> models = ctx.models().list(name);
      if (output.print(ctx.out(), models.stream().map(ModelsCommand::view).toList())) {
        return 0;
      }
      if (models.isEmpty()) {
        ctx.out()
            .println(
                name == null
                    ? "No models yet. A job with 'outputs: {model: NAME}' registers one when it succeeds."
                    : "No model named '" + name + "'.");
        return 0;
      }
      Instant now = ctx.clock().instant();
      Table t = new Table("MODEL", "RUN", "CREATED", "SIZE", "METRICS", "PARAMS");
      for (ModelRecord m : models) {
        t.row(
            m.ref(),
            m.runId(),
            Format.ago(m.createdAt(), now),
            MemorySize.human(m.sizeBytes()),
            Format.metrics(m.metrics(), 3),
            Format.params(m.params()));
      }
      t.print(ctx.out(), "");
      return 0;
    }
  }

  @Command(name = "show", description = "Show one model version: where it is and what produced it.")
  static final class Show extends CliCommand {
    @Parameters(paramLabel = "NAME[:VERSION]", description = "The latest version when none given.")
    String ref;

    @picocli.CommandLine.Mixin OutputOption output = new OutputOption();

    @Override
    public Integer call() {
      ModelRecord m = ctx.models().get(ref);
      if (output.print(ctx.out(), view(m))) {
        return 0;
      }
      ctx.out().printf("%-9s %s%n", "Model:", m.ref());
      ctx.out().printf("%-9s %s%n", "Run:", m.runId());
      ctx.out().printf("%-9s %s%n", "Path:", m.path());
      ctx.out().printf("%-9s %s%n", "Created:", Format.time(m.createdAt(), ctx.clock()));
      ctx.out().printf("%-9s %s%n", "Size:", MemorySize.human(m.sizeBytes()));
      ctx.out().printf("%-9s %s%n", "Params:", Format.params(m.params()));
      ctx.out().printf("%-9s %s%n", "Metrics:", Format.metrics(m.metrics(), 20));
      return 0;
    }
  }

  @Command(
      name = "path",
      description =
          "Print the directory of a model version, for scripts: cd $(mlscale models path digits)")
  static final class PathOf extends CliCommand {
    @Parameters(paramLabel = "NAME[:VERSION]", description = "The latest version when none given.")
    String ref;

    @Override
    public Integer call() {
      ctx.out().println(ctx.models().get(ref).path());
      return 0;
    }
  }
}

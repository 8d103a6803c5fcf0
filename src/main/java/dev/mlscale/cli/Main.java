package dev.mlscale.cli;

import dev.mlscale.error.MlscaleException;
import dev.mlscale.spec.JobSpec;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.sweep.SweepSpec;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code mlscale} command: parses arguments and hands over to a subcommand. */
@Command(
    name = "mlscale",
    versionProvider = Main.Version.class,
    description = "Run, sweep and pipeline ML training jobs on this machine or on Kubernetes.",
    footer = {
      "",
      "Exit codes: 0 success, 1 a job failed, 2 a mistake in the input, 3 the machine or cluster"
          + " could not do it, 130 cancelled."
    })
public final class Main extends CommandGroup {
  /**
   * The subcommands, in the order help lists them. They are added in {@link #execute}, not in the
   * annotation: building picocli's model of every command costs about 80 ms of CPU at start, and a
   * command line that names its subcommand needs only that one's.
   */
  private static final List<Class<?>> SUBCOMMANDS =
      List.of(
          RunCommand.class,
          LsCommand.class,
          StatusCommand.class,
          LogsCommand.class,
          CancelCommand.class,
          ModelsCommand.class,
          RenderCommand.class,
          DeleteCommand.class,
          SweepCommand.class,
          PipelineCommand.class,
          NotebookCommand.class,
          ClusterCommand.class,
          TopCommand.class,
          AutoComplete.GenerateCompletion.class);

  public static void main(String[] args) {
    if (Runtime.version().feature() < 21) {
      // vfork starts a child without the helper process that posix_spawn runs first (a process
      // less for each attempt's supervisor); Java 21 deprecates it, and there it stays as it is
      System.setProperty("jdk.lang.Process.launchMechanism", "VFORK");
    }
    int code;
    try (Context ctx =
        new Context(System.getenv(), System.out, System.err, Clock.systemDefaultZone())) {
      if (args.length > 0 && List.of("run", "sweep", "pipeline").contains(args[0])) {
        // the spec's deserialisers and the database's driver are made ready beside picocli's
        // model of the command line
        Thread warm = new Thread(() -> warmUp(ctx), "mlscale-warm-up");
        warm.setDaemon(true);
        warm.start();
      }
      code = execute(ctx, args);
    }
    System.exit(code);
  }

  /** Runs the CLI with the given context; returns the exit code. Used by tests as well. */
  public static int execute(Context ctx, String... args) {
    Factory factory = new Factory(ctx);
    CommandLine cmd = new CommandLine(new Main(), factory);
    String first = args.length == 0 ? "" : args[0];
    // the completion script is written from the model of every command
    boolean named =
        !first.equals("generate-completion")
            && SUBCOMMANDS.stream().anyMatch(c -> nameOf(c).equals(first));
    for (Class<?> c : SUBCOMMANDS) {
      if (!named || nameOf(c).equals(first)) {
        cmd.addSubcommand(nameOf(c), new CommandLine(c, factory));
      }
    }
    cmd.setOut(new PrintWriter(ctx.out(), true));
    cmd.setErr(new PrintWriter(ctx.err(), true));
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    CommandLine completion = cmd.getSubcommands().get("generate-completion");
    if (completion != null) {
      completion.getCommandSpec().usageMessage().hidden(false);
    }
    cmd.setExecutionExceptionHandler(
        (ex, commandLine, parseResult) -> {
          if (ex instanceof MlscaleException e) {
            ctx.err().println(ctx.style().red("error: ") + e.getMessage());
            return e.exitCode();
          }
          ctx.err().println("internal error (please report it): " + ex);
          ex.printStackTrace(ctx.err());
          return 70;
        });
    return cmd.execute(args);
  }

  /**
   * Makes Jackson build its deserialisers for the job and sweep specs now, from small specs of its
   * own, and loads the database driver's native library: about 100 ms of a command's start, which
   * this thread spends while picocli builds the command line on the main thread. Failures are
   * ignored: the real load and open say what is wrong.
   */
  private static void warmUp(Context ctx) {
    try {
      SpecLoader loader = new SpecLoader();
      loader.parse("name: w\ncommand: [w]\nparams: {x: 1}\n", "warm-up", JobSpec.class, List.of());
      SweepSpec sweep =
          loader.parse(
              "name: w\njob: w.yaml\nobjective: {metric: m, goal: minimize}\n"
                  + "space: {x: {uniform: [0, 1]}}\n",
              "warm-up",
              SweepSpec.class,
              List.of());
      SpecLoader.mapper().writeValueAsString(sweep); // a sweep's spec is stored as JSON
    } catch (RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
      // the real load reports it
    }
    dev.mlscale.store.Database.warmUp(ctx.home());
  }

  private static String nameOf(Class<?> command) {
    return command.getAnnotation(Command.class).name();
  }

  /** Builds commands, handing each {@link CliCommand} the {@link Context}. */
  private record Factory(Context ctx) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      K created = CommandLine.defaultFactory().create(cls);
      if (created instanceof CliCommand command) {
        command.ctx = ctx;
      }
      return created;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"mlscale " + (v == null ? "dev" : v)};
    }
  }

  static PrintStream out(Context ctx) {
    return ctx.out();
  }

  static Map<String, String> env(Context ctx) {
    return ctx.env();
  }
}

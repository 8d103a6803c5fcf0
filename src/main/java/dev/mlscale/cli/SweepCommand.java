package dev.mlscale.cli;

import dev.mlscale.error.UserError;
import dev.mlscale.spec.SpecLoader;
import dev.mlscale.store.OwnerLock;
import dev.mlscale.store.SweepStore;
import dev.mlscale.sweep.Dimension;
import dev.mlscale.sweep.GridSampler;
import dev.mlscale.sweep.SweepRunner;
import dev.mlscale.sweep.SweepSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "sweep",
    description =
        "Hyper-parameter sweeps: Gaussian-process, TPE, random or grid search with early stopping.",
    subcommands = {SweepRun.class, SweepResume.class, SweepShow.class, SweepLs.class})
final class SweepCommand extends CommandGroup {
  static SweepSpec load(Path file, List<String> overrides) {
    SweepSpec spec = new SpecLoader().load(file, SweepSpec.class, overrides).spec();
    SpecLoader.writtenAt(file, "/auto_reason")
        .ifPresent(
            at -> {
              // mlscale's own record of what 'algorithm: auto' picked, not a field to write
              throw new UserError(
                  at, "unknown field 'auto_reason'; mlscale writes it when algorithm is auto");
            });
    if (spec.algorithm() == SweepSpec.Algorithm.GRID) {
      // refuses an infinite space now, not after trials ran
      Map<String, Dimension> space = spec.dimensions();
      GridSampler.infinite(space)
          .ifPresent(
              name -> {
                throw SpecLoader.errorAt(
                    file, "/space/" + name, GridSampler.notFinite(name, space.get(name)));
              });
    }
    return spec;
  }

  /**
   * Makes this process the sweep's only owner until the lock is closed; refuses (exit 2) while
   * another process owns it, naming that process.
   */
  static OwnerLock own(Context ctx, String id) {
    return OwnerLock.claimOrRefuse(
        lockFile(ctx, id),
        ctx.clock().instant(),
        "sweep " + id,
        "sweep",
        "mlscale sweep show " + id);
  }

  static Path lockFile(Context ctx, String id) {
    return ctx.home().sweep(id).resolve("owner.lock");
  }

  /** A sweep's state and message as shown: a Running sweep whose owner is gone is Interrupted. */
  record Shown(String state, String message) {}

  static Shown shown(Context ctx, SweepStore.SweepRecord r) {
    if (!"Running".equals(r.state())) {
      return new Shown(r.state(), r.message());
    }
    return OwnerLock.gone(lockFile(ctx, r.id()), r.ownerPid())
        .map(
            gone ->
                new Shown(
                    "Interrupted", gone + "; 'mlscale sweep resume " + r.id() + "' continues it"))
        .orElse(new Shown(r.state(), r.message()));
  }

  static Path jobFile(Path sweepFile, SweepSpec spec) {
    return sweepFile.toAbsolutePath().getParent().resolve(spec.job()).normalize();
  }

  /** The verbose flag of the commands that run a sweep. */
  static final class Verbose {
    @Option(
        names = {"-v", "--verbose"},
        description = "Show the trials' output and states.")
    boolean on;
  }

  /** Prints how a sweep ended (its trials, the best, the model) and says its exit code. */
  static int report(Context ctx, String id, SweepSpec spec, SweepRunner.Result result) {
    ctx.err().println();
    SweepPrinter.table(ctx, spec, result.trials());
    ctx.err().println("sweep " + id + " " + result.state().toLowerCase() + ": " + result.message());
    result
        .best()
        .ifPresent(
            b ->
                ctx.err()
                    .println(
                        "best: trial "
                            + b.number()
                            + " "
                            + spec.objective().metric()
                            + "="
                            + Format.number(b.objective())
                            + "  "
                            + Format.params(b.params())));
    if (result.model() != null) {
      ctx.err().println("model: " + result.model().ref() + "  (" + result.model().path() + ")");
    }
    ctx.err().println("plots: mlscale sweep show " + id + " --plots DIR");
    if ("Cancelled".equals(result.state())) {
      ctx.err().println("'mlscale sweep resume " + id + "' continues it");
      return 130;
    }
    return "Succeeded".equals(result.state()) ? 0 : 1;
  }

  static String json(SweepSpec spec) {
    try {
      return SpecLoader.mapper().writeValueAsString(spec);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.mlscale.cli;

import dev.mlscale.store.OwnerLock;
import dev.mlscale.store.PipelineStore;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One owner per local pipeline run, as for sweeps: the process that runs it holds an OS lock on
 * {@code runs/ID/owner.lock} for its life; a Running run whose owner is gone is Interrupted.
 */
final class PipelineOwners {
  private PipelineOwners() {}

  static Path lockFile(Context ctx, String id) {
    return ctx.home().runs().resolve(id).resolve("owner.lock");
  }

  /**
   * Makes this process the run's only owner until the lock is closed; refuses (exit 2) while
   * another process owns it, naming that process.
   */
  static OwnerLock own(Context ctx, String id) {
    return OwnerLock.claimOrRefuse(
        lockFile(ctx, id),
        ctx.clock().instant(),
        "pipeline run " + id,
        "pipeline",
        "mlscale pipeline status " + id + " -w");
  }

  /**
   * Why a run recorded as Running is Interrupted (its owner is gone) and how to continue it; empty
   * for a run that ended or whose owner lives.
   */
  static Optional<String> interrupted(Context ctx, PipelineStore.PipelineRecord p) {
    if (!"Running".equals(p.state())) {
      return Optional.empty();
    }
    return OwnerLock.gone(lockFile(ctx, p.id()), p.ownerPid())
        .map(gone -> gone + "; 'mlscale pipeline resume " + p.id() + "' continues it");
  }
}

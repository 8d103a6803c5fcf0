package dev.mlscale.cli;

import dev.mlscale.backend.local.LocalBackend;
import dev.mlscale.store.RunRecord;
import dev.mlscale.store.RunState;

/** How a stored run is shown, including runs whose mlscale process died before they ended. */
final class RunViews {
  private RunViews() {}

  /** A run that is not final but whose owning mlscale process is gone can never finish. */
  static boolean isLost(RunRecord r) {
    return !r.state().isFinal()
        && r.ownerPid() != null
        && ProcessHandle.of(r.ownerPid()).map(ProcessHandle::isAlive).orElse(false) == false;
  }

  static String state(RunRecord r) {
    return isLost(r) ? "Lost" : r.state().display();
  }

  static String reason(RunRecord r) {
    return isLost(r) ? "OwnerGone" : r.reason();
  }

  /** In words: how it ended, or for a lost run what happened to it since its owner died. */
  static String message(RunRecord r) {
    if (isLost(r)) {
      return "the mlscale process that ran it (pid "
          + r.ownerPid()
          + ") is gone"
          + LocalBackend.unwatched(r).map(u -> "; " + u).orElse("");
    }
    return r.message();
  }

  static boolean isFinalState(RunState s) {
    return s.isFinal();
  }
}

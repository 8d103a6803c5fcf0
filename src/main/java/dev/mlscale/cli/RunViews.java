package dev.mlscale.cli;

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
    if (isLost(r)) {
      return "the mlscale process that ran it (pid " + r.ownerPid() + ") is gone";
    }
    return r.reason();
  }

  static boolean isFinalState(RunState s) {
    return s.isFinal();
  }
}

package dev.mlscale.sweep;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One trial of a sweep as the search sees it: its parameters and, once it has ended, its state and
 * objective value.
 */
public record Trial(
    int number,
    Map<String, Object> params,
    TrialState state,
    Double objective,
    String runId,
    String reason) {
  public Trial {
    params = Collections.unmodifiableMap(new LinkedHashMap<>(params)); // the sampler's order
  }

  /** This trial with its parameters in this order (the space's), any others after them. */
  public Trial inOrder(Collection<String> names) {
    Map<String, Object> ordered = new LinkedHashMap<>();
    for (String n : names) {
      if (params.containsKey(n)) {
        ordered.put(n, params.get(n));
      }
    }
    params.forEach(ordered::putIfAbsent);
    return new Trial(number, ordered, state, objective, runId, reason);
  }

  public boolean completed() {
    return state == TrialState.COMPLETED && objective != null;
  }

  /** How a trial stands. PRUNED trials were stopped early; their last value still counts. */
  public enum TrialState {
    RUNNING,
    COMPLETED,
    PRUNED,
    FAILED;

    public boolean isFinal() {
      return this != RUNNING;
    }

    public String display() {
      return name().charAt(0) + name().substring(1).toLowerCase();
    }
  }
}

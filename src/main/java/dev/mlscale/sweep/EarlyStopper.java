package dev.mlscale.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Decides, from intermediate values of the objective metric, whether a running trial should stop.
 * Thread-safe: trials report from their own threads.
 */
public final class EarlyStopper {
  private final SweepSpec.EarlyStopping rule;
  private final SweepSpec.Objective objective;

  /** trial -> step -> value, for every trial seen, running or ended. */
  private final Map<Integer, NavigableMap<Long, Double>> curves = new ConcurrentHashMap<>();

  private final Map<Integer, Boolean> ended = new ConcurrentHashMap<>();

  public EarlyStopper(SweepSpec.EarlyStopping rule, SweepSpec.Objective objective) {
    this.rule = rule;
    this.objective = objective;
  }

  /** Records an intermediate value of a trial's objective at a step. */
  public void report(int trial, long step, double value) {
    curves.computeIfAbsent(trial, k -> new TreeMap<>()).put(step, value);
  }

  /** Marks a trial ended, so its curve serves as a reference for the others. */
  public void ended(int trial) {
    ended.put(trial, true);
  }

  /**
   * Whether trial {@code trial}, which just reported at {@code step}, should stop, and why. Null
   * when it should go on.
   */
  public synchronized String shouldStop(int trial, long step) {
    if (rule == null || step < rule.minSteps()) {
      return null;
    }
    NavigableMap<Long, Double> mine = curves.get(trial);
    if (mine == null) {
      return null;
    }
    return "median".equals(rule.rule()) ? median(trial, step, mine) : asha(trial, step, mine);
  }

  /** The median stopping rule (Golovin et al. 2017, as in Vizier and Katib). */
  private String median(int trial, long step, NavigableMap<Long, Double> mine) {
    double best = bestUpTo(mine, step);
    List<Double> others = new ArrayList<>();
    for (Map.Entry<Integer, NavigableMap<Long, Double>> e : curves.entrySet()) {
      if (e.getKey() != trial && ended.containsKey(e.getKey())) {
        NavigableMap<Long, Double> curve = e.getValue().headMap(step, true);
        if (!curve.isEmpty()) {
          others.add(curve.values().stream().mapToDouble(Double::doubleValue).average().orElse(0));
        }
      }
    }
    if (others.size() < 2) {
      return null;
    }
    others.sort(null);
    double median =
        others.size() % 2 == 1
            ? others.get(others.size() / 2)
            : (others.get(others.size() / 2 - 1) + others.get(others.size() / 2)) / 2;
    if (objective.better(median, best)) {
      return String.format(
          "best %s=%.4g by step %d is worse than the median %.4g of %d ended" + " trials",
          objective.metric(), best, step, median, others.size());
    }
    return null;
  }

  /**
   * Asynchronous successive halving (Li et al. 2020): rungs at min_steps * rf^k; a trial at a rung
   * goes on only if it is in the top 1/rf of all trials that reached that rung.
   */
  private String asha(int trial, long step, NavigableMap<Long, Double> mine) {
    long rung = rule.minSteps();
    while (rung * rule.reductionFactor() <= step) {
      rung *= rule.reductionFactor();
    }
    if (step != rung) {
      return null;
    }
    double value = bestUpTo(mine, rung);
    List<Double> atRung = new ArrayList<>();
    for (NavigableMap<Long, Double> curve : curves.values()) {
      if (curve.ceilingKey(rung) != null || curve.containsKey(rung)) {
        atRung.add(bestUpTo(curve, rung));
      }
    }
    int keep = Math.max(1, atRung.size() / rule.reductionFactor());
    atRung.sort((a, b) -> objective.better(a, b) ? -1 : objective.better(b, a) ? 1 : 0);
    double cutoff = atRung.get(Math.min(keep, atRung.size()) - 1);
    if (atRung.size() >= rule.reductionFactor() && objective.better(cutoff, value)) {
      return String.format(
          "at rung %d its %s=%.4g is not in the top 1/%d of %d trials (cut-off" + " %.4g)",
          rung, objective.metric(), value, rule.reductionFactor(), atRung.size(), cutoff);
    }
    return null;
  }

  private double bestUpTo(NavigableMap<Long, Double> curve, long step) {
    double best = Double.NaN;
    for (double v : curve.headMap(step, true).values()) {
      if (Double.isNaN(best) || objective.better(v, best)) {
        best = v;
      }
    }
    return best;
  }
}

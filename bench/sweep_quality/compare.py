"""The sweep-quality table: mlscale's gp and tpe against Optuna's default TPE (and GPSampler).

Reads bench/results/sweep_quality_*.json and prints a Markdown table per (function, budget,
max_parallel): mean and median simple regret of each sampler, mlscale random's mean for scale,
wins per seed against Optuna's TPE (lower regret; ties are not wins), and the
two-sided p-value of a paired permutation test on log10 regret (the sign of each seed's
difference flipped at random, 10,000 times, seeded). Standard library only.
"""

import decimal
import glob
import json
import math
import random
import statistics
from collections import defaultdict

PERMUTATIONS = 10_000
FLOOR = 1e-12  # regret below this counts as this, so the logarithm stays finite


MS = defaultdict(list)  # (sampler, function) -> ms per suggestion at 100 trials, per sweep


def load(path):
    rows = defaultdict(dict)
    for r in json.load(open(path)):
        rows[(r["sampler"], r["function"], r["budget"], r["parallel"])][r["seed"]] = r["regret"]
        if "suggest_ms_at_100" in r:
            MS[(r["sampler"], r["function"])].append(r["suggest_ms_at_100"])
    return rows


def permutation_p(diffs, seed=20261130):
    """Two-sided paired permutation (sign-flip) test of mean(diffs) == 0."""
    rng = random.Random(seed)
    observed = abs(sum(diffs))
    hits = 0
    for _ in range(PERMUTATIONS):
        if abs(sum(d if rng.random() < 0.5 else -d for d in diffs)) >= observed - 1e-12:
            hits += 1
    return (hits + 1) / (PERMUTATIONS + 1)


def fmt(x):
    if x == 0:
        return "0"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 0.01:
        return f"{x:.3g}" if abs(x) < 10 else f"{x:.1f}"
    return format(decimal.Decimal(f"{x:.2g}"), "f")  # 0.000091, not 9.1e-05


def pfmt(p):
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def mean_median(rows, key):
    if key not in rows:
        return "-"
    v = list(rows[key].values())
    return f"{fmt(statistics.mean(v))} / {fmt(statistics.median(v))}"


def versus(a, b):
    """Wins of a over b per seed (lower regret), the seeds in common, and the permutation p."""
    common = sorted(set(a) & set(b))
    la = [math.log10(max(a[s], FLOOR)) for s in common]
    lb = [math.log10(max(b[s], FLOOR)) for s in common]
    wins = sum(a[s] < b[s] for s in common)
    return wins, len(common), permutation_p([x - y for x, y in zip(la, lb)])


def main():
    rows = {}
    for path in sorted(glob.glob("bench/results/sweep_quality_*.json")):
        if not path.endswith("_probe.json"):
            rows.update(load(path))
    optuna_tpe = next(k[0] for k in rows if k[0].startswith("optuna") and k[0].endswith("tpe"))
    optuna_gp = next((k[0] for k in rows if k[0].startswith("optuna") and k[0].endswith("gp")),
                     None)
    keys = sorted({k[1:] for k in rows}, key=lambda k: (FUNCS.index(k[0]), k[2], k[1]))
    seeds = len(rows[("mlscale gp", keys[0][0], keys[0][1], keys[0][2])])
    print(f"Simple regret (best found - global minimum), mean / median over {seeds} seeds "
          f"({optuna_tpe} and {optuna_gp or 'no Optuna GP'} with default settings). "
          f"Wins and p: mlscale gp against Optuna TPE, seed by seed (p: paired permutation test "
          f"on log10 regret, two-sided).\n")
    print("| function | trials | parallel | mlscale gp | Optuna TPE | mlscale tpe | Optuna GP "
          "| random (mean) | gp wins vs Optuna TPE | p | mlscale tpe wins vs Optuna TPE | p |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for fn, budget, par in keys:
        gp = rows[("mlscale gp", fn, budget, par)]
        tpe = rows[("mlscale tpe", fn, budget, par)]
        theirs = rows[(optuna_tpe, fn, budget, par)]
        rnd = rows[("mlscale random", fn, budget, par)]
        w, n, p = versus(gp, theirs)
        tw, tn, tp = versus(tpe, theirs)
        ogp = (optuna_gp, fn, budget, par)
        ogp_text = mean_median(rows, ogp)
        if ogp in rows:
            ogp_text += f" ({len(rows[ogp])} seeds)"
        print(f"| {fn} | {budget} | {par} | {mean_median(rows, ('mlscale gp', fn, budget, par))}"
              f" | {mean_median(rows, (optuna_tpe, fn, budget, par))}"
              f" | {mean_median(rows, ('mlscale tpe', fn, budget, par))} | {ogp_text}"
              f" | {fmt(statistics.mean(rnd.values()))} | {w} of {n} | {pfmt(p)}"
              f" | {tw} of {tn} | {pfmt(tp)} |")
    if optuna_gp:
        print(f"\nmlscale gp against {optuna_gp}, on the seeds both ran:\n")
        print("| function | trials | parallel | mlscale gp wins | p |")
        print("|---|---|---|---|---|")
        for fn, budget, par in keys:
            if (optuna_gp, fn, budget, par) in rows:
                w, n, p = versus(rows[("mlscale gp", fn, budget, par)],
                                 rows[(optuna_gp, fn, budget, par)])
                print(f"| {fn} | {budget} | {par} | {w} of {n} | {pfmt(p)} |")
    print("\nTime per suggestion at 100 trials (mean of the last ten suggestions of each sweep, ms; "
          "mlscale's seeds ran two at a time on a shared 2-core machine):\n")
    print("| sampler | " + " | ".join(FUNCS) + " |")
    print("|---|" + "---|" * len(FUNCS))
    for sampler in sorted({k[0] for k in rows}):
        cells = []
        for fn in FUNCS:
            ms = MS.get((sampler, fn), [])
            cells.append(f"{statistics.mean(ms):.0f}" if ms else "-")
        print(f"| {sampler} | " + " | ".join(cells) + " |")


FUNCS = ["branin", "hartmann6", "rosenbrock4", "ackley5", "mixed"]

if __name__ == "__main__":
    main()

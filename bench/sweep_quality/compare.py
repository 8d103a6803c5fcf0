"""The sweep-quality table: mlscale's tpe against Optuna's default TPE, seed by seed.

Reads bench/results/sweep_quality_mlscale.json and bench/results/sweep_quality_optuna.json and
prints a Markdown table per (function, budget, max_parallel): mean and median simple regret of
each, mlscale random's mean for scale, wins per seed (lower regret; ties are not wins), and the
two-sided p-value of a paired permutation test on log10 regret (the sign of each seed's
difference flipped at random, 10,000 times, seeded). Standard library only.
"""

import decimal
import json
import math
import random
import statistics
from collections import defaultdict

PERMUTATIONS = 10_000
FLOOR = 1e-12  # regret below this counts as this, so the logarithm stays finite


def load(path):
    rows = defaultdict(dict)
    name = None
    for r in json.load(open(path)):
        rows[(r["sampler"], r["function"], r["budget"], r["parallel"])][r["seed"]] = r["regret"]
        name = name or r["sampler"]
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


def main():
    rows = load("bench/results/sweep_quality_mlscale.json")
    rows.update(load("bench/results/sweep_quality_optuna.json"))
    optuna_name = next(k[0] for k in rows if k[0].startswith("optuna"))
    keys = sorted({k[1:] for k in rows}, key=lambda k: (FUNCS.index(k[0]), k[2], k[1]))
    seeds = len(next(iter(rows.values())))
    print(f"Simple regret (best found - global minimum), {seeds} seeds; "
          f"mlscale tpe vs {optuna_name} (default settings)\n")
    print("| function | trials | parallel | mlscale tpe mean / median | Optuna TPE mean / median "
          "| mlscale random mean | mean log10 regret, mlscale / Optuna | mlscale wins | p |")
    print("|---|---|---|---|---|---|---|---|---|")
    for fn, budget, par in keys:
        ours = rows[("mlscale tpe", fn, budget, par)]
        theirs = rows[(optuna_name, fn, budget, par)]
        rnd = rows[("mlscale random", fn, budget, par)]
        common = sorted(set(ours) & set(theirs))
        a = [ours[s] for s in common]
        b = [theirs[s] for s in common]
        la = [math.log10(max(x, FLOOR)) for x in a]
        lb = [math.log10(max(x, FLOOR)) for x in b]
        wins = sum(x < y for x, y in zip(a, b))
        p = permutation_p([x - y for x, y in zip(la, lb)])
        print(f"| {fn} | {budget} | {par} | {fmt(statistics.mean(a))} / {fmt(statistics.median(a))}"
              f" | {fmt(statistics.mean(b))} / {fmt(statistics.median(b))}"
              f" | {fmt(statistics.mean(rnd.values()))}"
              f" | {statistics.mean(la):.2f} / {statistics.mean(lb):.2f}"
              f" | {wins} of {len(common)} | {p:.3f} |")


FUNCS = ["branin", "hartmann6", "rosenbrock4", "ackley5", "mixed"]

if __name__ == "__main__":
    main()

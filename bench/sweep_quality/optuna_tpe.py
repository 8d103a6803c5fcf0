"""Optuna's default TPESampler (and its GPSampler) on the functions of SweepQualityBench, alike.

Same functions, spaces, seeds (0..SEEDS-1), 100 trials per sweep with the regret after 40, 60 and
100, max_parallel 1 and 4 (synchronous batches: ask four, then tell four; Optuna's default
constant liar sees the asked ones as running). Run in the bench-only virtualenv
bench/.venv-optuna (see bench/sweep_quality.sh). Writes bench/results/sweep_quality_optuna.json.
GPSampler (Optuna's default settings; it needs torch and scipy, which bench/sweep_quality.sh
installs in the same virtualenv) only when asked: Usage: optuna_tpe.py [SEEDS] [tpe,gp] [1,4]
The rows carry the mean time of the last ten suggestions of each 100-trial sweep.
"""

import json
import math
import pathlib
import sys
import time

import optuna

BUDGETS = (40, 60, 100)
PARALLEL = (1, 4)

A = (1.0, 1.2, 3.0, 3.2)
M = ((10, 3, 17, 3.5, 1.7, 8), (0.05, 10, 17, 0.1, 8, 14),
     (3, 3.5, 1.7, 10, 17, 8), (17, 8, 0.05, 10, 0.1, 14))
Q = ((1312, 1696, 5569, 124, 8283, 5886), (2329, 4135, 8307, 3736, 1004, 9991),
     (2348, 1451, 3522, 2883, 3047, 6650), (4047, 8828, 8732, 5743, 1091, 381))


def box(trial, d, low, high):
    return [trial.suggest_float(f"x{j}", low, high) for j in range(d)]


def branin(trial):
    x = trial.suggest_float("x0", -5, 10)
    y = trial.suggest_float("x1", 0, 15)
    return ((y - 5.1 / (4 * math.pi ** 2) * x * x + 5 / math.pi * x - 6) ** 2
            + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10)


def hartmann6(trial):
    x = box(trial, 6, 0, 1)
    return -sum(A[i] * math.exp(-sum(M[i][j] * (x[j] - Q[i][j] * 1e-4) ** 2 for j in range(6)))
                for i in range(4))


def rosenbrock4(trial):
    x = box(trial, 4, -2.048, 2.048)
    return sum(100 * (x[j + 1] - x[j] ** 2) ** 2 + (1 - x[j]) ** 2 for j in range(3))


def ackley5(trial):
    x = box(trial, 5, -32.768, 32.768)
    squares = sum(v * v for v in x)
    cosines = sum(math.cos(2 * math.pi * v) for v in x)
    return -20 * math.exp(-0.2 * math.sqrt(squares / 5)) - math.exp(cosines / 5) + 20 + math.e


def mixed(trial):
    opt = trial.suggest_categorical("opt", ["sgd", "adam", "rmsprop"])
    layers = trial.suggest_int("layers", 1, 20)
    lr = trial.suggest_float("lr", 1e-6, 1, log=True)
    k = ["sgd", "adam", "rmsprop"].index(opt)
    best_lr = [-1.5, -3.5, -2.5][k]
    return [0.5, 0, 0.3][k] + ((layers - 7) / 4) ** 2 + (math.log10(lr) - best_lr) ** 2


PROBLEMS = (("branin", branin, 0.397887357729738), ("hartmann6", hartmann6, -3.32236801141551),
            ("rosenbrock4", rosenbrock4, 0.0), ("ackley5", ackley5, 0.0), ("mixed", mixed, 0.0))


SAMPLERS = {"tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
            "gp": lambda seed: optuna.samplers.GPSampler(seed=seed)}


def best_so_far(f, sampler, trials, parallel):
    study = optuna.create_study(sampler=sampler)
    best, out, last_ten = math.inf, [], 0.0
    for start in range(0, trials, parallel):
        batch = []
        for i in range(start, min(trials, start + parallel)):
            t0 = time.perf_counter()
            t = study.ask()
            v = f(t)  # the parameters are sampled here, the batch's earlier trials still running
            if i >= trials - 10:
                last_ten += time.perf_counter() - t0
            batch.append((t, v))
        for t, v in batch:
            study.tell(t, v)
            best = min(best, v)
            out.append(best)
    return out, last_ten / 10 * 1000


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    names = sys.argv[2].split(",") if len(sys.argv) > 2 else ["tpe"]
    parallels = [int(p) for p in sys.argv[3].split(",")] if len(sys.argv) > 3 else PARALLEL
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    for name_ in names:
        rows = []
        for name, f, minimum in PROBLEMS:
            for parallel in parallels:
                for seed in range(seeds):
                    best, ms = best_so_far(f, SAMPLERS[name_](seed), BUDGETS[-1], parallel)
                    for budget in BUDGETS:
                        row = {"sampler": f"optuna {optuna.__version__} {name_}", "function": name,
                               "parallel": parallel, "seed": seed, "budget": budget,
                               "regret": best[budget - 1] - minimum}
                        if budget == BUDGETS[-1]:
                            row["suggest_ms_at_100"] = ms
                        rows.append(row)
            suffix = "" if name_ == "tpe" else "_" + name_
            out = pathlib.Path(f"bench/results/sweep_quality_optuna{suffix}.json")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(rows, indent=1))  # after each function: a cut-short run
            # keeps what it measured


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Sweep controller overhead per trial, against running the same trials without mlscale.

Baseline: the same N trivial trials (a Python process that reports one metric) started directly,
max_parallel at a time. mlscale: `mlscale sweep run` of a random sweep with N trials. Both in the
same run; reports the ratio and the overhead per trial.
Usage: bench/sweep_overhead.py [--trials N] [--parallel P]. Writes bench/results/sweep_overhead.json.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLSCALE = os.path.join(ROOT, "mlscale")
TRIAL = "import json, os; x = float(json.load(open(os.environ['P']))['x']); print('mlscale:metric score=%f' % (x * x))"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    subprocess.run([MLSCALE, "--version"], check=True, stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory() as tmp:
        # baseline: the same trials, run directly
        def direct(i):
            p = os.path.join(tmp, "p%d.json" % i)
            with open(p, "w") as f:
                json.dump({"x": i / args.trials}, f)
            subprocess.run(["python3", "-c", TRIAL], env=dict(os.environ, P=p), check=True,
                           stdout=subprocess.DEVNULL)

        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            list(pool.map(direct, range(args.trials)))
        baseline = time.perf_counter() - t0

        with open(os.path.join(tmp, "job.yaml"), "w") as f:
            f.write("name: t\ncommand: [python3, -c, %s]\nenv: {P: placeholder}\nparams: {x: 0}\n"
                    "resources: {cpu: 100m}\n" % json.dumps(
                        TRIAL.replace("os.environ['P']", "os.environ['MLSCALE_PARAMS_FILE']")))
        with open(os.path.join(tmp, "sweep.yaml"), "w") as f:
            f.write("name: bench\njob: job.yaml\nobjective: {metric: score, goal: minimize}\n"
                    "algorithm: random\nspace: {x: {uniform: [0, 1]}}\n"
                    "budget: {max_trials: %d, max_parallel: %d}\n" % (args.trials, args.parallel))
        env = dict(os.environ, MLSCALE_HOME=os.path.join(tmp, "home"), NO_COLOR="1")
        t0 = time.perf_counter()
        subprocess.run([MLSCALE, "sweep", "run", os.path.join(tmp, "sweep.yaml")], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        swept = time.perf_counter() - t0

    result = {"trials": args.trials, "parallel": args.parallel, "direct_s": baseline,
              "mlscale_sweep_s": swept, "ratio": swept / baseline,
              "overhead_per_trial_ms": (swept - baseline) * 1000 / args.trials}
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "sweep_overhead.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("%d trivial trials, %d at a time   direct %.2fs   mlscale sweep %.2fs   ratio %.2fx"
          % (args.trials, args.parallel, baseline, swept, swept / baseline))
    print("controller overhead per trial: %.0f ms (includes one JVM start for the whole sweep)"
          % result["overhead_per_trial_ms"])


if __name__ == "__main__":
    main()

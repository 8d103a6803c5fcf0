#!/usr/bin/env python3
"""Sweep controller overhead per trial, against running the same trials without mlscale.

Baseline: the same N trivial trials (a Python process that reports one metric) started directly,
max_parallel at a time. mlscale: `mlscale sweep run` of a random sweep with N trials. Both in the
same run; reports the ratio and the overhead per trial, in wall time and in CPU time (user + system
of every process, mlscale's JVM and the jobs' processes included; on a shared machine the CPU time
is the steadier figure). With --repeats R both are run R times, alternately, and the medians are
reported. Both sides start the interpreter running this script (sys.executable), so that a
version manager's shim (pyenv's `python3` is a bash script) does not add its own noise.
Usage: bench/sweep_overhead.py [--trials N] [--parallel P] [--repeats R].
Writes bench/results/sweep_overhead.json.
"""

import argparse
import concurrent.futures
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLSCALE = os.path.join(ROOT, "mlscale")
TRIAL = "import json, os; x = float(json.load(open(os.environ['P']))['x']); print('mlscale:metric score=%f' % (x * x))"


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def become_subreaper():
    """Orphans of our children become ours (Linux): mlscale's supervisor, which outlives mlscale's
    JVM by design, and the jobs it starts are then waited for here, and their CPU time counted."""
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def reap_orphans():
    """Waits for every process that was left to us (see become_subreaper)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if not become_subreaper():
        print("note: not a subreaper here; the CPU figures miss mlscale's supervisor and jobs")
    subprocess.run([MLSCALE, "--version"], check=True, stdout=subprocess.DEVNULL)
    runs = [measure(args) for _ in range(args.repeats)]
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    result = {"trials": args.trials, "parallel": args.parallel, "repeats": args.repeats,
              "direct_s": med["direct_s"], "mlscale_sweep_s": med["sweep_s"],
              "ratio": med["sweep_s"] / med["direct_s"],
              "overhead_per_trial_ms": med["overhead_ms"],
              "cpu_overhead_per_trial_ms": med["cpu_overhead_ms"],
              "each": runs}
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "sweep_overhead.json"), "w") as f:
        json.dump(result, f, indent=2)
    for r in runs:
        print("  direct %.2fs   sweep %.2fs   %.1f ms per trial   CPU %.1f ms per trial"
              % (r["direct_s"], r["sweep_s"], r["overhead_ms"], r["cpu_overhead_ms"]))
    print("%d trivial trials, %d at a time, %s   direct %.2fs   mlscale sweep %.2fs   ratio %.2fx"
          % (args.trials, args.parallel,
             "median of %d runs" % args.repeats if args.repeats > 1 else "one run",
             med["direct_s"], med["sweep_s"], result["ratio"]))
    print("controller overhead per trial: %.1f ms wall, %.1f ms CPU (includes one JVM start for"
          " the whole sweep)" % (med["overhead_ms"], med["cpu_overhead_ms"]))


def measure(args):
    """One direct run and one sweep, in that order: their times and the overhead per trial."""
    with tempfile.TemporaryDirectory() as tmp:
        # baseline: the same trials, run directly
        def direct(i):
            p = os.path.join(tmp, "p%d.json" % i)
            with open(p, "w") as f:
                json.dump({"x": i / args.trials}, f)
            subprocess.run([sys.executable, "-c", TRIAL], env=dict(os.environ, P=p), check=True,
                           stdout=subprocess.DEVNULL)

        c0 = children_cpu()
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            list(pool.map(direct, range(args.trials)))
        baseline = time.perf_counter() - t0
        baseline_cpu = children_cpu() - c0

        with open(os.path.join(tmp, "job.yaml"), "w") as f:
            f.write("name: t\ncommand: [%s, -c, %s]\nenv: {P: placeholder}\nparams: {x: 0}\n"
                    "resources: {cpu: 100m}\n" % (json.dumps(sys.executable), json.dumps(
                        TRIAL.replace("os.environ['P']", "os.environ['MLSCALE_PARAMS_FILE']"))))
        with open(os.path.join(tmp, "sweep.yaml"), "w") as f:
            f.write("name: bench\njob: job.yaml\nobjective: {metric: score, goal: minimize}\n"
                    "algorithm: random\nspace: {x: {uniform: [0, 1]}}\n"
                    "budget: {max_trials: %d, max_parallel: %d}\n" % (args.trials, args.parallel))
        env = dict(os.environ, MLSCALE_HOME=os.path.join(tmp, "home"), NO_COLOR="1")
        c0 = children_cpu()
        t0 = time.perf_counter()
        subprocess.run([MLSCALE, "sweep", "run", os.path.join(tmp, "sweep.yaml")], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        swept = time.perf_counter() - t0
        reap_orphans()  # the supervisor ends as soon as mlscale has: not timed, only counted
        swept_cpu = children_cpu() - c0
    return {"direct_s": baseline, "sweep_s": swept,
            "overhead_ms": (swept - baseline) * 1000 / args.trials,
            "cpu_overhead_ms": (swept_cpu - baseline_cpu) * 1000 / args.trials}


if __name__ == "__main__":
    main()

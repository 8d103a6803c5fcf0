#!/usr/bin/env python3
"""Distributed training on this machine: the same fixed LightGBM workload (examples/distributed)
with 1 and 2 workers, in one run, as ratios. Reports wall time of `mlscale run`, the training time
and the time to rendezvous (start of training to the first boosting round, which needs every peer)
that worker 0 reports, the median of N runs each.

    bench/distributed.py [--runs 3] [--rows 200000] [--rounds 100]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = os.path.join(ROOT, "examples", "distributed", "job.yaml")


def mlscale(home, *args):
    env = dict(os.environ, MLSCALE_HOME=home, NO_COLOR="1")
    return subprocess.run([os.path.join(ROOT, "mlscale"), *args], env=env, text=True,
                          capture_output=True)


def one(home, workers, rows, rounds):
    start = time.monotonic()
    r = mlscale(home, "run", SPEC, "--set", "distributed.workers=%d" % workers,
                "--set", "params.rows=%d" % rows, "--set", "params.rounds=%d" % rounds)
    wall = time.monotonic() - start
    if r.returncode != 0:
        sys.exit("mlscale run failed (%d):\n%s" % (r.returncode, r.stderr[-3000:]))
    runs = json.loads(mlscale(home, "ls", "-o", "json").stdout)
    status = json.loads(mlscale(home, "status", runs[0]["run"], "-o", "json").stdout)
    m = status["metrics"]
    return wall, m["train_seconds"], m["rendezvous_seconds"], m["loss"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--rows", type=int, default=200000)
    p.add_argument("--rounds", type=int, default=100)
    a = p.parse_args()
    home = tempfile.mkdtemp(prefix="mlscale-bench-dist-")
    one(home, 1, 1000, 2)  # builds the environment once, outside the measurement
    results = {}
    for workers in (1, 2):
        samples = [one(home, workers, a.rows, a.rounds) for _ in range(a.runs)]
        results[workers] = [statistics.median(s[i] for s in samples) for i in range(4)]
    one_w, two_w = results[1], results[2]
    print("%d rows, %d rounds, median of %d runs (nproc %d, load %.1f)"
          % (a.rows, a.rounds, a.runs, os.cpu_count(), os.getloadavg()[0]))
    print()
    print("| measure | 1 worker | 2 workers | ratio |")
    print("|---|---|---|---|")
    for name, i in (("`mlscale run` wall time", 0), ("training (worker 0)", 1),
                    ("time to rendezvous (worker 0)", 2)):
        print("| %s | %.2f s | %.2f s | %.2fx |" % (name, one_w[i], two_w[i], two_w[i] / one_w[i]))
    print("| validation loss | %.6f | %.6f | |" % (one_w[3], two_w[3]))


if __name__ == "__main__":
    main()

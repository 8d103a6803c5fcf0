#!/usr/bin/env python3
"""Local backend overhead, as ratios against baselines measured in the same run.

1. Per job: `mlscale run -q` of a trivial job versus starting the same command directly.
2. CLI start-up: `mlscale --version` versus a bare `java -version` (the JVM's own start-up).

Usage: bench/local_overhead.py [--runs N]   (from the repository root or anywhere)
Writes bench/results/local_overhead.json and prints a table. Numbers are medians of N runs.
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
MLSCALE = os.path.join(ROOT, "mlscale")
JOB_CMD = ["python3", "-c", "print('hello')"]


def timed(argv, env=None, runs=5):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    subprocess.run([MLSCALE, "--version"], check=True, stdout=subprocess.DEVNULL)  # build once
    with tempfile.TemporaryDirectory() as tmp:
        spec = os.path.join(tmp, "job.yaml")
        with open(spec, "w") as f:
            f.write("name: hello\ncommand: %s\n" % json.dumps(JOB_CMD))
        env = dict(os.environ, MLSCALE_HOME=os.path.join(tmp, "home"), NO_COLOR="1")

        direct, direct_s = timed(JOB_CMD, runs=args.runs)
        via, via_s = timed([MLSCALE, "run", "-q", spec], env=env, runs=args.runs)
        java, java_s = timed(["java", "-version"], runs=args.runs)
        cli, cli_s = timed([MLSCALE, "--version"], env=env, runs=args.runs)

    result = {
        "runs": args.runs,
        "job_direct_s": direct,
        "job_via_mlscale_s": via,
        "job_overhead_s": via - direct,
        "job_ratio": via / direct,
        "java_version_s": java,
        "mlscale_version_s": cli,
        "startup_ratio": cli / java,
        "samples": {"direct": direct_s, "mlscale": via_s, "java": java_s, "cli": cli_s},
    }
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "local_overhead.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("%-38s %10s %10s %8s" % ("measure (median of %d)" % args.runs, "baseline", "mlscale",
                                    "ratio"))
    print("%-38s %9.0fms %9.0fms %7.2fx" % ("one trivial job: direct vs mlscale run", direct * 1000,
                                             via * 1000, via / direct))
    print("%-38s %9.0fms %9.0fms %7.2fx" % ("start-up: java -version vs --version", java * 1000,
                                             cli * 1000, cli / java))
    print("overhead per job: %.0f ms" % ((via - direct) * 1000))


if __name__ == "__main__":
    sys.exit(main())

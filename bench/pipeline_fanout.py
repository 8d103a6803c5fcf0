#!/usr/bin/env python3
"""Pipeline benchmarks, each against a baseline measured in the same run.

1. Scheduling overhead per task: a pipeline fanning out to N trivial tasks (`mlscale pipeline run`)
   against the same N commands started directly, P at a time.
2. Compiling a large fan-out to an Argo Workflow: time, and the Workflow's size against the 1 MiB
   that Argo and etcd accept, for the tasks as one for_each (one template + withSequence) and
   the same tasks written out one by one (baseline, same run; mlscale refuses a Workflow over
   1 MiB with its size and the way out).
Usage: bench/pipeline_fanout.py [--tasks N] [--parallel P]. Writes bench/results/pipeline_fanout.json.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MLSCALE = os.path.join(ROOT, "mlscale")
CMD = ["python3", "-c", "pass"]


def pipeline(path, n, parallelism, image=None):
    rows = ", ".join("{i: %d}" % i for i in range(n))
    with open(path, "w") as f:
        f.write("name: fan\nparallelism: %d\ndag:\n" % parallelism)
        f.write("  - {name: t, %scommand: %s, for_each: [%s]}\n"
                % ("image: %s, " % image if image else "", json.dumps(CMD), rows))


def distinct(path, n, image):
    """The same n tasks written out one by one (no for_each): each is a template of its own."""
    with open(path, "w") as f:
        f.write("name: wide\nparallelism: 50\ndag:\n")
        for i in range(n):
            f.write("  - {name: t%d, image: %s, command: %s}\n" % (i, image, json.dumps(CMD)))


def compile_size(q, env):
    t0 = time.perf_counter()
    r = subprocess.run([MLSCALE, "pipeline", "render", "-o", "json", q], env=env,
                       capture_output=True, text=True)
    took = time.perf_counter() - t0
    if r.returncode == 0:
        items = json.loads(r.stdout)["items"]
        wf = [i for i in items if i["kind"] == "Workflow"][0]
        size = len(json.dumps(wf, separators=(",", ":")))
        return {"compile_s": took, "workflow_bytes": size, "accepted": True}
    m = re.search(r"Workflow of ([0-9.]+ \w+)", r.stderr)
    return {"compile_s": took, "workflow_size": m.group(1) if m else "?", "accepted": False,
            "message": r.stderr.strip()[:200]}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--parallel", type=int, default=2)
    args = parser.parse_args()
    subprocess.run([MLSCALE, "--version"], check=True, stdout=subprocess.DEVNULL)
    result = {"tasks": args.tasks, "parallel": args.parallel}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
            list(pool.map(lambda _: subprocess.run(CMD, check=True), range(args.tasks)))
        result["direct_s"] = time.perf_counter() - t0

        p = os.path.join(tmp, "fan.yaml")
        pipeline(p, args.tasks, args.parallel)
        env = dict(os.environ, MLSCALE_HOME=os.path.join(tmp, "home"), NO_COLOR="1")
        t0 = time.perf_counter()
        subprocess.run([MLSCALE, "pipeline", "run", "-q", p], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result["pipeline_s"] = time.perf_counter() - t0
        result["ratio"] = result["pipeline_s"] / result["direct_s"]
        result["overhead_per_task_ms"] = (result["pipeline_s"] - result["direct_s"]) * 1000 \
            / args.tasks

        sizes = {}
        for n in (100, 500, 1000):
            q = os.path.join(tmp, "c%d.yaml" % n)
            pipeline(q, n, 50, image="python:3.11-slim")
            d = os.path.join(tmp, "d%d.yaml" % n)
            distinct(d, n, "python:3.11-slim")
            sizes[n] = {"for_each": compile_size(q, env), "written_out": compile_size(d, env)}
        result["compile"] = sizes
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "pipeline_fanout.json"), "w") as f:
        json.dump(result, f, indent=2)
    print("%d trivial tasks, %d at a time: direct %.2fs, mlscale pipeline %.2fs (%.2fx), %.0f ms"
          " per task" % (args.tasks, args.parallel, result["direct_s"], result["pipeline_s"],
                         result["ratio"], result["overhead_per_task_ms"]))
    for n, both in sizes.items():
        for shape in ("for_each", "written_out"):
            s = both[shape]
            if s["accepted"]:
                print("compile %4d tasks as %-11s: %.2fs, Workflow %8d bytes (limit 1048576)"
                      % (n, shape, s["compile_s"], s["workflow_bytes"]))
            else:
                print("compile %4d tasks as %-11s: %.2fs, refused: Workflow of %s > 1 MiB"
                      % (n, shape, s["compile_s"], s["workflow_size"]))
        f, w = both["for_each"], both["written_out"]
        if f["accepted"] and w["accepted"]:
            print("  for_each Workflow is %.0fx smaller than the tasks written out"
                  % (w["workflow_bytes"] / f["workflow_bytes"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Simulated Argo executor outputs for KWOK pods (stdlib + kubectl only).

KWOK runs no containers, so Argo's `wait` container never reports a step's outputs (output
parameters, `outputs.result`), and the controller waits for them forever ("leaving phase
un-changed: required outputs are not yet set"). This process does what the real `argoexec wait`
does at the end of a pod: it writes a WorkflowTaskResult named after the pod's node ID, labelled
`workflows.argoproj.io/report-outputs-completed=true`, with the outputs taken from the pod's
annotation

    sim.mlscale.dev/argo-outputs: '{"parameters": [{"name": "best", "value": "0.97"}],
                                    "result": "42"}'

(JSON of Argo's `Outputs`; put it on `template.metadata.annotations`). Only pods of Workflows
that carry the annotation and have finished (Succeeded or Failed) get a task result.
Usage: sim-executor.py KUBECTL KUBECONFIG   (testenv/argo/up.sh starts it).
"""
import json
import subprocess
import sys
import time

ANNOTATION = "sim.mlscale.dev/argo-outputs"
kubectl = [sys.argv[1], "--kubeconfig", sys.argv[2]]
done = set()


def log(msg):
    print(time.strftime("[%H:%M:%S] ", time.gmtime()) + msg, flush=True)


def report(pod):
    meta = pod["metadata"]
    ann = meta.get("annotations") or {}
    node_id = ann.get("workflows.argoproj.io/node-id")
    workflow = (meta.get("labels") or {}).get("workflows.argoproj.io/workflow")
    if not node_id or not workflow:
        return
    try:
        outputs = json.loads(ann[ANNOTATION])
    except ValueError as e:
        log(f"{meta['namespace']}/{meta['name']}: bad {ANNOTATION}: {e}")
        return
    owners = [o for o in meta.get("ownerReferences") or [] if o.get("kind") == "Workflow"]
    result = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "WorkflowTaskResult",
        "metadata": {
            "name": node_id,
            "namespace": meta["namespace"],
            "labels": {"workflows.argoproj.io/workflow": workflow,
                       "workflows.argoproj.io/report-outputs-completed": "true"},
            # Owned by the Workflow, not the pod: pod GC may delete the pod at once.
            "ownerReferences": [{k: o[k] for k in ("apiVersion", "kind", "name", "uid")}
                                for o in owners],
        },
        "outputs": outputs,
    }
    p = subprocess.run(kubectl + ["create", "-f", "-", "-o", "name"], input=json.dumps(result),
                       capture_output=True, text=True)
    if p.returncode == 0 or "AlreadyExists" in p.stderr:
        log(f"{meta['namespace']}/{meta['name']}: task result {node_id} written")
    else:
        log(f"{meta['namespace']}/{meta['name']}: kubectl create failed: {p.stderr.strip()}")


def watch():
    cmd = kubectl + ["get", "pods", "--all-namespaces", "-l", "workflows.argoproj.io/workflow",
                     "--watch", "-o", "json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    # kubectl prints each object as indented JSON whose last line is "}" alone: parse once per
    # object there (parsing the growing text at every line is quadratic, and falls minutes
    # behind when a thousand pods finish at once)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.rstrip("\n") != "}":
            continue
        try:
            obj = json.loads("".join(lines))
        except ValueError:
            continue  # a "}" inside a string value: keep reading
        lines = []
        pods = obj.get("items", [obj]) if obj.get("kind") == "List" else [obj]
        for pod in pods:
            uid = pod["metadata"].get("uid")
            phase = (pod.get("status") or {}).get("phase")
            if uid in done or phase not in ("Succeeded", "Failed"):
                continue
            if ANNOTATION in (pod["metadata"].get("annotations") or {}):
                report(pod)
            done.add(uid)
    proc.wait()


log("sim-executor started")
while True:
    try:
        watch()
    except Exception as e:  # noqa: BLE001 - keep serving; the watch is restarted
        log(f"watch failed: {e!r}")
    time.sleep(1)

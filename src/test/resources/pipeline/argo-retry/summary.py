"""The same summary as ArgoRetryTest.summary, of what Argo's FormulateRetryWorkflow made."""
import json, sys
d = json.load(open(sys.argv[1]))
wf, pods = d["workflow"], d["pods"]
def text(v): return "" if v is None else str(v)
def stamp(v):
    v = text(v)
    return v if v.startswith("2026-11-30T10:") or v == "" else "NOW"
st = wf["status"]
s = {"pods": sorted(pods), "phase": text(st.get("phase")), "message": text(st.get("message")),
     "startedAt": stamp(st.get("startedAt")), "finishedAt": text(st.get("finishedAt")),
     "claims": len(st.get("persistentVolumeClaims") or []), "conditions": st.get("conditions", []),
     "labels": wf["metadata"]["labels"], "shutdown": text(wf["spec"].get("shutdown")), "nodes": {}}
for id in sorted(st["nodes"]):
    n = st["nodes"][id]
    s["nodes"][id] = {"phase": text(n.get("phase")), "message": text(n.get("message")),
                      "startedAt": stamp(n.get("startedAt")), "finishedAt": text(n.get("finishedAt")),
                      "children": n.get("children") or [], "outboundNodes": n.get("outboundNodes") or []}
print(json.dumps(s, indent=2))

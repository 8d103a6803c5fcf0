#!/usr/bin/env python3
"""Writes the Kueue objects the test cluster needs, from the release's own config/ in the module
cache, changed only where a controller running on this machine (not in a pod) requires it:

  crds     the CRDs with their conversion webhook (as Kueue's kustomization enables it), the
           clientConfig a loopback URL with our CA instead of a Service;
  webhooks the Mutating/ValidatingWebhookConfigurations for Kueue's own kinds and batch/v1 Jobs
           only (the one integration enabled), each a loopback URL with our CA. The Job webhooks
           get an objectSelector on the queue-name label, so Jobs without one (every other test's)
           never reach Kueue: a stopped Kueue cannot block them.

usage: manifests.py crds|webhooks MODULE_DIR URL_BASE CA_FILE
"""
import base64
import glob
import os
import sys

import yaml

QUEUE_LABEL = "kueue.x-k8s.io/queue-name"


def crds(module, url, ca):
    docs = []
    for path in sorted(glob.glob(os.path.join(module, "config/components/crd/bases/*.yaml"))):
        with open(path) as f:
            crd = yaml.safe_load(f)
        crd.pop("status", None)
        name = crd["metadata"]["name"]
        patch = os.path.join(module, "config/components/crd/patches",
                             "webhook_in_" + name.split(".")[0] + ".yaml")
        enabled = os.path.exists(patch) and "patches/webhook_in_" + name.split(".")[0] in open(
            os.path.join(module, "config/components/crd/kustomization.yaml")).read().replace(
            "#- path: patches/webhook_in_", "#")
        if enabled:
            crd["spec"]["conversion"] = {
                "strategy": "Webhook",
                "webhook": {
                    "clientConfig": {"url": url + "/convert", "caBundle": ca},
                    "conversionReviewVersions": ["v1"],
                },
            }
        docs.append(crd)
    return docs


def webhooks(module, url, ca):
    with open(os.path.join(module, "config/components/webhook/manifests.yaml")) as f:
        configs = [d for d in yaml.safe_load_all(f) if d]
    out = []
    for config in configs:
        kept = []
        for hook in config.get("webhooks") or []:
            groups = {g for rule in hook.get("rules") or [] for g in rule.get("apiGroups") or []}
            if groups == {"kueue.x-k8s.io"}:
                pass
            elif groups == {"batch"}:
                hook["objectSelector"] = {
                    "matchExpressions": [{"key": QUEUE_LABEL, "operator": "Exists"}]}
            else:
                continue
            path = hook["clientConfig"]["service"]["path"]
            hook["clientConfig"] = {"url": url + path, "caBundle": ca}
            hook["timeoutSeconds"] = 10
            kept.append(hook)
        config["webhooks"] = kept
        config["metadata"] = {"name": "kueue-" + config["metadata"]["name"],
                              "labels": {"testenv.mlscale.dev/part": "kueue"}}
        out.append(config)
    return out


def main():
    what, module, url, ca_file = sys.argv[1:5]
    with open(ca_file, "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    docs = crds(module, url, ca) if what == "crds" else webhooks(module, url, ca)
    yaml.safe_dump_all(docs, sys.stdout, sort_keys=False)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes a directory tree as a one-layer OCI image layout tar that `ctr images import` takes.

Nothing is pulled: the test node's images are made from files on this machine (a static pause
binary, Debian's python3.11 packages unpacked with dpkg -x). Standard library only.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile

MERGED = ("bin", "sbin", "lib", "lib64")


def merge_usr(root):
    """Debian's merged /usr: /bin, /sbin, /lib, /lib64 become links into /usr."""
    for d in MERGED:
        top, usr = os.path.join(root, d), os.path.join(root, "usr", d)
        if os.path.islink(top):
            continue
        os.makedirs(usr, exist_ok=True)
        if os.path.isdir(top):
            for name in os.listdir(top):
                src, dst = os.path.join(top, name), os.path.join(usr, name)
                if os.path.isdir(src) and not os.path.islink(src) and os.path.isdir(dst):
                    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
                    shutil.rmtree(src)
                else:
                    if os.path.lexists(dst):
                        os.remove(dst) if not os.path.isdir(dst) or os.path.islink(dst) else shutil.rmtree(dst)
                    os.rename(src, dst)
            os.rmdir(top)
        os.symlink("usr/" + d, top)


def debian_python(root):
    merge_usr(root)
    for link, target in (("usr/bin/python", "python3"), ("usr/local/bin/python", "/usr/bin/python3"),
                         ("usr/local/bin/python3", "/usr/bin/python3")):
        path = os.path.join(root, link)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not os.path.lexists(path):
            os.symlink(target, path)
    etc = os.path.join(root, "etc")
    os.makedirs(etc, exist_ok=True)
    files = {
        "passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
        "group": "root:x:0:\nnogroup:x:65534:\n",
        "hosts": "127.0.0.1 localhost\n",
    }
    for name, text in files.items():
        with open(os.path.join(etc, name), "w") as f:
            f.write(text)
    for d in ("tmp", "root", "var/tmp", "proc", "sys", "dev", "run"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    os.chmod(os.path.join(root, "var/tmp"), 0o1777)
    for d in ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale"):
        shutil.rmtree(os.path.join(root, d), ignore_errors=True)
    # The dynamic loader's cache, as a real install's ldconfig would leave it.
    subprocess.run(["/sbin/ldconfig", "-r", root], check=True)


def layer_bytes(root):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                info = tar.gettarinfo(full, arcname=os.path.relpath(full, root))
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isfile():
                    with open(full, "rb") as f:
                        tar.addfile(info, f)
                else:
                    tar.addfile(info)
    return raw.getvalue()


def blob(files, data):
    digest = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + digest] = data
    return "sha256:" + digest


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--ref", required=True, help="e.g. docker.io/library/python:3.11-slim")
    p.add_argument("--entrypoint", required=True)
    p.add_argument("--debian-python", action="store_true")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    if a.debian_python:
        debian_python(a.root)
    raw = layer_bytes(a.root)
    gz = gzip.compress(raw, compresslevel=6, mtime=0)
    files = {}
    layer = blob(files, gz)
    env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"]
    cfg = {"architecture": "amd64", "os": "linux",
           "config": {"Env": env, "Cmd": [a.entrypoint]},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}
    cfg_bytes = json.dumps(cfg, sort_keys=True).encode()
    cfg_digest = blob(files, cfg_bytes)
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cfg_digest, "size": len(cfg_bytes)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": layer, "size": len(gz)}]}
    m_bytes = json.dumps(manifest, sort_keys=True).encode()
    m_digest = blob(files, m_bytes)
    tag = a.ref.rsplit(":", 1)[1]
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": m_digest, "size": len(m_bytes),
                            "platform": {"architecture": "amd64", "os": "linux"},
                            "annotations": {"io.containerd.image.name": a.ref,
                                            "org.opencontainers.image.ref.name": tag}}]}
    files["index.json"] = json.dumps(index, sort_keys=True).encode()
    files["oci-layout"] = b'{"imageLayoutVersion":"1.0.0"}'
    tmp = a.out + ".tmp"
    with tarfile.open(tmp, "w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, a.out)
    print("%s: %s, layer %.1f MB" % (a.out, a.ref, len(gz) / 1e6))


if __name__ == "__main__":
    main()

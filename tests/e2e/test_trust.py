#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: what an attacker on the node tries against the lines ctrwatch prints (issue 21,
docs/security.md). Each test is one attack, made as an unprivileged user where the attack
needs no more: a cgroup named like a real, running container, made in a subtree delegated to
that user. Real BPF programs, a private containerd, real containers. Root."""

import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, kubepods_cgroup, Containerd, Ctrwatch, assert_impostor, forge_cgroup,  # noqa: E402
                     remove_cgroup_tree, wait_until)

K8S = "k8s.io"
ctd = None
watcher = None
workdir = None
created_cgroups = []
# What systemd gives a user with Delegate=: a subtree the user owns (user@UID.service).
DELEGATED = f"/ctrw-trust-{os.getpid()}.slice/user@65534.service"


def test_cgroup_named_like_a_running_container_is_not_that_container():
    """A CRI container C runs; nobody makes .../kubepods/besteffort/pod<uid>/C (then
    .../cri-containerd-C.scope) in its own subtree and runs a program in new namespaces there. The forged cgroup's four events must not carry
    C's image, name or pod (enrichment "mismatch", saying where containerd has C), and C itself
    gets no exit and no remove: it still runs."""
    cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
    labels = [f"io.kubernetes.pod.name=victim-{pod_uid[:5]}", "io.kubernetes.pod.namespace=shop",
              f"io.kubernetes.pod.uid={pod_uid}", "io.cri-containerd.kind=container",
              "io.kubernetes.container.name=app"]
    real = kubepods_cgroup(pod_uid, cid, created_cgroups)
    extra = ["--cgroup", real]
    for lb in labels:
        extra += ["--label", lb]
    ctd.run(cid, "/bin/sleep", "60", extra=extra, namespace=K8S, check=True, detach=True)
    try:
        start = watcher.wait_for(cid, "container_start")
        assert start["enrichment"] == "complete" and start["container"]["cgroup_path"] == real
        # kubelet's cgroupfs shape, and systemd's scope as CRI's systemd driver names it
        for fake in (f"{DELEGATED}/app.slice/kubepods/besteffort/pod{pod_uid}/{cid}",
                     f"{DELEGATED}/app.slice/cri-containerd-{cid}.scope"):
            forge_cgroup(DELEGATED, fake)
            assert_impostor(watcher, cid, fake, f"with its cgroup at {real}")
        real_lines = [e for e in watcher.for_container(cid)
                      if e["container"]["cgroup_path"] == real]
        assert [e["event"] for e in real_lines] == ["container_create", "container_start"], \
            real_lines
    finally:
        ctd.kill(cid, namespace=K8S)
        ctd.remove(cid, namespace=K8S)
    watcher.wait_for(cid, "container_remove")


def setup():
    global ctd, watcher, workdir
    ctd = Containerd()
    workdir = ctd.dir
    ctd.start()
    ctd.import_image(namespace=K8S)
    watcher = Ctrwatch(workdir, "trust", socket=ctd.sock).start()


def teardown():
    if watcher:
        watcher.stop()
    if ctd:
        ctd.cleanup()
    remove_cgroup_tree(f"/{K8S}")
    for cg in created_cgroups:
        remove_cgroup_tree(cg)
    remove_cgroup_tree(DELEGATED.split("/user@")[0])


if __name__ == "__main__":
    main("e2e-trust", globals(), setup, teardown)

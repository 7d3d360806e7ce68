#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: what an attacker on the node tries against the lines ctrwatch prints (issue 21,
docs/security.md). Each test is one attack, made as an unprivileged user where the attack
needs no more: a cgroup named like a real, running container, made in a subtree delegated to
that user. Real BPF programs, a private containerd, real containers. Root."""

import os
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BPFFS, CTRWATCH, main, kubepods_cgroup, Containerd, Ctrwatch,  # noqa: E402
                     assert_impostor, cgroup2_dir, ensure_bpffs, forge_cgroup, log,
                     release_bpffs, remove_cgroup_tree, wait_until)

K8S = "k8s.io"
ctd = None
watcher = None
workdir = None
created_cgroups = []
made_delegated = []  # what of DELEGATED this suite made, to remove
# What systemd gives a user with Delegate=: a subtree the user owns (user@UID.service).
DELEGATED = "/user.slice/user-65534.slice/user@65534.service"


def remove_delegated():
    """The delegated subtree, if this suite made it (a host with systemd has its own there)."""
    if made_delegated:
        remove_cgroup_tree(made_delegated[0])


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
            for e in assert_impostor(watcher, cid, fake, f"with its cgroup at {real}"):
                assert e["container"]["cgroup_owner_uid"] == 65534, e
        real_lines = [e for e in watcher.for_container(cid)
                      if e["container"]["cgroup_path"] == real]
        assert [e["event"] for e in real_lines] == ["container_create", "container_start"], \
            real_lines
    finally:
        ctd.kill(cid, namespace=K8S)
        ctd.remove(cid, namespace=K8S)
    watcher.wait_for(cid, "container_remove")


def test_a_container_making_sub_cgroups_cannot_fill_the_kernel_map():
    """A container with a writable cgroupfs makes 3 000 sub-cgroups (made here from the host
    side: the kernel sees the same mkdirs under the container's cgroup); ctrwatch's map holds
    2 048. Its sub-cgroups past its share (64) are not followed, counted in ctrwatch_pressure,
    and a container started after that still gets its four events, its exit code right."""
    w = Ctrwatch(workdir, "aliases", "--max-cgroups", "2048", socket=ctd.sock).start()
    flooder, after = f"ctrw-{os.getpid()}-flooder", f"ctrw-{os.getpid()}-after"
    top = cgroup2_dir(f"/{ctd.namespace}/{flooder}")
    made = []
    ctd.run(flooder, "/bin/sleep", "60", detach=True, check=True)
    try:
        w.wait_for(flooder, "container_start")
        for i in range(3000):
            made.append(os.path.join(top, f"s{i}"))
            os.mkdir(made[-1])
        time.sleep(1)  # ctrwatch has read them all by now
        tracked = len(w.tracked())
        assert ctd.run(after, "/bin/sh", "-c", "exit 7").returncode == 7
        w.wait_for(after, "container_remove")
        evs = [e["event"] for e in w.for_container(after)]
        assert evs == ["container_create", "container_start", "container_exit",
                       "container_remove"], evs
        assert w.for_container(after)[2]["exit"]["code"] == 7
        pressure = wait_until(lambda: [e for e in w.events()
                                       if e["event"] == "ctrwatch_pressure"
                                       and e["pressure"].get("aliases_refused")],
                              timeout=5, what="ctrwatch_pressure with aliases_refused")
        log(f"kernel map after 3 000 sub-cgroups: {tracked} entries; {pressure[-1]}")
        assert tracked < 200, tracked
        assert sum(e["pressure"]["aliases_refused"] for e in pressure) == 3000 - 64
    finally:
        for d in reversed(made):
            os.rmdir(d)
        ctd.kill(flooder)
        ctd.remove(flooder)
        w.stop()


def refused(*args):
    """ctrwatch with args must exit 1 before tracing anything, with one line saying why."""
    r = subprocess.run([CTRWATCH, "--containerd-socket", ctd.sock, *args], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    lines = [line for line in r.stderr.splitlines() if "error" in line]
    assert r.returncode == 1 and len(lines) == 1, (r.returncode, r.stderr)
    return lines[0]


def test_output_is_never_a_link_or_anyone_elses_file():
    """As root, --output must not follow a link someone planted, nor append to a file another
    user owns or everyone may write (their lines among ours, or ours in their file)."""
    victim = os.path.join(workdir, "victim")
    with open(victim, "w") as f:
        f.write("untouched\n")
    link = os.path.join(workdir, "out-link")
    os.symlink(victim, link)
    assert "symbolic link" in refused("--output", link)
    theirs = os.path.join(workdir, "theirs.jsonl")
    open(theirs, "w").close()
    os.chown(theirs, 65534, 65534)
    assert "another user owns it" in refused("--output", theirs)
    shared = os.path.join(workdir, "shared.jsonl")
    open(shared, "w").close()
    os.chmod(shared, 0o666)
    assert "others may write it" in refused("--output", shared)
    assert open(victim).read() == "untouched\n"
    for p in (theirs, shared):
        assert os.path.getsize(p) == 0, p


def test_pin_directory_of_another_user_is_not_adopted():
    """A pin directory someone else made (their maps: forged records, a map that hides
    containers) is refused, not adopted; so is a link to one."""
    ensure_bpffs()
    theirs = os.path.join(BPFFS, f"ctrw-trust-{os.getpid()}")
    link = theirs + "-link"
    os.mkdir(theirs, 0o700)
    try:
        os.chown(theirs, 65534, 65534)
        assert "another user owns it" in refused("--pin-path", theirs)
        os.chown(theirs, 0, 0)
        os.chmod(theirs, 0o777)
        assert "others may write it" in refused("--pin-path", theirs)
        os.chmod(theirs, 0o700)
        os.symlink(theirs, link)
        assert "symbolic link" in refused("--pin-path", link)
        assert os.listdir(theirs) == [], "nothing pinned in a refused directory"
    finally:
        if os.path.islink(link):
            os.unlink(link)
        shutil.rmtree(theirs, ignore_errors=True)
        release_bpffs()


def setup():
    global ctd, watcher, workdir
    for top in ("/user.slice", "/user.slice/user-65534.slice"):
        if not os.path.isdir(cgroup2_dir(top)):
            made_delegated.append(top)
            break
    ctd = Containerd()
    workdir = ctd.dir
    ctd.start()
    ctd.import_image(namespace=K8S)
    ctd.import_image()
    watcher = Ctrwatch(workdir, "trust", socket=ctd.sock).start()


def teardown():
    if watcher:
        watcher.stop()
    if ctd:
        ctd.cleanup()
    remove_cgroup_tree(f"/{K8S}")
    remove_cgroup_tree(f"/{ctd.namespace}")
    for cg in created_cgroups:
        remove_cgroup_tree(cg)
    remove_delegated()


if __name__ == "__main__":
    main("e2e-trust", globals(), setup, teardown)

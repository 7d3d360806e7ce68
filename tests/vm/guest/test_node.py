#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The guest half of `make vmtest`: ctrwatch on a node as users run it. Debian 12, kernel 6.1,
pure cgroup v2, systemd as PID 1, containerd's CRI plugin with the systemd cgroup driver, pods made
through CRI as the kubelet makes them: labels, cgroup paths and sandboxes come from containerd
and systemd, not from the test. Asserts on the JSON ctrwatch printed, as the host suite does."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "/repo/tests/e2e")
sys.path.insert(0, os.path.dirname(__file__))
from harness import main, Ctrwatch, log, wait_until  # noqa: E402
from cri import Cri  # noqa: E402

IMAGES = "/repo/build/vm/images"
BUSYBOX = "docker.io/ctrwatch/busybox:test"
LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]
workdir = None
cri = None
default = None    # ctrwatch with default options
nofilter = None   # ctrwatch --no-pause-filter --exec
digest = None


def lifecycle(w, cid):
    return [e["event"] for e in w.for_container(cid) if e["event"] != "process_exec"]


def run_to_exit(name, command, handler="", memory_limit=0):
    """One pod with one container that runs command to its end, then everything is stopped
    and removed as the kubelet would. Returns (pod uid, sandbox id, container id)."""
    sandbox, config, uid = cri.run_pod(name, handler=handler)
    cid = cri.create_container(sandbox, config, "app", BUSYBOX, command,
                               memory_limit=memory_limit)
    cri.start(cid)
    cri.wait_exited(cid)
    cri.remove(cid)
    cri.stop_pod(sandbox)
    cri.remove_pod(sandbox)
    return uid, sandbox, cid


def test_the_node_is_what_users_run():
    """Not the host suite's machine: kernel 6.1, systemd as PID 1, cgroup2 alone."""
    assert os.uname().release.startswith("6.1."), os.uname().release
    assert open("/proc/1/comm").read().strip() == "systemd"
    mounts = open("/proc/self/mounts").read().splitlines()
    assert any(m.split()[1] == "/sys/fs/cgroup" and m.split()[2] == "cgroup2" for m in mounts)
    assert not [m for m in mounts if m.split()[2] == "cgroup"], "a cgroup v1 hierarchy"
    assert "ready: watching cgroup2 hierarchy at /sys/fs/cgroup," in default.stderr()


def test_cri_pod_gives_one_enriched_lifetime_and_no_sandbox():
    uid, sandbox, cid = run_to_exit("web", ["/bin/sh", "-c", "/bin/true; exit 3"])
    default.wait_for(cid, "container_remove", timeout=60)
    evs = default.for_container(cid)
    assert [e["event"] for e in evs] == LIFETIME, [e["event"] for e in evs]
    first = evs[0]
    assert first["enrichment"] == "complete", first
    c, pod = first["container"], first["pod"]
    assert c["name"] == "app" and c["namespace"] == "k8s.io", c
    assert c["image"] == BUSYBOX and c["image_digest"] == digest, c
    assert c["runtime_handler"] == "io.containerd.runc.v2", c
    # the systemd driver's layout, made by runc through systemd
    assert c["cgroup_path"] == (f"/kubepods.slice/kubepods-besteffort.slice/"
                                f"kubepods-besteffort-pod{uid.replace('-', '_')}.slice/"
                                f"cri-containerd-{cid}.scope"), c["cgroup_path"]
    assert pod == {"name": "web", "namespace": "shop", "uid": uid, "sandbox": False}, pod
    assert evs[2]["exit"]["code"] == 3, evs[2]
    assert evs[1]["process"]["args"] == ["/bin/sh", "-c", "/bin/true; exit 3"], evs[1]
    assert default.for_container(sandbox) == [], "a pause sandbox was printed"
    # --no-pause-filter shows the sandbox, marked as one, with its whole lifetime
    nofilter.wait_for(sandbox, "container_remove", timeout=60)
    sb = nofilter.for_container(sandbox)
    assert [e["event"] for e in sb] == LIFETIME, [e["event"] for e in sb]
    # marked wherever containerd answered (a failed first lookup goes out partial, unmarked)
    enriched = [e for e in sb if e["enrichment"] == "complete"]
    assert enriched and all(e["pod"]["sandbox"] is True for e in enriched), sb


def test_exec_sync_is_an_exec_not_a_lifetime():
    sandbox, config, _ = cri.run_pod("execs")
    cid = cri.create_container(sandbox, config, "app", BUSYBOX, ["/bin/sleep", "600"])
    cri.start(cid)
    nofilter.wait_for(cid, "container_start", timeout=60)
    r = cri.exec_sync(cid, ["/bin/sh", "-c", "/bin/true; echo done"])
    assert r.exit_code == 0 and r.stdout == b"done\n", r
    wait_until(lambda: [e for e in nofilter.for_container(cid)
                        if e["event"] == "process_exec" and e["process"]["exe"] == "/bin/true"],
               timeout=30, what="the exec of /bin/true")
    cri.stop(cid)
    cri.remove(cid)
    cri.stop_pod(sandbox)
    cri.remove_pod(sandbox)
    for w in (default, nofilter):
        w.wait_for(cid, "container_remove", timeout=60)
        assert lifecycle(w, cid) == LIFETIME, lifecycle(w, cid)
    assert not [e for e in default.for_container(cid) if e["event"] == "process_exec"]
    stop = [e for e in default.for_container(cid) if e["event"] == "container_exit"][0]
    assert stop["exit"]["signal"] in (9, 15), stop  # StopContainer's signal


def test_crun_gives_the_same_lifetime():
    """crun as the OCI runtime (a CRI runtime handler): the entrypoint rule holds for it."""
    sandbox, config, uid = cri.run_pod("crunpod", handler="crun")
    cid = cri.create_container(sandbox, config, "app", BUSYBOX, ["/bin/sh", "-c", "sleep 3; exit 4"])
    cri.start(cid)
    # Where crun puts the container's processes (a sub-cgroup of the scope?), for the record.
    scopes = glob.glob(f"/sys/fs/cgroup/kubepods.slice/*/*/cri-containerd-{cid}.scope")
    for scope in scopes:
        for d, _, _ in os.walk(scope):
            log(f"crun cgroup {d[len(scope):] or '/'}: procs "
                f"{open(os.path.join(d, 'cgroup.procs')).read().split()}")
    cri.wait_exited(cid)
    cri.remove(cid)
    cri.stop_pod(sandbox)
    cri.remove_pod(sandbox)
    default.wait_for(cid, "container_remove", timeout=60)
    evs = default.for_container(cid)
    assert [e["event"] for e in evs] == LIFETIME, [e["event"] for e in evs]
    assert evs[0]["enrichment"] == "complete", evs[0]
    assert evs[1]["process"]["exe"] == "/bin/sh", evs[1]
    assert evs[2]["exit"]["code"] == 4, evs[2]


def test_oom_kill_through_cri():
    uid, sandbox, cid = run_to_exit(
        "oom", ["/bin/sh", "-c", "x=a; while true; do x=$x$x; done"], memory_limit=32 << 20)
    default.wait_for(cid, "container_remove", timeout=60)
    ex = [e for e in default.for_container(cid) if e["event"] == "container_exit"][0]
    assert ex["exit"]["oom_killed"] is True and ex["exit"]["signal"] == 9, ex


def setup():
    global workdir, cri, default, nofilter, digest
    workdir = tempfile.mkdtemp(prefix="ctrwatch-vm.")
    wait_until(lambda: subprocess.run(["ctr", "version"], capture_output=True).returncode == 0,
               timeout=120, what="containerd")
    for tar in sorted(glob.glob(os.path.join(IMAGES, "*.tar"))):
        r = subprocess.run(["ctr", "-n", "k8s.io", "images", "import", tar],
                           capture_output=True, text=True)
        assert r.returncode == 0, f"ctr images import {tar}: {r.stderr.strip()}"
    digest = open(os.path.join(IMAGES, "busybox.digest")).read().strip()
    cri = Cri()
    log(f"CRI: {cri.version()}".replace("\n", " "))
    # Under TCG a containerd call takes tens of times longer than on hardware: lookups get
    # 10 s, not the default 500 ms, so that "complete" still tests the enrichment.
    default = Ctrwatch(workdir, "default", "--enrich-timeout", "10s").start(timeout=180)
    nofilter = Ctrwatch(workdir, "nofilter", "--enrich-timeout", "10s", "--no-pause-filter",
                        "--exec").start(timeout=180)


def teardown():
    for w in (default, nofilter):
        if w:
            rc = w.stop()
            if rc != 0:
                log(f"ctrwatch exited {rc}: {w.stderr()[-2000:]}")
    if workdir and os.path.isdir("/results"):
        for f in glob.glob(os.path.join(workdir, "*")):
            shutil.copy(f, "/results/")


if __name__ == "__main__":
    # `VMTEST_ONLY=crun make vmtest` reaches here as ctrwatch.tests= on the kernel command line
    for arg in open("/proc/cmdline").read().split():
        if arg.startswith("ctrwatch.tests="):
            os.environ["CTRWATCH_TESTS"] = arg.split("=", 1)[1]
    start = time.monotonic()
    try:
        main("vm", globals(), setup, teardown)
    finally:
        log(f"guest tests took {time.monotonic() - start:.0f}s")

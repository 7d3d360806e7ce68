#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: enrichment through the containerd API, pause and user filters, and containerd
going away and coming back. Real BPF programs, a private containerd, real containers. Root."""

import os
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, kubepods_cgroup, IMAGE, Containerd, Ctrwatch, hierarchy_dirs, log,  # noqa: E402
                     remove_cgroup_tree, run_tests, wait_until)

ctd = None
default = None    # ctrwatch, default options
nofilter = None   # ctrwatch --no-pause-filter
filtered = None   # ctrwatch with user filters
workdir = None
digest = None
created_cgroups = []
K8S = "k8s.io"
PAUSE = "registry.k8s.io/pause:3.9"


def name(suffix):
    return f"ctrw-{os.getpid()}-{suffix}"


def events_of(w, cid):
    return [e["event"] for e in w.for_container(cid)]


def kube_run(cid, kind, pod_uid, image=IMAGE, extra_labels=(), cmd=("/bin/sh", "-c", "exit 0"),
             detach=False):
    labels = [f"io.kubernetes.pod.name=web-{pod_uid[:5]}", "io.kubernetes.pod.namespace=shop",
              f"io.kubernetes.pod.uid={pod_uid}", *extra_labels]
    if kind:
        labels.append(f"io.cri-containerd.kind={kind}")
    extra = ["--cgroup", kubepods_cgroup(pod_uid, cid, created_cgroups)]
    for lb in labels:
        extra += ["--label", lb]
    return ctd.run(cid, *cmd, extra=extra, image=image, namespace=K8S, check=True, detach=detach)


def test_enriched_fields_in_two_namespaces():
    other = ctd.namespace + "-b"
    ctd.import_image(namespace=other)
    a, b = name("ns-a"), name("ns-b")
    ctd.run(a, "/bin/sh", "-c", "exit 0", extra=["--label", "nerdctl/name=frontend"], check=True)
    ctd.run(b, "/bin/sh", "-c", "exit 0", namespace=other, check=True)
    for cid, ns, cname in ((a, ctd.namespace, "frontend"), (b, other, b)):
        default.wait_for(cid, "container_remove")
        evs = default.for_container(cid)
        assert [e["event"] for e in evs] == ["container_create", "container_start",
                                             "container_exit", "container_remove"], evs
        for e in evs:
            assert e["enrichment"] == "complete", e
            c = e["container"]
            assert c["namespace"] == ns and c["name"] == cname, c
            assert c["image"] == IMAGE and c["image_digest"] == digest, c
            assert c["runtime_handler"] == "io.containerd.runc.v2", c
            assert c["created"].endswith("Z") and c["created"] < e["time"], (c, e["time"])
    remove_cgroup_tree(f"/{other}")


def test_image_referenced_only_by_digest():
    bare = "sha256:" + os.urandom(32).hex()
    ctd.ctr("image", "tag", IMAGE, bare)
    cid = name("bydigest")
    try:
        ctd.run(cid, "/bin/sh", "-c", "exit 0", image=bare, check=True)
    finally:
        ctd.ctr("image", "rm", bare, check=False)
    c = default.wait_for(cid, "container_start")["container"]
    assert c["image_digest"] == bare and "image" not in c, c
    default.wait_for(cid, "container_remove")


def test_kubernetes_container_has_pod_fields():
    cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
    kube_run(cid, "container", pod_uid, extra_labels=["io.kubernetes.container.name=app"])
    ev = default.wait_for(cid, "container_start")
    assert ev["pod"] == {"name": f"web-{pod_uid[:5]}", "namespace": "shop", "uid": pod_uid,
                         "sandbox": False}, ev
    assert ev["container"]["name"] == "app" and ev["container"]["namespace"] == K8S, ev
    assert ev["container"]["runtime"] == "containerd", ev
    assert ev["enrichment"] == "complete", ev
    default.wait_for(cid, "container_remove")


def assert_filtered_both_ways(cid):
    nofilter.wait_for(cid, "container_remove")
    seen = nofilter.for_container(cid)
    assert [e["event"] for e in seen] == ["container_create", "container_start",
                                          "container_exit", "container_remove"], seen
    assert all(e["pod"]["sandbox"] is True for e in seen), seen
    time.sleep(0.3)
    assert default.for_container(cid) == [], default.for_container(cid)


def test_sandbox_label_is_filtered_unless_asked():
    cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
    kube_run(cid, "sandbox", pod_uid)
    assert_filtered_both_ways(cid)


def test_pause_image_without_label_is_filtered_unless_asked():
    ctd.ctr("image", "tag", IMAGE, PAUSE, namespace=K8S, check=False)
    cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
    kube_run(cid, None, pod_uid, image=PAUSE)
    assert_filtered_both_ways(cid)


def test_filtered_sandbox_leaves_the_kernel_map():
    cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
    kube_run(cid, "sandbox", pod_uid, cmd=("/bin/sleep", "30"), detach=True)
    try:
        nofilter.wait_for(cid, "container_start")
        cg = [d for d in hierarchy_dirs(f"/kubepods/besteffort/pod{pod_uid}/{cid}")
              if "/unified/" in d][0]
        cgid = os.stat(cg).st_ino
        time.sleep(0.3)
        assert cgid in nofilter.tracked(), "--no-pause-filter must keep tracking it"
        assert cgid not in default.tracked(), "a filtered sandbox must leave the kernel map"
        assert cgid not in filtered.tracked(), "an excluded container must leave the kernel map"
    finally:
        ctd.kill(cid, namespace=K8S)
        ctd.remove(cid, namespace=K8S)
    nofilter.wait_for(cid, "container_remove")
    assert default.for_container(cid) == []


def test_include_wins_over_exclude():
    keep, drop = name("keep"), name("drop")
    ctd.run(keep, "/bin/sh", "-c", "exit 0", extra=["--label", "keep=yes"], check=True)
    ctd.run(drop, "/bin/sh", "-c", "exit 0", check=True)
    filtered.wait_for(keep, "container_remove")
    default.wait_for(drop, "container_remove")
    assert events_of(filtered, keep) == ["container_create", "container_start",
                                         "container_exit", "container_remove"]
    assert filtered.for_container(drop) == []


def test_namespace_flag_keeps_only_that_namespace():
    w = Ctrwatch(workdir, "only-ns", "--namespace", ctd.namespace, socket=ctd.sock).start()
    try:
        mine, other = name("ns-mine"), os.urandom(32).hex()
        ctd.run(mine, "/bin/true", check=True)
        ctd.run(other, "/bin/true", namespace=K8S, check=True)
        w.wait_for(mine, "container_remove")
        default.wait_for(other, "container_remove")  # it did run, and others saw it
        time.sleep(0.3)
        assert w.for_container(other) == [], w.for_container(other)
        assert all(e["container"]["namespace"] == ctd.namespace for e in w.events()
                   if "container" in e), w.events()
    finally:
        assert w.stop() == 0


def test_cache_size_bounds_the_metadata_kept():
    w = Ctrwatch(workdir, "cache1", "--cache-size", "1", socket=ctd.sock).start()
    first, second = name("cache-a"), name("cache-b")
    try:
        ctd.run(first, "/bin/sleep", "600", detach=True, check=True)
        assert w.wait_for(first, "container_start")["enrichment"] == "complete"
        ctd.run(second, "/bin/true", check=True)
        ev = w.wait_for(second, "container_start")
        assert ev["enrichment"] == "partial" and "cache full" in ev["enrichment_error"], ev
        ctd.kill(first)
        ctd.remove(first)
        w.wait_for(first, "container_remove")  # its entry goes: the next one fits again
        third = name("cache-c")
        ctd.run(third, "/bin/true", check=True)
        assert w.wait_for(third, "container_start")["enrichment"] == "complete"
    finally:
        assert w.stop() == 0


def test_hostile_labels_stay_valid_json():
    cid = name("labels")
    labels = {"quote": 'say "hi"', "newline": "a\nb", "utf8": "caf\u00e9 \U0001F433",
              "forge": '","event":"container_remove'}
    extra = []
    for k, v in labels.items():
        extra += ["--label", f"{k}={v}"]
    ctd.run(cid, "/bin/sh", "-c", "exit 0", extra=extra, check=True)
    ev = default.wait_for(cid, "container_start")
    got = ev["container"]["labels"]
    # containerd adds labels of its own (the image's stop signal): ours must all be there, intact
    assert {k: got.get(k) for k in labels} == labels, got
    default.wait_for(cid, "container_remove")
    assert events_of(default, cid).count("container_remove") == 1


def test_containerd_restart_keeps_events_and_reconnects():
    early, survivor = name("early"), name("survivor")
    ctd.run(early, "/bin/sh", "-c", "sleep 2; exit 7", detach=True, check=True)
    ctd.run(survivor, "/bin/sleep", "600", detach=True, check=True)
    default.wait_for(early, "container_start")
    default.wait_for(survivor, "container_start")
    ctd.stop(signal.SIGKILL)  # the shims keep both containers running
    try:
        ex = default.wait_for(early, "container_exit", timeout=15)  # exits during the outage
        assert ex["exit"]["code"] == 7 and ex["enrichment"] == "complete", ex
    finally:
        ctd.start()
    fresh = name("fresh")
    ctd.run(fresh, "/bin/sh", "-c", "exit 0", check=True)
    ev = default.wait_for(fresh, "container_start", timeout=20)
    assert ev["enrichment"] == "complete" and ev["container"]["image"] == IMAGE, ev
    ctd.remove(early)
    ctd.kill(survivor)
    ctd.remove(survivor)
    for cid in (early, survivor, fresh):
        default.wait_for(cid, "container_remove")
        got = [e for e in events_of(default, cid)]
        assert got == ["container_create", "container_start", "container_exit",
                       "container_remove"], (cid, got)


def test_started_while_containerd_is_down():
    before = name("before-down")
    ctd.run(before, "/bin/sleep", "600", detach=True, check=True)
    default.wait_for(before, "container_start")
    ctd.stop(signal.SIGKILL)
    late = Ctrwatch(workdir, "while-down", socket=ctd.sock)
    try:
        late.start()
        ev = late.wait_for(before, "container_existing")
        assert ev["enrichment"] == "partial" and ev["enrichment_error"], ev
    finally:
        ctd.start()
    try:
        cid = name("after-up")
        ctd.run(cid, "/bin/sh", "-c", "exit 0", check=True)
        ev = late.wait_for(cid, "container_start", timeout=20)
        assert ev["enrichment"] == "complete", ev
        late.wait_for(cid, "container_remove")
        # its socket there, containerd not answering: one warning, then its recovery said once
        said = late.stderr()
        assert said.count("is not answering") == 1, said
        assert said.count("answers again") == 1, said
        assert said.index("is not answering") < said.index("answers again"), said
    finally:
        late.stop()
        ctd.kill(before)
        ctd.remove(before)


def test_missing_socket_is_a_warning_and_events_still_flow():
    """No containerd socket: not installed (a CRI-O node), so nothing is said at start; its
    first container is partial, and one warning names the socket."""
    w = Ctrwatch(workdir, "nosock", socket=os.path.join(workdir, "absent.sock")).start()
    try:
        assert "containerd" not in w.stderr(), w.stderr()
        cid = name("nosock")
        ctd.run(cid, "/bin/sh", "-c", "exit 0", check=True)
        ev = w.wait_for(cid, "container_start")
        assert ev["enrichment"] == "partial", ev
        assert w.stderr().count("no containerd socket") == 1, w.stderr()
        w.wait_for(cid, "container_remove")
    finally:
        assert w.stop() == 0


def test_engines_not_installed_are_not_warned_about():
    """A containerd-only node: no Docker socket, no Podman socket, no CRI-O socket. That is
    engines not being installed, not being down: no warning names them, and containerd's
    containers are complete."""
    w = Ctrwatch(workdir, "plain-node", "--docker-socket", os.path.join(workdir, "no-docker.sock"),
                 "--podman-socket", os.path.join(workdir, "no-podman.sock"),
                 "--crio-socket", os.path.join(workdir, "no-crio.sock"),
                 socket=ctd.sock).start()
    try:
        cid = name("plain-node")
        ctd.run(cid, "/bin/sh", "-c", "exit 0", check=True)
        w.wait_for(cid, "container_remove")
        assert all(e["enrichment"] == "complete" for e in w.for_container(cid))
        warnings = [line for line in w.stderr().splitlines() if "warning" in line]
        assert not [line for line in warnings
                    if "docker" in line or "podman" in line or "crio" in line], warnings
    finally:
        assert w.stop() == 0


def test_hung_containerd_neither_blocks_events_nor_exit():
    """A socket that accepts and never speaks (gRPC gives up on the HTTP/2 handshake): events
    still go out, partial, and SIGTERM ends ctrwatch cleanly with a lookup in flight (how fast:
    `make bench`). A peer that completes the
    handshake and then stalls is bounded by the per-call deadline (RPC_TIMEOUT_MS, 750 ms)."""
    import socket
    import threading
    path = os.path.join(workdir, f"hung-{time.monotonic_ns()}.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])  # keep it open, say nothing
            except OSError:
                pass
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    w = Ctrwatch(workdir, "hung", socket=path).start()
    try:
        cid = name("hung")
        ctd.run(cid, "/bin/sh", "-c", "sleep 0.3", check=True)
        ev = w.wait_for(cid, "container_start")
        assert ev["enrichment"] == "partial", ev
        w.wait_for(cid, "container_remove")
        ctd.run(name("hung2"), "/bin/true", check=True)  # a lookup in flight at SIGTERM
        rc = w.stop(signal.SIGTERM)  # 0, not -9: out before the harness's bound
        assert rc == 0, (rc, w.stderr())
    finally:
        stop.set()
        t.join()
        for c in held:
            c.close()
        server.close()


def test_bad_filter_is_one_line_and_exit_2():
    from harness import CTRWATCH
    for bad in ("--exclude=colour:red", "--include=image:(", "--enrich-timeout=0",
                "--cache-size=-1"):
        r = subprocess.run([CTRWATCH, bad], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert r.returncode == 2, (bad, r)
        first = r.stderr.decode().splitlines()[0]
        assert bad.split("=", 1)[1] in first, (bad, first)


def setup():
    global ctd, default, nofilter, filtered, workdir, digest
    ctd = Containerd()
    workdir = ctd.dir
    ctd.start()
    digest = ctd.import_image()
    ctd.import_image(namespace=K8S)
    default = Ctrwatch(workdir, "default", socket=ctd.sock).start()
    nofilter = Ctrwatch(workdir, "nofilter", "--no-pause-filter", socket=ctd.sock).start()
    filtered = Ctrwatch(workdir, "filtered", "--exclude", "image:busybox", "--include",
                        "label:keep:^yes$", socket=ctd.sock).start()


def teardown():
    for w in (default, nofilter, filtered):
        if w:
            rc = w.stop()
            if rc != 0:
                log(f"ctrwatch exited {rc}: {w.stderr()}")
    if ctd:
        if not ctd.proc:
            ctd.start()
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")
    remove_cgroup_tree(f"/{K8S}")
    for cg in created_cgroups:
        remove_cgroup_tree(cg)


if __name__ == "__main__":
    main("e2e-enrichment", globals(), setup, teardown)

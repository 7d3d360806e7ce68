#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: what an attacker on the node tries against the lines ctrwatch prints (issue 21,
docs/security.md). Each test is one attack, made as an unprivileged user where the attack
needs no more: a cgroup named like a real, running container, made in a subtree delegated to
that user. Real BPF programs, a private containerd, real containers. Root."""

import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (BPFFS, CTRWATCH, main, kubepods_cgroup, Churn, Containerd,  # noqa: E402
                     Ctrwatch, assert_impostor, cgroup2_dir, delegate_cgroup, ensure_bpffs,
                     forge_cgroup, free_port, impostor_alerts, log, scrape,
                     release_bpffs, remove_cgroup_tree, unshare_in_each, wait_until)

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
    .../cri-containerd-C.scope) in its own subtree and runs a program in new namespaces there.
    Each forged cgroup is one cgroup_impostor alert (its cgroup and owner, the id it claims,
    where containerd has C, the program it ran), never a lifecycle with C's id (before: four
    lines with container.id C, "mismatch", C seen to exit while it runs); C itself gets no exit
    and no remove: it still runs."""
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
            alert = assert_impostor(watcher, cid, fake, f"with its cgroup at {real}")
            assert alert["cgroup"]["owner_uid"] == 65534, alert
            assert alert["claimed_by"]["cgroups_path"] == real, alert
        real_lines = [e for e in watcher.for_container(cid)
                      if e["container"]["cgroup_path"] == real]
        assert [e["event"] for e in real_lines] == ["container_create", "container_start"], \
            real_lines
    finally:
        ctd.kill(cid, namespace=K8S)
        ctd.remove(cid, namespace=K8S)
    watcher.wait_for(cid, "container_remove")


def kubelet_tail(pod_uid, cid):
    """What the kubelet's systemd driver names a pod's container under its slices."""
    pod = f"kubelet-kubepods-besteffort-pod{pod_uid.replace('-', '_')}.slice"
    return (f"/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/{pod}/"
            f"cri-containerd-{cid}.scope")


def padded(top, tail, length):
    """top/<pad>.../tail, exactly length bytes: pads of 200 bytes at most, each a name."""
    rest = length - len(top) - len(tail)
    pads = []
    while rest > 0:
        n = min(201, rest)  # "/" and up to 200 bytes
        assert n >= 2, (length, rest)
        pads.append("/" + "p" * (n - 1))
        rest -= n
    path = top + "".join(pads) + tail
    assert len(path) == length, (len(path), length)
    return path


def test_real_containers_with_long_paths_are_complete():
    """Real containers whose cgroup paths a record cannot hold: exactly 255 bytes (flagged, kept
    whole), 600 (the kernel keeps the end) and 1 100 (past what the tracepoint gives: the end
    read from kernfs). containerd's path for each ends the same and the cgroup at it has the
    cgroup's id: all four lines complete, with no outer container (before: 'mismatch' for 255
    and 1 100, and for 600 too with nothing around it)."""
    top = f"/ctrw-long-{os.getpid()}"
    created_cgroups.append(top)
    try:
        check_long_paths(top)
    finally:
        # gone before the next test: a ctrwatch started later would find its directories
        # (lookalikes, a top-level one) and look them up at its start
        remove_cgroup_tree(top)


def check_long_paths(top):
    for length in (255, 600, 1100):
        cid, pod_uid = os.urandom(32).hex(), str(uuid.uuid4())
        path = padded(top, kubelet_tail(pod_uid, cid), length)
        assert ctd.run(cid, "/bin/sh", "-c", "/bin/true; exit 3",
                       extra=["--cgroup", path]).returncode == 3
        evs = wait_until(lambda: (lambda e: e if e and e[-1]["event"] == "container_remove"
                                  else None)(watcher.for_container(cid)),
                         what=f"the remove of the {length}-byte container")
        log(f"{length} bytes: " + ", ".join(
            f'{e["event"]} {e["enrichment"]} {e.get("enrichment_error", "")}' for e in evs))
        assert [e["event"] for e in evs] == ["container_create", "container_start",
                                             "container_exit", "container_remove"], evs
        for e in evs:
            assert e["enrichment"] == "complete", e
            assert e["container"]["cgroup_path_truncated"] is True, e
            assert path.endswith(e["container"]["cgroup_path"]), e
            assert e["pod"]["uid"] == pod_uid, e
        assert evs[2]["exit"]["code"] == 3, evs[2]


def test_a_forged_nesting_does_not_carry_the_inner_containers_identity():
    """A kind node's container O runs, and in it a pod's container C, at a path longer than a
    record. A workload in O makes O/<200 x>/<C's pod slice>/<C's scope> (made here from the
    host: the kernel sees the same mkdirs under O's cgroup) and runs a program there: same
    end, same outer container. Only the cgroup at containerd's whole path for C has C's id, so
    the forged one is an impostor: one cgroup_impostor alert, no line with C's identity
    (before: four complete lines with C's name and pod); C's own lines are complete."""
    outer, cid, pod_uid = os.urandom(32).hex(), os.urandom(32).hex(), str(uuid.uuid4())
    outer_cg = f"/system.slice/docker-{outer}.scope"
    real = outer_cg + kubelet_tail(pod_uid, cid)
    fake = outer_cg + "/" + "x" * 200 + kubelet_tail(pod_uid, cid)
    assert 255 < len(real) < 1023 and len(fake) < 1023, (len(real), len(fake))
    created_cgroups.append(outer_cg)
    labels = ["--label", f"io.kubernetes.pod.uid={pod_uid}", "--label",
              "io.kubernetes.pod.name=victim", "--label", "io.kubernetes.pod.namespace=shop"]
    ctd.run(outer, "/bin/sleep", "60", detach=True, check=True, extra=["--cgroup", outer_cg])
    ctd.run(cid, "/bin/sleep", "60", detach=True, check=True,
            extra=["--cgroup", real, *labels])
    try:
        start = watcher.wait_for(cid, "container_start")  # the real one: nothing forged yet
        assert start["enrichment"] == "complete" and start["pod"]["name"] == "victim", start
        real_id = start["container"]["cgroup_id"]
        made = cgroup2_dir(fake)
        os.makedirs(made)
        try:
            subprocess.run(["sh", "-c", f'echo $$ > "{made}/cgroup.procs" && '
                            f'unshare -m /bin/true'], check=True, timeout=30)
        finally:
            os.rmdir(made)
        alerts = wait_until(lambda: [e for e in impostor_alerts(watcher, cid)
                                     if e["cgroup"]["id"] != real_id],
                            what="the forged nesting's alert")
        log("the forged nesting's alert: " + json.dumps(alerts))
        assert len(alerts) == 1 and alerts[0]["cgroup"]["path_truncated"], alerts
        assert f"with its cgroup at {real}" in alerts[0]["reason"], alerts
        ctd.kill(cid)  # C's own exit and remove follow the forged cgroup's in order
        ctd.remove(cid)
        watcher.wait_for(cid, "container_remove")
        lines = watcher.for_container(cid)
        assert [e["event"] for e in lines] == ["container_create", "container_start",
                                               "container_exit", "container_remove"], lines
        assert all(e["container"]["cgroup_id"] == real_id for e in lines), lines
    finally:
        for c in (cid, outer):
            ctd.kill(c)
            ctd.remove(c)


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
        before = len(w.tracked())
        for i in range(3000):
            made.append(os.path.join(top, f"s{i}"))
            os.mkdir(made[-1])
        refused = wait_until(lambda: sum(e["pressure"].get("aliases_refused", 0)
                                         for e in w.events()
                                         if e["event"] == "ctrwatch_pressure") == 3000 - 64,
                             what="the sub-cgroups past the flooder's share refused")
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
        log(f"kernel map after 3 000 sub-cgroups: {tracked} entries, {before} before; "
            f"{pressure[-1]}")
        assert refused and tracked == before + 64, (before, tracked)
    finally:
        for d in reversed(made):
            os.rmdir(d)
        ctd.kill(flooder)
        ctd.remove(flooder)
        w.stop()


def as_user(uid, code, stdin="", cgroup=None, timeout=120):
    """Python code run as uid (root when uid is 0), in cgroup when given (root puts it there,
    as systemd or a runtime would, then it drops to uid). Returns its stdout."""
    cmd = ["python3", "-c", code]
    if uid:
        cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", *cmd]
    if cgroup:
        cmd = ["sh", "-c", f'echo $$ > "{cgroup}/cgroup.procs" && exec "$@"', "sh", *cmd]
    r = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout)
    assert r.returncode == 0, f"{code!r} as uid {uid} failed: {r.stderr}"
    return r.stdout


MKDIRS = """import os, sys, time
names = sys.stdin.read().split()
began = time.monotonic()
for name in names:
    os.{op}(name)
print(time.monotonic() - began)"""


def mkdirs(uid, paths, cgroup=None, op="mkdir"):
    """Makes (or removes) every path as uid, from cgroup, as fast as Python can; returns the
    seconds it took."""
    return float(as_user(uid, MKDIRS.format(op=op), "\n".join(paths), cgroup=cgroup))


def pressure_total(w, name, wait=0):
    """name's count over w's ctrwatch_pressure lines; waits up to wait seconds for one."""
    def total():
        return sum(e["pressure"].get(name, 0) for e in w.events()
                   if e["event"] == "ctrwatch_pressure")
    deadline = time.monotonic() + wait
    while not total() and time.monotonic() < deadline:
        time.sleep(0.1)
    return total()


def four_events(w, cid, code):
    try:
        w.wait_for(cid, "container_remove")
    except AssertionError:
        raise AssertionError(f"{cid}'s lines: {w.for_container(cid)}")
    evs = w.for_container(cid)
    assert [e["event"] for e in evs] == ["container_create", "container_start",
                                         "container_exit", "container_remove"], evs
    assert evs[2]["exit"]["code"] == code, evs[2]
    return evs


def test_cgroups_a_containers_tasks_make_are_charged_to_it_whatever_their_names():
    """A task inside a running container makes 3 000 cgroups named like Docker containers
    (docker-<64 hex>.scope) under the container's own; ctrwatch's map holds 2 048. The kernel
    charges each to the container its maker runs in, not to its name: 1 024 (the container's
    quota) are tracked, the rest refused and counted (creator_quota_refused), and a container
    started after that gets its four events (before: 3 001 "containers" filled the map, and the
    later container was not tracked at its mkdir nor at its start)."""
    w = Ctrwatch(workdir, "creator-quota", "--max-cgroups", "2048", "--creator-cgroup-rate",
                 "1000000", socket=ctd.sock).start()
    flooder, after = f"ctrw-{os.getpid()}-cflood", f"ctrw-{os.getpid()}-cafter"
    top = cgroup2_dir(f"/{ctd.namespace}/{flooder}")
    made = [os.path.join(top, f"docker-{os.urandom(32).hex()}.scope") for _ in range(3000)]
    ctd.run(flooder, "/bin/sleep", "120", detach=True, check=True)
    try:
        w.wait_for(flooder, "container_start")
        took = mkdirs(0, made, cgroup=top)
        time.sleep(1)  # ctrwatch has read them all by now
        tracked = len(w.tracked())
        assert ctd.run(after, "/bin/sh", "-c", "exit 7").returncode == 7
        four_events(w, after, 7)
        refused = pressure_total(w, "creator_quota_refused", wait=5)
        log(f"3 000 cgroups made inside a container in {took:.2f} s: kernel map {tracked} "
            f"entries, {refused} refused for its quota")
        assert tracked < 1024 + 64, tracked
        assert 3000 - 1024 - 64 <= refused <= 3000 - 1024, refused
    finally:
        for d in made:
            if os.path.isdir(d):
                os.rmdir(d)
        ctd.kill(flooder)
        ctd.remove(flooder)
        w.stop()


def test_a_kind_like_node_is_followed_up_to_its_quota():
    """A node container runs a containerd of its own inside its cgroup (as a kind node or
    Docker-in-Docker does) that makes real containers in the node's cgroup. With the node's
    quota at 3, its first three containers are followed, each naming the node as its parent; a
    fourth is refused and counted (creator_quota_refused), not silently missed; once one of the
    three has gone, the next is followed again, exit code and all."""
    w = Ctrwatch(workdir, "kind", "--container-cgroup-quota", "3", socket=ctd.sock).start()
    node = f"ctrw-{os.getpid()}-node"
    node_dir = cgroup2_dir(f"/{ctd.namespace}/{node}")
    inner = Containerd()
    inner.namespace = f"ctrw-inner-{os.getpid()}"  # runc's state is per namespace name
    ids = [os.urandom(32).hex() for _ in range(5)]

    def run(cid, *cmd, detach=False):
        path = f"/{ctd.namespace}/{node}/docker/{cid}"
        return inner.run(cid, *cmd, extra=["--cgroup", path], detach=detach, check=detach)
    ctd.run(node, "/bin/sleep", "300", detach=True, check=True)
    try:
        w.wait_for(node, "container_start")
        os.mkdir(os.path.join(node_dir, "docker"))  # the node's layout, made by its runtime
        inner.start(cgroup=node_dir)
        inner.import_image()
        for cid in ids[:3]:
            run(cid, "/bin/sleep", "300", detach=True)
        for cid in ids[:3]:
            start = w.wait_for(cid, "container_start")
            assert start["container"].get("parent_id") == node, start
        assert run(ids[3], "/bin/sh", "-c", "exit 3").returncode == 3
        refused = pressure_total(w, "creator_quota_refused", wait=5)
        fourth = [e["event"] for e in w.for_container(ids[3])]
        log(f"the fourth container past the node's quota: lines {fourth}, {refused} refused")
        assert refused >= 1 and not fourth, (refused, fourth)
        inner.kill(ids[0])
        inner.remove(ids[0])
        w.wait_for(ids[0], "container_remove")
        assert run(ids[4], "/bin/sh", "-c", "exit 5").returncode == 5
        evs = four_events(w, ids[4], 5)
        assert all(e["container"].get("parent_id") == node for e in evs), evs
        log(f"kind-like node at its quota of 3: the fourth refused ({refused} counted), "
            f"the fifth followed after one went")
    finally:
        inner.cleanup()
        if os.path.isdir(os.path.join(node_dir, "docker")):
            os.rmdir(os.path.join(node_dir, "docker"))
        ctd.kill(node)
        ctd.remove(node)
        w.stop()


def test_one_users_sub_cgroups_leave_room_for_a_real_containers_own():
    """nobody makes 64 scopes named like Docker containers in its subtree, with 64
    sub-cgroups each; then the runtime of a real, running container makes the container's own
    sub-cgroup (crun under systemd runs the init in <scope>/container; the guest suite runs
    that layout whole). What nobody made is charged to nobody (its quota, its rate): the real
    container's sub-cgroup, made by root outside every container, is followed (before:
    nobody's sub-cgroups took the quarter of the map kept for all containers' sub-cgroups, and
    the real one's was refused: a start or exit in it would not be seen)."""
    w = Ctrwatch(workdir, "alias-pool", "--max-cgroups", "4096", socket=ctd.sock).start()
    top = delegate_cgroup(DELEGATED, 65534)
    base = os.path.join(top, "user.slice")
    os.makedirs(base, exist_ok=True)
    os.chown(base, 65534, 65534)
    scopes = [os.path.join(base, f"docker-{os.urandom(32).hex()}.scope") for _ in range(64)]
    made = [p for s in scopes for p in [s] + [os.path.join(s, f"s{j}") for j in range(64)]]
    real = f"ctrw-{os.getpid()}-roomy"
    own = os.path.join(cgroup2_dir(f"/{ctd.namespace}/{real}"), "container")
    ctd.run(real, "/bin/sleep", "60", detach=True, check=True)
    try:
        w.wait_for(real, "container_start")
        took = mkdirs(65534, made)
        time.sleep(1)  # ctrwatch has read them all by now
        os.mkdir(own)
        followed = wait_until(lambda: os.stat(own).st_ino in w.tracked(), timeout=5,
                              what="the real container's sub-cgroup in the kernel map")
        log(f"nobody's {len(made)} cgroups in {took:.2f} s: "
            f"{pressure_total(w, 'creator_quota_refused')} refused for its quota, "
            f"{pressure_total(w, 'creator_rate_refused')} for its rate; the real container's "
            f"own sub-cgroup followed: {followed}")
    finally:
        for d in reversed(made):
            if os.path.isdir(d):
                os.rmdir(d)
        if os.path.isdir(own):
            os.rmdir(own)
        ctd.kill(real)
        ctd.remove(real)
        w.stop()


FLOOD = 20000


def test_a_user_making_cgroups_as_fast_as_it_can_is_held_to_its_rate():
    """nobody makes 20 000 directories named like Docker containers in its subtree as fast as
    Python can, then removes them, while a real container runs; another runs after. Both get
    their four events, and what nobody caused is bounded by its rate (100 a second, 400 at
    once): kernel records and lines, counted against the time the flood took; the rest is
    refused and counted (creator_rate_refused). Before: every mkdir was a record and a line."""
    top = delegate_cgroup(DELEGATED, 65534)
    base = os.path.join(top, "user.slice")
    os.makedirs(base, exist_ok=True)
    os.chown(base, 65534, 65534)
    made = [os.path.join(base, f"docker-{os.urandom(32).hex()}.scope") for _ in range(FLOOD)]
    seq_maps = array_maps("record_seq")
    w = Ctrwatch(workdir, "mkdir-flood", "--heartbeat", "0", socket=ctd.sock).start()
    during, after = f"ctrw-{os.getpid()}-fdur", f"ctrw-{os.getpid()}-faft"
    try:
        (seq_map,) = array_maps("record_seq") - seq_maps
        before = record_seq(seq_map)
        runner = threading.Thread(target=lambda: ctd.run(during, "/bin/sh", "-c",
                                                         "sleep 1; exit 3"))
        runner.start()
        took = mkdirs(65534, made)
        took += mkdirs(65534, made, op="rmdir")
        runner.join()
        assert ctd.run(after, "/bin/sh", "-c", "exit 4").returncode == 4
        four_events(w, during, 3)
        four_events(w, after, 4)
        records = record_seq(seq_map) - before - 8  # the two containers' own
        lines = [e for e in w.events() if DELEGATED in json.dumps(e)]
        refused = pressure_total(w, "creator_rate_refused", wait=5)
        bound = 400 + 100 * (took + 1)  # tracked at most, each a mkdir and an rmdir record
        log(f"{FLOOD} mkdirs in {took:.2f} s: {records} kernel records, {len(lines)} lines "
            f"of nobody's, {refused} refused for its rate (bound {bound:.0f} tracked)")
        assert records <= 2 * bound, (records, bound)
        assert len(lines) <= 2 * bound, (len(lines), bound)
        assert refused >= FLOOD - bound, (refused, bound)
    finally:
        for d in made:
            if os.path.isdir(d):
                os.rmdir(d)
        w.stop()


def array_maps(name):
    """{map id} of every loaded map called name."""
    shown = subprocess.run(["bpftool", "-j", "map", "show"], stdout=subprocess.PIPE,
                           text=True, check=True).stdout
    return {m["id"] for m in json.loads(shown or "[]") if m.get("name") == name}


def record_seq(map_id):
    """The kernel's record counter: every record any program of that ctrwatch has made."""
    dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(map_id)],
                          stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(dump)[0]["formatted"]["value"]


def unshare_loop(scope, user, seconds):
    """user, put in scope (as logind puts a session), loops `unshare -Urm /bin/true` for
    seconds; prints how many it ran."""
    loop = (f'end=$(($(date +%s) + {seconds})); n=0; while [ "$(date +%s)" -lt "$end" ]; do '
            'unshare -Urm /bin/true || exit 1; n=$((n + 1)); done; echo "$n"')
    return subprocess.Popen(["sh", "-c", f'echo $$ > "{scope}/cgroup.procs" && exec setpriv '
                             f'--reuid {user} --regid {user} --clear-groups sh -c \'{loop}\''],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def loop_count(proc):
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, f"the unshare loop failed: {err}"
    return int(out.strip())


def test_an_unshare_loop_costs_the_kernel_a_lookup_not_records():
    """A user the test creates loops `unshare -Urm /bin/true` in its session scope, each exec a
    task in new namespaces in a cgroup ctrwatch does not track. With readmission's gate closed
    (nothing missed) the loop makes no record at all, and containers churning meanwhile lose
    nothing. Then a lookalike is let go, which opens the gate: the loop's scope is sent once,
    the rest of its execs are refused and counted, and the gate closes once the reason is a
    window old (CTRWATCH_TEST_READMIT_WINDOW_MS shortens the minute to 6 s: the 1 s loop, seen
    open up to a second late, ends inside it even on a loaded machine)."""
    user = f"ctrwl{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/bin/sh", user],
                   check=True)
    uid = pwd.getpwnam(user).pw_uid
    slice_ = f"/user.slice/user-{uid}.slice"
    scope = cgroup2_dir(f"{slice_}/session-ctrw.scope")
    lookalike = cgroup2_dir(f"/{ctd.namespace}/{os.urandom(32).hex()}")
    os.makedirs(scope)
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    seq_maps = array_maps("record_seq")
    os.environ["CTRWATCH_TEST_READMIT_WINDOW_MS"] = "6000"
    w = Ctrwatch(workdir, "unshare", "--heartbeat", "0", "--metrics-address",
                 f"127.0.0.1:{port}", socket=ctd.sock)
    try:
        w.start()
    except BaseException:
        remove_cgroup_tree(slice_)
        subprocess.run(["userdel", user], check=False)
        raise
    finally:
        del os.environ["CTRWATCH_TEST_READMIT_WINDOW_MS"]
    try:
        (seq_map,) = array_maps("record_seq") - seq_maps
        # lookalikes the host had at start may hold the gate open: a window, then it closes
        wait_until(lambda: scrape(port, "ctrwatch_kernel_readmission_open") == 0, timeout=10,
                   what="the readmission gate to close")
        tracked = len(w.tracked())

        before = record_seq(seq_map)
        n = loop_count(unshare_loop(scope, user, 3))
        idle = record_seq(seq_map) - before
        log(f"gate closed, no container: {n} unshare execs made {idle} records")
        assert n > 30 and idle == 0, (n, idle)

        loop = unshare_loop(scope, user, 10)
        churn = Churn(ctd, f"ctrw-{os.getpid()}-unsh", workers=2).start()
        n = loop_count(loop)
        ids = churn.stop()
        for cid in ids:
            w.wait_for(cid, "container_remove")
            evs = w.for_container(cid)
            assert [e["event"] for e in evs] == ["container_create", "container_start",
                                                 "container_exit", "container_remove"], evs
            assert all(e["enrichment"] == "complete" for e in evs), evs
            assert evs[2]["exit"]["code"] == Churn.exit_code(cid), evs[2]
        log(f"gate closed, {len(ids)} containers churning: {n} unshare execs")
        assert scrape(port, "ctrwatch_kernel_readmissions_total", result="sent") == 0
        assert scrape(port, "ctrwatch_kernel_readmissions_total", result="recent") == 0
        wait_until(lambda: len(w.tracked()) == tracked, what="the map back to its fill")

        os.mkdir(lookalike)  # containerd does not know it: let go, and the gate opens
        wait_until(lambda: scrape(port, "ctrwatch_kernel_readmission_open") == 1,
                   what="the gate to open for a lookalike let go")
        n = loop_count(unshare_loop(scope, user, 1))

        def counted():  # the metrics are read from the kernel once a second
            sent = scrape(port, "ctrwatch_kernel_readmissions_total", result="sent")
            recent = scrape(port, "ctrwatch_kernel_readmissions_total", result="recent")
            return (sent, recent) if sent + recent >= n else None
        sent, recent = wait_until(counted, what="the loop's execs counted")
        log(f"gate open: {n} unshare execs, {sent:.0f} sent, {recent:.0f} refused as recent")
        assert sent == 1 and recent == n - 1, (n, sent, recent)
        wait_until(lambda: scrape(port, "ctrwatch_kernel_readmission_open") == 0, timeout=10,
                   what="the gate to close a window after the lookalike")
        # the gauge is the exec program's own test (readmission_state): closed, it sends nothing
        before = record_seq(seq_map)
        n = loop_count(unshare_loop(scope, user, 1))
        after = record_seq(seq_map) - before
        log(f"gate closed again: {n} unshare execs made {after} records")
        assert n > 10 and after == 0, (n, after)
        lost = [e["lost"] for e in w.events() if e["event"] == "ctrwatch_lost"]
        assert not lost, lost
    finally:
        remove_cgroup_tree(slice_)
        os.rmdir(lookalike) if os.path.isdir(lookalike) else None
        w.stop()
        subprocess.run(["userdel", user], check=False)


def test_readmissions_past_256_a_second_are_refused_and_counted():
    """With the gate open, root moves one shell through 1 200 cgroups ctrwatch does not track
    and runs `unshare -m /bin/true` in each (a host service with a private /tmp, 1 200 times
    over): each is a readmission's candidate once. The kernel sends at most 256 a second and
    refuses the rest as over the rate: sent and refused add up to the 1 200 exactly, and no
    more were sent than 256 for each second the loop touched. Nothing of it is a line."""
    count = 1200
    top = f"/ctrw-rate-{os.getpid()}.slice"
    dirs = [cgroup2_dir(f"{top}/svc{i}.service") for i in range(count)]
    for d in dirs:
        os.makedirs(d)
    lookalike = cgroup2_dir(f"/{ctd.namespace}/{os.urandom(32).hex()}")
    port = free_port()
    w = Ctrwatch(workdir, "rate", "--heartbeat", "0", "--metrics-address", f"127.0.0.1:{port}",
                 socket=ctd.sock).start()
    results = ("sent", "recent", "rate", "room")
    try:
        os.makedirs(lookalike)  # containerd does not know it: let go, and the gate opens
        wait_until(lambda: scrape(port, "ctrwatch_kernel_readmission_open") == 1,
                   what="the gate to open for a lookalike let go")
        before = {r: scrape(port, "ctrwatch_kernel_readmissions_total", result=r)
                  for r in results}
        began = time.monotonic()
        unshare_in_each(dirs)
        took = time.monotonic() - began

        def counted():  # the metrics are read from the kernel once a second
            now = {r: scrape(port, "ctrwatch_kernel_readmissions_total", result=r) - before[r]
                   for r in results}
            return now if sum(now.values()) >= count else None
        got = wait_until(counted, what="the loop's execs counted")
        log(f"{count} cgroups in {took:.2f} s: {got}")
        assert got["sent"] + got["rate"] == count and got["recent"] == got["room"] == 0, got
        assert got["rate"] > 0 and got["sent"] <= 256 * (int(took) + 2), (got, took)
        lines = [e for e in w.events() if top in json.dumps(e)]
        assert not lines, lines[:3]
    finally:
        w.stop()
        if os.path.isdir(lookalike):
            os.rmdir(lookalike)
        remove_cgroup_tree(top)


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
    said = refused("--output", theirs)
    assert "another user owns it" in said and "others may write" not in said, said
    shared = os.path.join(workdir, "shared.jsonl")
    open(shared, "w").close()
    os.chmod(shared, 0o666)
    said = refused("--output", shared)
    assert "others may write it" in said and "another user" not in said, said
    assert open(victim).read() == "untouched\n"
    for p in (theirs, shared):
        assert os.path.getsize(p) == 0, p


SHARE_USED = "podman (uid 65534) used its share of lookup time"


def rootless_lines(w, cid):
    """The four lines of the cgroup forged as cid's rootless Podman scope, once all are out."""
    def four():
        evs = w.for_container(cid)
        return evs if evs and evs[-1]["event"] == "container_remove" else None
    evs = wait_until(four, what=f"the remove of rootless {cid[:12]}")
    assert [e["event"] for e in evs] == ["container_create", "container_start", "container_exit",
                                         "container_remove"], evs
    for e in evs:
        assert e["container"]["cgroup_owner_uid"] == 65534, e
        assert e["container"]["runtime"] == "podman", e
    return evs


def serve_as(uid, path, *args):
    """fake_engine.py on path as uid (root: 0)."""
    cmd = [sys.executable, os.path.join(os.path.dirname(__file__), "fake_engine.py"), path, *args]
    if uid:
        cmd = ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", *cmd]
    if os.path.exists(path):
        os.unlink(path)  # the last one's
    proc = subprocess.Popen(cmd)
    wait_until(lambda: os.path.exists(path) or proc.poll() is not None, what=f"{path} served")
    assert proc.poll() is None, "the fake engine exited"
    return proc


def test_a_rootless_container_is_what_its_own_user_says_and_nothing_more():
    """nobody runs a "rootless Podman" (a stand-in that says what nobody wants) on the socket
    ctrwatch asks for nobody's containers, and makes libpod scopes in its own subtree:
    - its answer names the container: the lines say so, and whose (cgroup_owner_uid), and the
      name it picked to match the operator's --exclude does not hide them;
    - the same socket path served by root (a link or rebind to someone else's engine) is not
      asked: partial, saying whose socket it is;
    - a socket that accepts and never answers costs nobody's own lane a bounded share of time
      (its lookups are then refused at once: "used its share"), while a real container
      started meanwhile is enriched in full."""
    sockdir = tempfile.mkdtemp(prefix="ctrw-user-")  # not under workdir: nobody must reach it
    os.chown(sockdir, 65534, 65534)
    path = os.path.join(sockdir, "65534.sock")
    w = Ctrwatch(workdir, "rootless", "--rootless-podman-socket", os.path.join(sockdir, "%u.sock"),
                 "--exclude", "name:^hidden", socket=ctd.sock).start()
    scope = f"{DELEGATED}/user.slice/libpod-%s.scope"
    procs = []
    try:
        # a socket that accepts and never answers, while a real container starts
        asked = os.path.join(sockdir, "asked.log")
        procs.append(serve_as(65534, path, "--stall", "--log", asked))
        stalled = [os.urandom(32).hex() for _ in range(10)]
        real = f"ctrw-{os.getpid()}-beside"
        forging = threading.Thread(target=lambda: [forge_cgroup(DELEGATED, scope % c)
                                                   for c in stalled])
        forging.start()
        ctd.run(real, "/bin/sleep", "1", check=True)
        forging.join()
        start = w.wait_for(real, "container_start")
        assert start["enrichment"] == "complete", start
        assert not [e for c in stalled for e in rootless_lines(w, c)
                    if e["enrichment"] == "complete"]
        # the lookups queued behind the stalled calls go on: more of nobody's containers until
        # one is refused at once, its share used (its line's own wait, 500 ms, is shorter
        # than a call's 750 ms: the stalled ones' lines only say they waited)
        probes = []

        def refused_at_once():
            probes.append(os.urandom(32).hex())
            forge_cgroup(DELEGATED, scope % probes[-1])
            return all(SHARE_USED in e.get("enrichment_error", "")
                       for e in rootless_lines(w, probes[-1]))
        wait_until(refused_at_once, timeout=60, interval=0.2,
                   what="nobody's share of lookup time to be used")
        # each call the stalled socket took cost 750 ms at least, and the share is 5 s: at
        # most 7 calls (the seventh cut to what was left), then lookups refused with no call
        with open(asked) as f:
            calls = urllib.parse.unquote(f.read()).split()
        log(f"the stalled socket was called {len(calls)} times for {10 + len(probes)} "
            f"containers")
        assert 0 < len(calls) <= 7, calls
        assert not [t for t in calls if probes[-1] in t], calls
        procs.pop().kill()

        # while its share is used, the next container's socket, which answers now, is not
        # called: refused at once; once the window (10 s) ends, nobody's answer names its
        # container, whatever name it picked. Waited for, not timed.
        ids = [os.urandom(32).hex() for _ in range(40)]
        os.unlink(asked)
        procs.append(serve_as(65534, path, "--log", asked, *[
            a for cid in ids for a in ("--container", cid, "hidden-app", "docker.io/me/app:1")]))
        tried = []

        def next_one_complete():
            cid = ids[len(tried)]
            tried.append(cid)
            forge_cgroup(DELEGATED, scope % cid)
            evs = rootless_lines(w, cid)
            if evs[0]["enrichment"] != "complete":
                for e in evs:
                    assert SHARE_USED in e.get("enrichment_error", ""), e
                with open(asked) as f:
                    assert cid not in urllib.parse.unquote(f.read()), "refused, yet called"
                return None
            return evs
        evs = wait_until(next_one_complete, timeout=30, interval=0.5,
                         what="nobody's share of lookup time to come back")
        log(f"refused at once {len(tried) - 1} times before the window ended")
        assert len(tried) > 1, "the share was not in force after the stalled calls"
        for e in evs:
            c = e["container"]
            assert e["enrichment"] == "complete", e
            assert c["name"] == "hidden-app" and c["image"] == "docker.io/me/app:1", c
            assert c["cgroup_path"] == scope % tried[-1], c
        procs.pop().kill()

        # the same path served by root
        cid = os.urandom(32).hex()
        procs.append(serve_as(0, path, "--container", cid, "root-app", "docker.io/me/app:1"))
        os.chown(path, 65534, 65534)  # owned by nobody, served by root
        forge_cgroup(DELEGATED, scope % cid)
        for e in rootless_lines(w, cid):
            assert e["enrichment"] != "complete" and "name" not in e["container"], e
            assert "is served by uid 0, not by uid 65534" in e["enrichment_error"], e
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        w.stop()
        shutil.rmtree(sockdir, ignore_errors=True)


def test_one_user_cannot_fill_the_rootless_lane_for_all():
    """nobody (65534) makes 300 libpod scopes in its subtree as fast as a shell loop can, its
    engine answering each lookup after 50 ms: its lookups fill what the rootless lane lets one
    uid have. Another user (65533), with an engine of its own, starts a container right after:
    its lookup takes its turn beside nobody's, and its four lines are complete (before, one
    queue of 256 was shared by every user: the flood filled it and the other user's lookups
    were refused)."""
    flooder, other = 65534, 65533
    other_delegated = f"/user.slice/user-{other}.slice/user@{other}.service"
    other_slice_made = not os.path.isdir(cgroup2_dir(f"/user.slice/user-{other}.slice"))
    sockdir = tempfile.mkdtemp(prefix="ctrw-users-")
    os.chmod(sockdir, 0o1777)  # each user binds its own socket there
    w = Ctrwatch(workdir, "rootless-lane", "--rootless-podman-socket",
                 os.path.join(sockdir, "%u.sock"), socket=ctd.sock).start()
    procs = []
    flood = [os.urandom(32).hex() for _ in range(300)]
    top = delegate_cgroup(DELEGATED, flooder)
    try:
        procs.append(serve_as(flooder, os.path.join(sockdir, f"{flooder}.sock"),
                              "--delay", "0.05"))
        cid = os.urandom(32).hex()
        procs.append(serve_as(other, os.path.join(sockdir, f"{other}.sock"),
                              "--container", cid, "other-app", "docker.io/other/app:1"))
        os.makedirs(os.path.join(top, "user.slice"), exist_ok=True)
        os.chown(os.path.join(top, "user.slice"), flooder, flooder)
        dirs = " ".join(f"{top}/user.slice/libpod-{c}.scope" for c in flood)
        subprocess.run(["setpriv", "--reuid", str(flooder), "--regid", str(flooder),
                        "--clear-groups", "sh", "-c", f"mkdir {dirs}"], check=True, timeout=60)
        scope = f"{other_delegated}/user.slice/libpod-{cid}.scope"
        forge_cgroup(other_delegated, scope, uid=other)
        evs = wait_until(lambda: (lambda e: e if e and e[-1]["event"] == "container_remove"
                                  else None)(w.for_container(cid)),
                         what="the other user's container's remove")
        log("the other user's lines: " + ", ".join(
            f'{e["event"]} {e["enrichment"]} {e.get("enrichment_error", "")}' for e in evs))
        assert [e["event"] for e in evs] == ["container_create", "container_start",
                                             "container_exit", "container_remove"], evs
        for e in evs:
            assert e["enrichment"] == "complete", e
            assert e["container"]["name"] == "other-app", e
            assert e["container"]["cgroup_owner_uid"] == other, e
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        w.stop()
        subprocess.run(["sh", "-c", f"rmdir {top}/user.slice/libpod-*.scope"],
                       stderr=subprocess.DEVNULL)
        if other_slice_made:
            remove_cgroup_tree(f"/user.slice/user-{other}.slice")
        shutil.rmtree(sockdir, ignore_errors=True)


def test_pin_directory_of_another_user_is_not_adopted():
    """A pin directory someone else made (their maps: forged records, a map that hides
    containers) is refused, not adopted; so is a link to one."""
    ensure_bpffs()
    theirs = os.path.join(BPFFS, f"ctrw-trust-{os.getpid()}")
    link = theirs + "-link"
    os.mkdir(theirs, 0o700)
    try:
        os.chown(theirs, 65534, 65534)
        said = refused("--pin-path", theirs)
        assert "another user owns it" in said and "others may write" not in said, said
        os.chown(theirs, 0, 0)
        os.chmod(theirs, 0o777)
        said = refused("--pin-path", theirs)
        assert "others may write it" in said and "another user" not in said, said
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

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: the real BPF programs, real containers under a private containerd, and the JSON
lines ctrwatch printed. Needs root."""

import json
import os
import socket
import urllib.request
import shutil
import signal
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, kubepods_cgroup, CTRWATCH, Containerd, Ctrwatch, hierarchy_dirs, log,  # noqa: E402
                     EventStream, cgroup2_dir, remove_cgroup_tree, run_tests, stop_every_thread,
                     wait_until)

LIFECYCLE = ["container_create", "container_start", "container_exit", "container_remove"]

ctd = None
plain = None  # ctrwatch without --exec
execs = None  # ctrwatch --exec
workdir = None
created_cgroups = []


def name(suffix):
    return f"ctrw-{os.getpid()}-{suffix}"


def lifecycle_of(watcher, cid):
    return [e["event"] for e in watcher.for_container(cid)]


def assert_one_lifetime(watcher, cid):
    got = [e for e in lifecycle_of(watcher, cid) if e != "process_exec"]
    assert got == LIFECYCLE, f"{cid}: expected {LIFECYCLE}, got {got}"


def test_exit_code_is_reported_once_per_lifetime():
    cid = name("exit3")
    r = ctd.run(cid, "/bin/sh", "-c", "exit 3")
    assert r.returncode == 3, r
    for w in (plain, execs):
        w.wait_for(cid, "container_remove")
        assert_one_lifetime(w, cid)
    ev = {e["event"]: e for e in plain.for_container(cid)}
    assert ev["container_exit"]["exit"] == {"code": 3, "signal": 0, "core_dumped": False,
                                            "oom_killed": False, "entrypoint_ran": True}, \
        ev["container_exit"]
    c = ev["container_create"]["container"]
    assert c["runtime"] == "containerd"
    assert c["cgroup_path"] == f"/{ctd.namespace}/{cid}", c
    assert c["cgroup_id"] == ev["container_remove"]["container"]["cgroup_id"]
    assert ev["container_create"]["host"]["hostname"] == os.uname().nodename
    times = [ev[k]["time"] for k in LIFECYCLE]
    assert times == sorted(times), times
    assert times[0].endswith("Z") and len(times[0]) == 30, times[0]


def test_start_is_the_entrypoint_not_the_runtime():
    cid = name("entry")
    ctd.run(cid, "/bin/sh", "-c", "/bin/true")
    start = execs.wait_for(cid, "container_start")
    execs.wait_for(cid, "container_remove")
    p = start["process"]
    assert p["exe"] == "/bin/sh" and p["args"] == ["/bin/sh", "-c", "/bin/true"], p
    assert p["comm"] == "sh", p
    for e in execs.for_container(cid):
        if e["event"] == "process_exec":
            assert e["process"]["comm"] != "runc" and not e["process"]["exe"].startswith(
                ("/dev/fd", "/proc/self")), f"runtime helper reported: {e}"


def test_sigkill_gives_signal_9():
    cid = name("killed")
    ctd.run(cid, "/bin/sleep", "600", detach=True, check=True)
    plain.wait_for(cid, "container_start")
    ctd.kill(cid)
    ex = plain.wait_for(cid, "container_exit")
    assert ex["exit"]["signal"] == 9 and ex["exit"]["code"] == 137, ex
    ctd.remove(cid)
    plain.wait_for(cid, "container_remove")
    assert_one_lifetime(plain, cid)


def held_start_spec(cid):
    """An OCI spec for `ctr run --config` whose startContainer hook (runc runs it inside the
    container, after `runc start` let the init go on and before the init runs the program)
    sleeps: a window in which the init can die before its program ran, every time."""
    spec = json.loads(ctd.ctr("oci", "spec").stdout)
    rootfs = os.path.join(workdir, f"rootfs-{cid}")
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    os.symlink("busybox", os.path.join(rootfs, "bin", "sleep"))
    spec["root"] = {"path": rootfs}
    spec["process"]["args"] = ["/bin/sleep", "30"]
    spec["linux"]["cgroupsPath"] = f"/{ctd.namespace}/{cid}"
    spec["hooks"] = {"startContainer": [{"path": "/bin/sleep", "args": ["sleep", "20"]}]}
    path = os.path.join(workdir, f"spec-{cid}.json")
    with open(path, "w") as f:
        json.dump(spec, f)
    return path


def test_a_container_whose_init_dies_before_its_program_ran_still_ends():
    """A CRI client's StartContainer then RemoveContainer can kill runc's init after the start
    and before it runs the program (2 in 80 tries). Made certain here: a startContainer hook
    holds the init there, and it is SIGKILLed. containerd's events say /tasks/start, then
    /tasks/exit 137. Before: ctrwatch printed create and remove only. After: also one
    container_exit, code 137, signal 9, entrypoint_ran false, with that init's pid, and no
    container_start."""
    cid = name("never-ran")
    spec = held_start_spec(cid)
    stream = EventStream(ctd)
    run = subprocess.Popen(["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "-d",
                            "--config", spec, cid], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        procs = os.path.join(cgroup2_dir(f"/{ctd.namespace}/{cid}"), "cgroup.procs")
        init = wait_until(lambda: init_holding_the_hook(procs),
                          what="the init and its hook in the container's cgroup")
        os.kill(int(init), signal.SIGKILL)
        run.wait(timeout=60)
        wait_until(lambda: "/tasks/exit" in [t for t, _ in stream.of(cid)],
                   what="containerd's /tasks/exit")
        ctd.remove(cid)
        plain.wait_for(cid, "container_remove")
        truth = stream.of(cid)
    finally:
        stream.stop()
    topics = [t for t, _ in truth]
    status = [e for t, e in truth if t == "/tasks/exit"][0]["exit_status"]
    log(f"containerd: {topics}, exit {status}; ctrwatch: {lifecycle_of(plain, cid)}")
    assert "/tasks/start" in topics and status == 137, truth
    assert lifecycle_of(plain, cid) == ["container_create", "container_exit",
                                        "container_remove"], plain.for_container(cid)
    ex = plain.wait_for(cid, "container_exit")
    assert ex["exit"] == {"code": 137, "signal": 9, "core_dumped": False, "oom_killed": False,
                          "entrypoint_ran": False}, ex


def init_holding_the_hook(procs):
    """The pid of the init once it runs the startContainer hook: the process in the cgroup
    whose child there is the hook. Not any two processes: while runc sets up, its own
    bootstrap stages are in the cgroup too, and killing one of them fails the create (the
    CI run that saw no /tasks/start)."""
    try:
        with open(procs) as f:
            pids = f.read().split()
        for pid in pids:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() != b"sleep\x0020\x00":
                    continue
            parent = ppid_of(pid)
            if parent in pids:
                return parent
    except FileNotFoundError:
        pass
    return None


def ppid_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[1]


def test_kubepods_cgroup_gives_pod_uid():
    cid = os.urandom(32).hex()
    pod_uid = str(uuid.uuid4())
    cgroup = kubepods_cgroup(pod_uid, cid, created_cgroups)
    ctd.run(cid, "/bin/sh", "-c", "exit 0", extra=["--cgroup", cgroup])
    plain.wait_for(cid, "container_remove")
    assert_one_lifetime(plain, cid)
    for e in plain.for_container(cid):
        assert e["pod"]["uid"] == pod_uid, e
        assert e["enrichment"] == "complete", e  # found outside the k8s.io hint
        assert e["container"]["cgroup_path"] == cgroup, e
    # The pod-level cgroup is no container: no event names it.
    assert not [e for e in plain.events()
                if e.get("container", {}).get("cgroup_path") == f"/kubepods/besteffort/pod{pod_uid}"]


def test_a_container_nested_in_another_is_reported_as_its_own():
    """A kind node: a pod's container in the node's Docker container, its cgroup nested in
    the node's (/system.slice/docker-<node>.scope/kubelet.slice/…/cri-containerd-<id>.scope,
    300 bytes: longer than a record's path, whose end the kernel keeps). Each is a container of
    its own, with its own id, pod uid and exit code; the inner names the outer one."""
    outer, inner = os.urandom(32).hex(), os.urandom(32).hex()
    pod_uid = str(uuid.uuid4())
    outer_cg = f"/system.slice/docker-{outer}.scope"
    inner_cg = (f"{outer_cg}/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort"
                f".slice/kubelet-kubepods-besteffort-pod{pod_uid.replace('-', '_')}.slice/"
                f"cri-containerd-{inner}.scope")
    assert len(inner_cg) > 255, len(inner_cg)
    created_cgroups.append(outer_cg)
    ctd.run(outer, "/bin/sleep", "600", detach=True, check=True, extra=["--cgroup", outer_cg])
    execs.wait_for(outer, "container_start")
    r = ctd.run(inner, "/bin/sh", "-c", "/bin/true; exit 5", extra=["--cgroup", inner_cg])
    assert r.returncode == 5, r
    execs.wait_for(inner, "container_remove")
    ctd.kill(outer)
    ctd.remove(outer)
    execs.wait_for(outer, "container_remove")
    got = execs.for_container(inner)
    assert [e["event"] for e in got] == ["container_create", "container_start", "process_exec",
                                         "container_exit", "container_remove"], got
    for e in got:
        assert e["container"]["parent_id"] == outer, e
        assert e["pod"]["uid"] == pod_uid and e["enrichment"] == "complete", e
        assert e["container"]["cgroup_path"].endswith(f"cri-containerd-{inner}.scope"), e
    assert got[3]["exit"]["code"] == 5, got[3]
    mine = execs.for_container(outer)
    assert [e["event"] for e in mine] == ["container_create", "container_start",
                                          "container_exit", "container_remove"], mine
    assert mine[2]["exit"]["code"] == 137 and "parent_id" not in mine[0]["container"], mine


def test_nested_containers_running_before_ctrwatch_are_both_found():
    """The startup scan finds a container nested in another (it used to skip a container's
    whole subtree), and the inner one names the outer."""
    outer, inner = os.urandom(32).hex(), os.urandom(32).hex()
    outer_cg = f"/system.slice/docker-{outer}.scope"
    inner_cg = f"{outer_cg}/kubelet.slice/kubelet-kubepods.slice/cri-containerd-{inner}.scope"
    created_cgroups.append(outer_cg)
    ctd.run(outer, "/bin/sleep", "600", detach=True, check=True, extra=["--cgroup", outer_cg])
    ctd.run(inner, "/bin/sleep", "600", detach=True, check=True, extra=["--cgroup", inner_cg])
    late = Ctrwatch(workdir, "nested-late", socket=ctd.sock).start()
    try:
        ev = late.wait_for(inner, "container_existing")
        assert ev["container"]["parent_id"] == outer, ev
        ev = late.wait_for(outer, "container_existing")
        assert "parent_id" not in ev["container"], ev
        for cid in (inner, outer):
            ctd.kill(cid)
            ctd.remove(cid)
            late.wait_for(cid, "container_remove")
        assert [e["event"] for e in late.for_container(inner)] == [
            "container_existing", "container_exit", "container_remove"], late.for_container(inner)
    finally:
        assert late.stop() == 0


def test_exec_sessions_are_reported_and_the_containers_own_programs_are_not():
    """ctr task exec (runc exec: it joins the container's cgroup and namespaces from outside)
    is a container_exec_session, with or without --exec, naming its parent; the container's
    own children are never sessions, not even one that unshares namespaces first (a
    privileged container: unshare -m, unshare -p -f)."""
    cid = name("sessions")
    own = ("sleep 0.5; unshare -m /bin/true; unshare -p -f /bin/true; sh -c /bin/true; "
           "exec /bin/sh -c 'while :; do sleep 0.2; done'")  # the init re-executes: its own
    ctd.run(cid, "/bin/sh", "-c", own, detach=True, check=True, extra=["--privileged"])
    plain.wait_for(cid, "container_start")
    time.sleep(1.5)  # the container's own programs have run
    # a session that lasts a moment: the exec id is asked of containerd while it runs
    r = ctd.ctr("task", "exec", "--exec-id", "sess1", cid, "/bin/sh", "-c",
                "/bin/true; sleep 0.5; exit 0", check=False)
    assert r.returncode == 0, r.stderr
    execs.wait_for(cid, "container_exec_session")
    plain.wait_for(cid, "container_exec_session")
    ctd.kill(cid)
    ctd.remove(cid)
    plain.wait_for(cid, "container_remove")
    execs.wait_for(cid, "container_remove")
    assert [e["event"] for e in plain.for_container(cid)] == [
        "container_create", "container_start", "container_exec_session", "container_exit",
        "container_remove"], plain.for_container(cid)
    sessions = [e for e in execs.for_container(cid) if e["event"] == "container_exec_session"]
    assert len(sessions) == 1, sessions
    s = sessions[0]["process"]
    assert s["exe"] == "/bin/sh" and s["args"] == ["/bin/sh", "-c",
                                                   "/bin/true; sleep 0.5; exit 0"], s
    assert s["parent_comm"] in ("runc", "containerd-shim"), s
    # the exec id containerd knows it by (Tasks/ListPids), with or without --exec
    assert s["exec_id"] == "sess1", s
    plain_session = [e for e in plain.for_container(cid) if e["event"] == "container_exec_session"]
    assert plain_session[0]["process"]["exec_id"] == "sess1", plain_session
    own_execs = [e["process"]["args"] for e in execs.for_container(cid)
                 if e["event"] == "process_exec"]
    for args in (["unshare", "-m", "/bin/true"], ["unshare", "-p", "-f", "/bin/true"]):
        assert args in own_execs, (args, own_execs)  # programs of its own, not sessions
    assert ["/bin/true"] in own_execs, own_execs  # the session's child: its own program


def test_a_session_that_execs_in_place_is_one_session():
    """`ctr task exec ... sh -c 'sleep 0.3; /bin/true'`: busybox execs its last command in the
    same pid once runc exec has exited, so the shim, outside the container, is its parent by
    then. One session is one container_exec_session (the shell); /bin/true, run in place, is the
    session's process_exec with --exec (same pid) and nothing without it."""
    cid = name("inplace")
    ctd.run(cid, "/bin/sh", "-c", "while :; do sleep 0.2; done", detach=True, check=True)
    plain.wait_for(cid, "container_start")
    r = ctd.ctr("task", "exec", "--exec-id", "inplace1", cid, "/bin/sh", "-c",
                "sleep 0.3; /bin/true", check=False)
    assert r.returncode == 0, r.stderr
    execs.wait_for(cid, "container_exec_session")
    time.sleep(0.5)  # what a second session event would need to arrive
    ctd.kill(cid)
    ctd.remove(cid)
    for w in (plain, execs):
        w.wait_for(cid, "container_remove")
    assert [e["event"] for e in plain.for_container(cid)] == [
        "container_create", "container_start", "container_exec_session", "container_exit",
        "container_remove"], plain.for_container(cid)
    sessions = [e for e in execs.for_container(cid) if e["event"] == "container_exec_session"]
    assert len(sessions) == 1 and sessions[0]["process"]["exe"] == "/bin/sh", sessions
    pid = sessions[0]["process"]["pid"]
    in_place = [e for e in execs.for_container(cid)
                if e["event"] == "process_exec" and e["process"]["pid"] == pid]
    assert [e["process"]["exe"] for e in in_place] == ["/bin/true"], in_place


def test_pause_and_resume_on_both_hierarchies():
    """ctr task pause/resume (runc freezes through cgroup v1's freezer on this hybrid host), then
    the same container frozen and thawed through cgroup2's cgroup.freeze: each change is one
    container_paused or container_resumed, a repeated write is none, and a host cgroup frozen
    is not reported."""
    cid = name("pause")
    rel = f"/{ctd.namespace}/{cid}"
    ctd.run(cid, "/bin/sh", "-c", "while :; do sleep 0.2; done", detach=True, check=True)
    plain.wait_for(cid, "container_start")
    v1_state = os.path.join("/sys/fs/cgroup/freezer", rel.lstrip("/"), "freezer.state")
    ctd.ctr("task", "pause", cid)
    through_v1 = os.path.exists(v1_state) and open(v1_state).read().strip() == "FROZEN"
    v1_refused = "does not let ctrwatch trace cgroup v1's freezer" in plain.stderr()
    log(f"runc paused through cgroup {'v1' if through_v1 else '2'}; fentry refused: {v1_refused}")
    if through_v1 and v1_refused:
        # the documented degraded mode (a kernel that refuses fentry, as this sandbox's does):
        # said at startup, and nothing is made up
        time.sleep(2)
        assert "container_paused" not in lifecycle_of(plain, cid), plain.for_container(cid)
        pauses = []
    else:
        plain.wait_for(cid, "container_paused")
        pauses = ["container_paused", "container_resumed"]
    ctd.ctr("task", "resume", cid)
    if pauses:
        plain.wait_for(cid, "container_resumed")

    freeze = os.path.join(cgroup2_dir(rel), "cgroup.freeze")
    host = cgroup2_dir(f"/ctrw-{os.getpid()}-host/leaf")  # no container: never reported
    os.makedirs(host)
    created_cgroups.append(f"/ctrw-{os.getpid()}-host")
    for value in ("1", "1", "0", "0"):  # each write a change or not
        for path in (freeze, os.path.join(host, "cgroup.freeze")):
            with open(path, "w") as f:
                f.write(value)
    for w in (plain, execs):
        wait_until(lambda: lifecycle_of(w, cid).count("container_resumed") == 1 + len(pauses) // 2,
                   what="the resume through cgroup2")
    ctd.kill(cid)
    ctd.remove(cid)
    plain.wait_for(cid, "container_remove")
    execs.wait_for(cid, "container_remove")
    want = ["container_create", "container_start", *pauses, "container_paused",
            "container_resumed", "container_exit", "container_remove"]
    for w in (plain, execs):
        got = [e for e in lifecycle_of(w, cid) if e != "process_exec"]
        assert got == want, got
        paused = [e for e in w.events() if e["event"] in ("container_paused",
                                                          "container_resumed")]
        assert {e["container"]["id"] for e in paused} == {cid}, paused
    ev = [e for e in plain.for_container(cid) if e["event"] == "container_paused"][0]
    assert ev["enrichment"] == "complete" and ev["container"]["image"], ev


def test_exec_reports_every_program_only_with_exec_flag():
    cid = name("execs")
    ctd.run(cid, "/bin/sh", "-c", "/bin/true; /bin/true; /bin/echo hi >/dev/null")
    execs.wait_for(cid, "container_remove")
    plain.wait_for(cid, "container_remove")
    got = [e["process"]["exe"] for e in execs.for_container(cid) if e["event"] == "process_exec"]
    assert got == ["/bin/true", "/bin/true", "/bin/echo"], got
    seq = lifecycle_of(execs, cid)
    assert seq == ["container_create", "container_start", "process_exec", "process_exec",
                   "process_exec", "container_exit", "container_remove"], seq
    assert "process_exec" not in lifecycle_of(plain, cid)
    ex = [e for e in execs.for_container(cid) if e["event"] == "process_exec"][0]["process"]
    start = execs.wait_for(cid, "container_start")["process"]
    assert ex["ppid"] == start["pid"], (ex, start)


def test_hostile_args_stay_valid_json():
    cid = name("hostile")
    hostile = ['a"b\\c', "line\nbreak\r", "\x01\x1b[31m", "caf\u00e9 \u2028",
               '","event":"forged']
    argv = ["/bin/sh", "-c", "exit 0", "sh"] + hostile
    bad_utf8 = b"\xff\xfe"
    cmd = ["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--rm",
           "docker.io/ctrwatch/busybox:test", cid] + [a.encode() for a in argv] + [bad_utf8]
    subprocess.run(cmd, check=True, timeout=60, stdout=subprocess.DEVNULL)
    start = plain.wait_for(cid, "container_start")
    args = start["process"]["args"]
    assert args == argv + ["\ufffd\ufffd"], args
    assert [e["event"] for e in plain.events() if e["event"] not in (
        "container_create", "container_start", "process_exec", "container_exit",
        "container_remove", "container_existing", "container_exec_session", "container_paused",
        "container_resumed", "ctrwatch_lost", "ctrwatch_pressure")] == []
    plain.wait_for(cid, "container_remove")


def test_long_args_are_truncated_and_flagged():
    cid = name("longargs")
    ctd.run(cid, "/bin/sh", "-c", "exit 0", "sh", "x" * 2000)
    start = plain.wait_for(cid, "container_start")["process"]
    assert start["args_truncated"] is True, start
    assert len("\0".join(start["args"])) <= 512, start
    plain.wait_for(cid, "container_remove")


def test_plain_cgroups_yield_nothing():
    top = f"/ctrw-plain-{os.getpid()}"
    created_cgroups.append(top)
    unified = [d for d in hierarchy_dirs(top) if "/unified/" in d] or hierarchy_dirs(top)[-1:]
    unified = unified[0]
    # "a" looks like containerd's /<namespace>/<id>; "a/b" like nothing at all.
    for leaf in ("a", "a/b"):
        path = os.path.join(unified, leaf)
        os.makedirs(path)
        # A process runs programs in it, as a container's would, but enters no namespace.
        subprocess.run(["sh", "-c", f"echo $$ > {path}/cgroup.procs && exec /bin/true"],
                       check=True)
    deep_id = os.stat(os.path.join(unified, "a", "b")).st_ino
    time.sleep(0.3)
    assert deep_id not in plain.tracked() and deep_id not in execs.tracked(), \
        "a/b is still tracked in the kernel"
    os.rmdir(os.path.join(unified, "a", "b"))
    os.rmdir(os.path.join(unified, "a"))
    time.sleep(0.3)
    for w in (plain, execs):
        hits = [e for e in w.events() if e.get("container", {}).get("cgroup_path", "").startswith(top)]
        assert not hits, hits


def run_with_cgroup(cid, path, code):
    """`ctr run --cgroup path` of a program that exits code: its four lines, complete, with the
    id and namespace containerd has for it and that path."""
    r = ctd.run(cid, "/bin/sh", "-c", f"/bin/true; exit {code}", extra=["--cgroup", path])
    assert r.returncode == code, r
    plain.wait_for(cid, "container_remove")
    assert_one_lifetime(plain, cid)
    for e in plain.for_container(cid):
        assert e["enrichment"] == "complete" and e["container"]["cgroup_path"] == path, e
        assert e["container"]["namespace"] == ctd.namespace, e
    assert plain.wait_for(cid, "container_exit")["exit"]["code"] == code


def test_a_container_at_the_top_level_is_the_one_containerd_puts_there():
    """`ctr run --cgroup /<name>`: the container's cgroup is one level under the root, and its
    name says nothing of its id. Before: nothing printed (the kernel ignored the first level).
    After: its four lines, with the id containerd has for the container whose cgroupsPath names
    that cgroup (Containers/List), complete. A top-level directory named like one, where a
    program runs in new namespaces but that no container's spec names, prints nothing."""
    top = f"/ctrw-top-{os.getpid()}"
    created_cgroups.append(top)
    run_with_cgroup(name("toplevel"), top, 4)
    lone = f"/ctrw-lone-{os.getpid()}"
    created_cgroups.append(lone)
    path = cgroup2_dir(lone)
    os.makedirs(path)
    subprocess.run(["sh", "-c", f"echo $$ > {path}/cgroup.procs && exec unshare -m /bin/true"],
                   check=True)
    os.rmdir(path)
    cid2 = name("after-lone")  # a container after it: the lone directory's lines would be before
    ctd.run(cid2, "/bin/true")
    plain.wait_for(cid2, "container_remove")
    hits = [e for e in plain.events() if e.get("container", {}).get("cgroup_path") == lone]
    assert not hits, hits


def test_a_container_deeper_down_is_the_one_containerd_puts_there():
    """`ctr run --cgroup /<a>/<b>/<c>`: three levels down, no layout a runtime names, and the
    last name not the container's id. Its lines carry the id containerd has for the container
    whose cgroupsPath names that cgroup, complete; the directories above it print nothing."""
    for depth, leaf in ((3, "box"), (4, None)):
        cid = name(f"deep{depth}")
        top = f"/ctrw-deep-{os.getpid()}-{depth}"
        parts = [top] + [f"lvl{i}" for i in range(depth - 2)] + [leaf or cid]
        path = "/".join(parts)
        created_cgroups.append(top)
        run_with_cgroup(cid, path, 5)
        above = [e for e in plain.events()
                 if e.get("container", {}).get("cgroup_path", "").startswith(top)
                 and e["container"]["cgroup_path"] != path]
        assert not above, above
    # one running before ctrwatch starts is found by the scan, under the same proof
    cid = name("deep-before")
    top = f"/ctrw-deep-{os.getpid()}-before"
    path = f"{top}/lvl0/box"
    created_cgroups.append(top)
    ctd.run(cid, "/bin/sleep", "600", detach=True, check=True, extra=["--cgroup", path])
    plain.wait_for(cid, "container_start")
    late = Ctrwatch(workdir, "late-deep", socket=ctd.sock).start()
    try:
        ev = late.wait_for(cid, "container_existing")
        assert ev["container"]["cgroup_path"] == path and ev["enrichment"] == "complete", ev
        ctd.kill(cid)
        late.wait_for(cid, "container_exit")
        ctd.remove(cid)
        late.wait_for(cid, "container_remove")
        above = [e for e in late.events()
                 if e.get("container", {}).get("cgroup_path", "").startswith(top)
                 and e["container"]["cgroup_path"] != path]
        assert not above, above
    finally:
        late.stop()


def test_existing_container_is_reported_then_its_exit_and_remove():
    cid = name("before")
    ctd.run(cid, "/bin/sleep", "600", detach=True, check=True)
    plain.wait_for(cid, "container_start")
    late = Ctrwatch(workdir, "late", socket=ctd.sock).start()
    try:
        ev = late.wait_for(cid, "container_existing")
        assert ev["container"]["cgroup_path"] == f"/{ctd.namespace}/{cid}", ev
        ctd.kill(cid)
        ex = late.wait_for(cid, "container_exit")
        assert ex["exit"]["signal"] == 9, ex
        ctd.remove(cid)
        late.wait_for(cid, "container_remove")
        got = lifecycle_of(late, cid)
        assert got == ["container_existing", "container_exit", "container_remove"], got
    finally:
        late.stop()


def test_oom_kill_in_container_is_reported_on_exit():
    cid = name("oom")
    r = ctd.run(cid, "/bin/sh", "-c", "head -c 300000000 /dev/zero | sort >/dev/null; exit 0",
                extra=["--memory-limit", str(32 << 20)])
    assert r.returncode == 0, r
    ex = plain.wait_for(cid, "container_exit")
    assert ex["exit"]["oom_killed"] is True, ex
    plain.wait_for(cid, "container_remove")


def execs_with_reader_frozen(w, cid, runs, then=""):
    """A container that runs /bin/true runs times (then the shell's `then`), its whole life
    while w's reader is stopped (SIGSTOP); w is stopped once it printed the remove."""
    try:
        stop_every_thread(w.proc.pid)
        try:
            ctd.run(cid, "/bin/sh", "-c",
                    f"i=0; while [ $i -lt {runs} ]; do /bin/true; i=$((i+1)); done{then}")
        finally:
            w.proc.send_signal(signal.SIGCONT)
        w.wait_for(cid, "container_remove")
    finally:
        assert w.stop() == 0, w.stderr()


def test_exec_flood_is_counted_as_lost_and_spares_lifecycle():
    runs = 300
    w = Ctrwatch(workdir, "small", "--exec", "--ringbuf-size", "16K", socket=ctd.sock).start()
    cid = name("flood")
    # The exec buffer must overflow, and the create, start, exit and remove records must fit.
    execs_with_reader_frozen(w, cid, runs)
    assert_one_lifetime(w, cid)
    printed = len([e for e in w.for_container(cid) if e["event"] == "process_exec"])
    lost = [e["lost"] for e in w.events() if e["event"] == "ctrwatch_lost"]
    lost_execs = sum(x["process_exec"] for x in lost)
    assert lost_execs > 0, "a 16K buffer should have overflowed"
    assert sum(x["total"] - x["process_exec"] for x in lost) == 0, lost
    # Not one exec goes unaccounted for: printed or counted.
    assert printed + lost_execs == runs, (printed, lost_execs)


def test_execs_from_their_own_ring_buffer_print_between_start_and_exit():
    """Exec records come through a ring buffer of their own, the start, exit and remove through
    the lifecycle one. With the reader stopped for the container's whole life, both hold a
    backlog at once: the reader must interleave them by seq, or the execs would print after the
    exit (or be dropped after the remove)."""
    runs = 20
    w = Ctrwatch(workdir, "order", "--exec", socket=ctd.sock).start()
    cid = name("order")
    execs_with_reader_frozen(w, cid, runs, then="; exit 5")
    evs = w.for_container(cid)
    kinds = [e["event"] for e in evs]
    assert kinds == LIFECYCLE[:2] + ["process_exec"] * runs + LIFECYCLE[2:], kinds
    assert all(e["process"]["exe"] == "/bin/true" for e in evs[2:2 + runs]), evs
    seqs = [e["seq"] for e in evs]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert evs[-2]["exit"]["code"] == 5, evs[-2]


def test_valgrind_finds_no_error_or_leak():
    """Under valgrind with the most code running: --exec, --format ocsf, --metrics-address
    scraped."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = os.path.join(workdir, "vg.jsonl")
    err = os.path.join(workdir, "vg.err")
    supp = os.path.join(os.path.dirname(__file__), "..", "valgrind.supp")
    p = subprocess.Popen(["valgrind", "--leak-check=full", "--error-exitcode=9",
                          "--errors-for-leak-kinds=definite,indirect,possible",
                          f"--suppressions={supp}",
                          CTRWATCH, "--exec", "--format", "ocsf", "--metrics-address",
                          f"127.0.0.1:{port}", "-o", out], stderr=open(err, "w"))
    try:
        wait_until(lambda: p.poll() is not None or "ready:" in open(err).read(), timeout=60,
                   what="ctrwatch under valgrind")
        cid = name("valgrind")
        ctd.run(cid, "/bin/sh", "-c", "/bin/true; exit 1")
        wait_until(lambda: b"container_remove" in open(out, "rb").read(), what="remove")
        for path in ("/metrics", "/healthz"):  # the server's threads run under valgrind too
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
                assert r.status == 200, (path, r.status)
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=30)
    assert rc == 0, open(err).read()[-3000:]


def test_cgroup_v1_cpuset_hierarchy_gives_the_same_lifecycle():
    """The v1 path of the kernel side (cgroup ids read from the cpuset css), forced here on a
    hybrid host as on a v1-only one."""
    if not os.path.isdir("/sys/fs/cgroup/cpuset"):
        raise AssertionError("no cpuset hierarchy mounted at /sys/fs/cgroup/cpuset")
    old, new = name("v1-old"), name("v1-new")
    ctd.run(old, "/bin/sleep", "600", detach=True, check=True)
    w = Ctrwatch(workdir, "cpuset", "--exec", "--cgroup-hierarchy", "cpuset",
                 socket=ctd.sock).start()
    try:
        assert "cgroup v1 cpuset hierarchy" in w.stderr(), w.stderr()
        existing = w.wait_for(old, "container_existing")
        cpuset_dir = f"/sys/fs/cgroup/cpuset/{ctd.namespace}/{old}"
        assert existing["container"]["cgroup_id"] == os.stat(cpuset_dir).st_ino, existing
        ctd.kill(old)
        ctd.remove(old)
        w.wait_for(old, "container_remove")
        assert lifecycle_of(w, old) == ["container_existing", "container_exit",
                                        "container_remove"], lifecycle_of(w, old)
        r = ctd.run(new, "/bin/sh", "-c", "/bin/true; exit 3")
        assert r.returncode == 3, r
        w.wait_for(new, "container_remove")
        assert lifecycle_of(w, new) == ["container_create", "container_start", "process_exec",
                                        "container_exit", "container_remove"], lifecycle_of(w, new)
        ex = w.wait_for(new, "container_exit")
        assert ex["exit"]["code"] == 3, ex
    finally:
        assert w.stop() == 0


def test_cli_errors():
    r = subprocess.run([CTRWATCH, "--bogus"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 2 and b"unknown option '--bogus'" in r.stderr, r
    r = subprocess.run([CTRWATCH, "--help"], stdout=subprocess.PIPE)
    assert r.returncode == 0 and b"--ringbuf-size" in r.stdout, r
    r = subprocess.run([CTRWATCH, "--version"], stdout=subprocess.PIPE)
    assert r.returncode == 0 and r.stdout.startswith(b"ctrwatch "), r
    # Root without the capabilities: one line naming them, exit 1.
    r = subprocess.run(["setpriv", "--bounding-set", "-sys_admin,-bpf,-perfmon", "--inh-caps",
                        "-all", CTRWATCH], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 1, r
    assert r.stderr.decode().strip().count("\n") == 0, r.stderr
    assert b"CAP_BPF and CAP_PERFMON" in r.stderr, r.stderr


def test_sigterm_exits_zero():
    """SIGTERM is a clean exit, 0, within the harness's bounded wait (past it: SIGKILL, -9).
    How long it takes is measured in `make bench` (scale: sigterm_exit_ms_idle)."""
    w = Ctrwatch(workdir, "term").start()
    rc = w.stop(signal.SIGTERM)
    assert rc == 0, (rc, w.stderr())


def test_closed_stdout_is_a_clean_exit():
    p = subprocess.Popen(f"{CTRWATCH} 2>{workdir}/pipe.err | head -n 1 >/dev/null; "
                         "echo ${PIPESTATUS[0]}",
                         shell=True, executable="/bin/bash", stdout=subprocess.PIPE, text=True)
    wait_until(lambda: os.path.exists(f"{workdir}/pipe.err")
               and "ready:" in open(f"{workdir}/pipe.err").read(), what="ready")
    cid = name("pipe")
    ctd.run(cid, "/bin/sh", "-c", "exit 0")
    ctd.run(name("pipe2"), "/bin/sh", "-c", "exit 0")
    out, _ = p.communicate(timeout=20)
    assert out.strip() == "0", (out, open(f"{workdir}/pipe.err").read())


def setup():
    global ctd, plain, execs, workdir
    # the nested tests put containers under /system.slice, which runc makes where the host has
    # none (no systemd): removed after, then
    if not all(os.path.isdir(d) for d in hierarchy_dirs("/system.slice")):
        created_cgroups.append("/system.slice")
    ctd = Containerd()
    workdir = ctd.dir
    ctd.start()
    ctd.import_image()
    plain = Ctrwatch(workdir, "plain", socket=ctd.sock).start()
    execs = Ctrwatch(workdir, "exec", "--exec", socket=ctd.sock).start()


def teardown():
    for w in (plain, execs):
        if w:
            rc = w.stop()
            if rc != 0:
                log(f"ctrwatch exited {rc}: {w.stderr()}")
    if ctd:
        ctd.cleanup()
    for cg in created_cgroups + [f"/{ctd.namespace}" if ctd else "/nonexistent"]:
        remove_cgroup_tree(cg)


if __name__ == "__main__":
    main("e2e", globals(), setup, teardown)

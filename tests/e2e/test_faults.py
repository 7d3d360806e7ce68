#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Fault injection: containerd killed and stopped during churn, a containerd socket that answers
garbage, answers slowly or closes mid-frame, a slow reader of stdout, churn with an exec storm.
Every run ends with the same check: every container's events present once, in order, every line
valid JSON, ctrwatch alive. `make test` runs the short form; `make soak` (CTRWATCH_SOAK=1) the
long one, with a memory slope over a long churn. Needs root."""

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, private_containerd, CTRWATCH, Ctrwatch, cgroup2_dir,  # noqa: E402
                     hierarchy_dirs, log, remove_cgroup_tree, stop_every_thread, stop_process,
                     wait_until)

SOAK = os.environ.get("CTRWATCH_SOAK") == "1"
LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]

ctd = None
workdir = None
serial = [0]


def name(suffix):
    serial[0] += 1
    return f"ctrw-{os.getpid()}-{suffix}{serial[0]}"


def in_order_once(seq):
    """Lifecycle events each at most once, in lifetime order: a fault may cost a container its
    start (never started) but never repeat or reorder one."""
    order = {"container_create": 0, "container_existing": 0, "container_start": 1,
             "container_exit": 2, "container_remove": 3}
    ranks = [order[x] for x in seq]
    return ranks == sorted(set(ranks))


class Lines:
    """What a ctrwatch printed, read as it grows: every line must parse as one JSON object.
    Keeps per container of this run only the sequence of its event names (a soak prints
    hundreds of megabytes), and the ctrwatch_lost counts."""

    def __init__(self, path=None):
        self.path, self.offset, self.count = path, 0, 0
        self.by_id, self.lost, self.partial = {}, [], 0

    def add(self, raw):
        e = json.loads(raw)
        assert isinstance(e, dict), raw
        self.count += 1
        if e["event"] == "ctrwatch_lost":
            self.lost.append(e["lost"])
        cid = e.get("container", {}).get("id", "")
        if cid.startswith(f"ctrw-{os.getpid()}-"):
            self.by_id.setdefault(cid, []).append(e["event"])
            self.partial += e.get("enrichment") == "partial"

    def read(self):
        if os.path.exists(self.path):
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
            end = data.rfind(b"\n") + 1
            for raw in data[:end].split(b"\n")[:-1]:
                self.add(raw.decode("utf-8"))
            self.offset += end
        return self


def check_run(lines, ok_ids, execs_per=0, alive=None):
    """The end of every run: each container whose `ctr run` succeeded has its lifetime exactly
    once and in order (with --exec, its execs between start and exit); no container of this
    run, even one caught by a fault, has an event twice or out of order; ctrwatch is alive."""
    by_id = lines.by_id
    for cid, seq in by_id.items():
        assert in_order_once([x for x in seq if x != "process_exec"]), (cid, seq)
    for cid in ok_ids:
        seq = by_id.get(cid, [])
        life = [x for x in seq if x != "process_exec"]
        assert life == LIFETIME, (cid, seq)
        if execs_per:
            assert seq.count("process_exec") == execs_per, (cid, seq)
            start, exit_ = seq.index("container_start"), seq.index("container_exit")
            assert all(x == "process_exec" for x in seq[start + 1:exit_]), (cid, seq)
    if alive is not None:
        assert alive.poll() is None, "ctrwatch died"


def storm_cmd(execs, code=0):
    """A container entrypoint that runs /bin/true execs times, then exits with code."""
    return ["/bin/sh", "-c",
            f"i=0; while [ $i -lt {execs} ]; do /bin/true; i=$((i+1)); done; exit {code}"]


def churn(count, parallel, execs=0, stop=None):
    """count containers, parallel at a time, each run to completion (--rm). Returns the ids
    whose `ctr run` succeeded."""
    def one(i):
        if stop and stop.is_set():
            return None
        cid = name("churn")
        r = ctd.run(cid, *storm_cmd(execs), timeout=120)
        return cid if r.returncode == 0 else None
    with ThreadPoolExecutor(parallel) as pool:
        return [c for c in pool.map(one, range(count)) if c]


def wait_lifetimes(lines, ids, timeout=60):
    """Reads lines until every container of ids has its remove; returns lines."""
    wait_until(lambda: all("container_remove" in lines.read().by_id.get(c, ()) for c in ids),
               timeout=timeout, what="every container's remove")
    return lines


def test_containerd_killed_and_stopped_during_churn():
    """containerd SIGKILLed, restarted and SIGSTOPped while containers come and go: lookups
    fail and go out partial, nothing is lost or repeated."""
    w = Ctrwatch(workdir, "ctdfault", socket=ctd.sock).start()
    n = 60 if SOAK else 16
    done = []
    t = threading.Thread(target=lambda: done.extend(churn(n, 4)))
    t.start()
    time.sleep(1.0)
    ctd.stop(signal.SIGKILL)
    time.sleep(0.5)
    ctd.start()
    time.sleep(1.0)
    stop_every_thread(ctd.proc.pid)
    time.sleep(1.5)
    ctd.proc.send_signal(signal.SIGCONT)
    t.join()
    ok = done + churn(4, 2)  # and after: all well again
    leftovers(w)
    lines = wait_lifetimes(Lines(w.out_path), ok)
    check_run(lines, ok, alive=w.proc)
    log(f"{len(ok)} containers ran to completion across the faults; "
        f"{lines.partial} partial lines")
    assert w.stop() == 0, w.stderr()[-2000:]


def leftovers(w=None):
    """Containers a fault left behind (their shim outlived containerd, or ctr died between
    create and start): removed through containerd, else by killing what runs in their cgroups
    and removing those, so that their remove comes too."""
    for cid in ctd.ctr("container", "ls", "-q", check=False).stdout.decode().split():
        ctd.kill(cid)
        try:
            ctd.remove(cid)
        except AssertionError:
            pass
    for top in hierarchy_dirs(f"/{ctd.namespace}"):
        for leaf in (glob.glob(os.path.join(top, "*")) if os.path.isdir(top) else []):
            procs = os.path.join(leaf, "cgroup.procs")
            if not os.path.isfile(procs):
                continue
            for pid in open(procs).read().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
    time.sleep(0.5)
    remove_cgroup_tree(f"/{ctd.namespace}")


class BadContainerd:
    """A unix socket that speaks wrongly: 'garbage' answers random bytes, 'slow' waits 2 s
    before closing, 'midframe' sends half an HTTP/2 SETTINGS frame and closes."""

    def __init__(self, mode):
        self.path = os.path.join(workdir, f"bad-{mode}.sock")
        self.mode = mode
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(16)
        self.server.settimeout(0.2)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except socket.timeout:
                continue
            threading.Thread(target=self.answer, args=(conn,), daemon=True).start()

    def answer(self, conn):
        try:
            conn.recv(65536)
            if self.mode == "garbage":
                conn.sendall(os.urandom(4096))
            elif self.mode == "slow":
                self.stopping.wait(2.0)
            elif self.mode == "midframe":
                conn.sendall(b"\x00\x00\x12\x04\x00\x00\x00\x00\x00\x00\x03")  # 11 of 27 bytes
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopping.set()
        self.thread.join()
        self.server.close()


def test_containerd_socket_that_speaks_wrongly():
    for mode in ("garbage", "slow", "midframe"):
        bad = BadContainerd(mode)
        w = Ctrwatch(workdir, f"bad-{mode}", socket=bad.path).start()
        try:
            ok = churn(6, 3)
            lines = wait_lifetimes(Lines(w.out_path), ok)
            check_run(lines, ok, alive=w.proc)
            assert lines.partial == sum(len(v) for v in lines.by_id.values()), mode
        finally:
            assert w.stop() == 0, (mode, w.stderr()[-2000:])
            bad.close()


def test_slow_reader_of_stdout_loses_nothing():
    """stdout is a pipe read a few lines a second: ctrwatch waits on the pipe, the ring buffer
    holds the records meanwhile, and every line arrives whole, once, in order."""
    execs = 100 if SOAK else 40
    n = 10 if SOAK else 5
    err = open(os.path.join(workdir, "slow.err"), "wb")
    p = subprocess.Popen([CTRWATCH, "--exec", "--containerd-socket", ctd.sock],
                         stdout=subprocess.PIPE, stderr=err)
    lines, raws = Lines(), []

    def slow_read():
        for raw in p.stdout:
            raws.append(raw)
            lines.add(raw.decode("utf-8"))
            time.sleep(0.01)
    reader = threading.Thread(target=slow_read, daemon=True)
    try:
        wait_until(lambda: "ready:" in open(err.name).read(), what="ready")
        ok = churn(n, n, execs=execs)  # the pipe fills long before the reader drains it
        reader.start()
        wait_until(lambda: all("container_remove" in lines.by_id.get(c, ()) for c in ok),
                   timeout=120, what="every remove through the slow pipe")
        assert all(x.endswith(b"\n") for x in raws)
        check_run(lines, ok, execs_per=execs, alive=p)
        log(f"{lines.count} lines through a slow pipe")
    finally:
        stop_process(p, timeout=10)
        err.close()


def rss_kib(pid, field="VmRSS:"):
    """VmRSS, or RssAnon (private memory: RSS less the ring buffer mapping and libraries)."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith(field))


def slope_kib_per_min(samples):
    """Least-squares slope of (seconds, KiB) samples, in KiB per minute."""
    n = len(samples)
    mx = sum(t for t, _ in samples) / n
    my = sum(v for _, v in samples) / n
    var = sum((t - mx) ** 2 for t, _ in samples)
    return 60 * sum((t - mx) * (v - my) for t, v in samples) / var if var else 0.0


def test_churn_with_exec_storm_keeps_every_event_and_memory_flat():
    """Containers created and removed in batches with --exec and an exec storm inside each;
    ctrwatch's RSS sampled throughout. Soak: 1000 containers 20 at a time, then churn for
    CTRWATCH_SOAK_MINUTES (30) more while the memory slope is measured."""
    count, batch, execs = (1000, 20, 50) if SOAK else (40, 10, 20)
    w = Ctrwatch(workdir, "storm", "--exec", socket=ctd.sock).start()
    samples, private = [], []
    stop = threading.Event()
    reader = Lines(w.out_path)

    def sample():
        t0 = time.monotonic()
        while not stop.wait(1.0 if not SOAK else 10.0):
            samples.append((time.monotonic() - t0, rss_kib(w.proc.pid)))
            private.append((time.monotonic() - t0, rss_kib(w.proc.pid, "RssAnon:")))
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        ok = churn(count, batch, execs=execs)
        if SOAK:
            end = time.monotonic() + 60 * float(os.environ.get("CTRWATCH_SOAK_MINUTES", "30"))
            while time.monotonic() < end:
                ok += churn(batch, batch, execs=execs)
                reader.read()  # as it goes: the soak prints hundreds of megabytes
        stop.set()
        sampler.join()
        lines = wait_lifetimes(reader, ok, timeout=300)
        assert not lines.lost, lines.lost  # an 8 MiB ring buffer keeps up with this storm
        check_run(lines, ok, execs_per=execs, alive=w.proc)
        if len(samples) >= 3:
            log(f"{len(ok)} containers, {len(ok) * execs} execs; RSS {samples[0][1]} -> "
                f"{samples[-1][1]} KiB over {samples[-1][0]:.0f} s, slope "
                f"{slope_kib_per_min(samples):.1f} KiB/min; private {private[0][1]} -> "
                f"{private[-1][1]} KiB, slope {slope_kib_per_min(private):.1f} KiB/min")
    finally:
        stop.set()
        assert w.stop() == 0, w.stderr()[-2000:]


FAKE_ENGINE = os.path.join(os.path.dirname(__file__), "fake_engine.py")


def end_stand_in(fake, scope, w):
    """After a stand-in Podman's test: its libpod scope, the ctrwatch that asked it (if it
    started) and the stand-in itself, gone."""
    if os.path.isdir(scope):
        os.rmdir(scope)
    if w:
        w.stop()
    fake.kill()
    fake.wait()


def test_a_slow_or_hung_engine_costs_only_its_own_containers():
    """Podman's socket is served by a stand-in that accepts and never answers, then by one that
    answers each call after 2 s (a socket-activated service starting). A container containerd
    ran before ctrwatch started is complete at startup, and one started while a Podman
    container's lookup hangs is complete too: each engine has a lane of its own (before: one
    worker asked Podman's version first and each Podman lookup in turn, and containerd's
    containers came out partial, "lookup took longer than 500 ms")."""
    made_slice = not os.path.isdir(cgroup2_dir("/machine.slice"))
    for mode in (["--stall"], ["--delay", "2"]):
        sock = os.path.join(workdir, "podman.sock")
        fake = subprocess.Popen([sys.executable, FAKE_ENGINE, sock, *mode])
        early, later = name(f"early{mode[0][2:]}"), name(f"later{mode[0][2:]}")
        scope = cgroup2_dir(f"/machine.slice/libpod-{os.urandom(32).hex()}.scope")
        w = None
        try:
            wait_until(lambda: os.path.exists(sock), what="the stand-in's socket")
            ctd.run(early, "/bin/sleep", "60", detach=True, check=True)
            w = Ctrwatch(workdir, f"slow-engine-{mode[0][2:]}", "--podman-socket", sock,
                         "--docker-socket", "", socket=ctd.sock).start()
            existing = w.wait_for(early, "container_existing")
            os.makedirs(scope)  # a Podman container: its lookup hangs in Podman's lane
            time.sleep(0.1)
            assert ctd.run(later, "/bin/sh", "-c", "exit 2").returncode == 2
            w.wait_for(later, "container_remove")
            lines = [existing] + w.for_container(later)
            log(f"Podman {' '.join(mode)}: " + ", ".join(
                f'{e["event"]} {e["enrichment"]} {e.get("enrichment_error", "")}'
                for e in lines))
            for e in lines:
                assert e["enrichment"] == "complete", e
        finally:
            ctd.kill(early)
            ctd.remove(early)
            end_stand_in(fake, scope, w)
    if made_slice:
        remove_cgroup_tree("/machine.slice")


def test_a_hung_cri_runtime_costs_containerd_nothing():
    """The CRI runtime's socket (--crio-socket) is served by a stand-in that accepts and never
    answers. A container containerd ran before ctrwatch started is complete at startup, and one
    started while a CRI-O container's lookup hangs is complete too: the CRI runtime has a lane
    of its own (before: it shared containerd's, whose thread asked the CRI runtime's version
    first and each CRI-O lookup in turn, each up to a call's deadline)."""
    made_slice = not os.path.isdir(cgroup2_dir("/machine.slice"))
    sock = os.path.join(workdir, "crio.sock")
    fake = subprocess.Popen([sys.executable, FAKE_ENGINE, sock, "--stall"])
    early, later = name("cri-early"), name("cri-later")
    scope = cgroup2_dir(f"/machine.slice/crio-{os.urandom(32).hex()}.scope")
    w = None
    try:
        wait_until(lambda: os.path.exists(sock), what="the stand-in's socket")
        ctd.run(early, "/bin/sleep", "60", detach=True, check=True)
        w = Ctrwatch(workdir, "hung-cri", "--crio-socket", sock, "--docker-socket", "",
                     "--podman-socket", "", socket=ctd.sock).start()
        existing = w.wait_for(early, "container_existing")
        os.makedirs(scope)  # a CRI-O container: its lookup hangs in the CRI runtime's lane
        time.sleep(0.1)
        assert ctd.run(later, "/bin/sh", "-c", "exit 2").returncode == 2
        w.wait_for(later, "container_remove")
        lines = [existing] + w.for_container(later)
        log(", ".join(f'{e["event"]} {e["enrichment"]} {e.get("enrichment_error", "")}'
                      for e in lines))
        for e in lines:
            assert e["enrichment"] == "complete", e
    finally:
        ctd.kill(early)
        ctd.remove(early)
        end_stand_in(fake, scope, w)
    if made_slice:
        remove_cgroup_tree("/machine.slice")


def test_only_an_engine_that_answered_last_is_asked_twice():
    """A socket-activated engine (podman.socket's service exits when idle) starts on the first
    call after a quiet spell, and its start can outlast that call's deadline: ctrwatch asks
    once more, and the container is complete. Only an engine that answered its last call gets
    the second ask: one that hangs is asked once per lookup, so a hung engine costs each of its
    containers one deadline, not two. Counted at the stand-in, which logs each request. A line
    waits --enrich-timeout for its lookup, and a call's deadline is that too but 5 s at most:
    8 s leaves the second call time to answer within the line's wait."""
    made_slice = not os.path.isdir(cgroup2_dir("/machine.slice"))
    cases = ((["--stall-first-list"], 2, "complete"), (["--stall"], 1, "partial"))
    for mode, asked, enrichment in cases:
        sock, log_path = os.path.join(workdir, "podman.sock"), os.path.join(workdir, "asked.log")
        if os.path.exists(log_path):
            os.unlink(log_path)
        cid = os.urandom(32).hex()
        fake = subprocess.Popen([sys.executable, FAKE_ENGINE, sock, *mode, "--log", log_path,
                                 "--container", cid, "woken", "localhost/woken:1"])
        scope = cgroup2_dir(f"/machine.slice/libpod-{cid}.scope")
        w = None
        try:
            wait_until(lambda: os.path.exists(sock), what="the stand-in's socket")
            w = Ctrwatch(workdir, f"asked-{mode[0][2:]}", "--podman-socket", sock,
                         "--docker-socket", "", "--enrich-timeout", "8s",
                         socket=ctd.sock).start()
            # its lane asked the version first: answered, or hung (then not answering)
            wait_until(lambda: " at " + sock in w.stderr(), timeout=30,
                       what="ctrwatch's Podman lane to have asked its version")
            os.makedirs(scope)
            create = w.wait_for(cid, "container_create", timeout=30)
            os.rmdir(scope)
            remove = w.wait_for(cid, "container_remove", timeout=30)
            with open(log_path) as f:
                lists = [t for t in f.read().split() if t.startswith("/containers/json")
                         and cid in urllib.parse.unquote(t)]
            log(f"Podman {mode[0]}: asked {len(lists)} times, {create['enrichment']} "
                f"{create.get('enrichment_error', '')}; its remove {remove['enrichment']}")
            assert create["enrichment"] == enrichment, create
            if enrichment == "complete":
                assert create["container"]["name"] == "woken", create
            assert len(lists) == asked, lists
        finally:
            end_stand_in(fake, scope, w)
    if made_slice:
        remove_cgroup_tree("/machine.slice")


def setup():
    global ctd, workdir
    ctd = private_containerd()
    workdir = ctd.dir


def teardown():
    if ctd:
        if not ctd.proc:
            ctd.start()
        leftovers()
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")


if __name__ == "__main__":
    main("e2e-faults", globals(), setup, teardown)

# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end test harness: a private containerd, a locally built busybox image, and ctrwatch
processes whose JSON lines the tests read. Touches nothing of the host's own containerd: own root,
state, socket and config under one temp dir, and a containerd namespace unique to this run."""

import contextlib
import glob
import json
import urllib.request
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# the binary under test; the arm64 guest runs the cross-built one (CTRWATCH_BIN)
CTRWATCH = os.environ.get("CTRWATCH_BIN", os.path.join(REPO, "ctrwatch"))
IMAGE = "docker.io/ctrwatch/busybox:test"
CGROUP_ROOT = "/sys/fs/cgroup"


def log(msg):
    print(f"  {msg}", file=sys.stderr, flush=True)


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def stop_process(proc, sig=signal.SIGTERM, timeout=15):
    """Sends sig to a process we started and waits for it; SIGKILL past timeout seconds."""
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def unmount_under(top):
    """Unmounts (lazily, deepest first) whatever a daemon left mounted under the directory top."""
    mounts = subprocess.run(["findmnt", "-rn", "-o", "TARGET"], stdout=subprocess.PIPE,
                            text=True).stdout.split("\n")
    for m in sorted((m for m in mounts if m.startswith(top)), reverse=True):
        subprocess.run(["umount", "-l", m], check=False)


class Containerd:
    """A private containerd on its own socket."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ctrwatch-e2e.")
        self.sock = os.path.join(self.dir, "containerd.sock")
        self.namespace = f"ctrw-e2e-{os.getpid()}"
        self.proc = None
        self.log_file = None
        config = os.path.join(self.dir, "config.toml")
        with open(config, "w") as f:
            f.write(f"""version = 2
root = "{self.dir}/root"
state = "{self.dir}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = "{self.dir}/debug.sock"
""")
        self.config = config

    def start(self, cgroup=None):
        """cgroup: a cgroup2 directory to run containerd in (and so its shims and runc), as a
        kind node's or Docker-in-Docker's runtime runs inside its container."""
        self.log_file = open(os.path.join(self.dir, "containerd.log"), "ab")
        cmd = ["containerd", "--config", self.config]
        if cgroup:
            cmd = ["sh", "-c", f'echo $$ > "{cgroup}/cgroup.procs" && exec "$@"', "sh", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_until(lambda: self.ctr("version", check=False).returncode == 0, timeout=30,
                   what="containerd to answer")

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            stop_process(self.proc, sig, timeout=15)
        self.proc = None
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def ctr(self, *args, check=True, timeout=60, namespace=None):
        cmd = ["ctr", "-a", self.sock, "-n", namespace or self.namespace, *args]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}): "
                                 f"{r.stderr.decode(errors='replace').strip()}")
        return r

    def import_image(self, name=IMAGE, namespace=None):
        """Imports the busybox image under name; returns its manifest digest."""
        tar = os.path.join(self.dir, "image.tar")
        digest = subprocess.run([os.path.join(REPO, "tests/lib/make-image.sh"), tar, name],
                                check=True, stdout=subprocess.PIPE, text=True).stdout.strip()
        self.ctr("image", "import", tar, namespace=namespace)
        return digest

    def run(self, cid, *cmd, detach=False, extra=(), check=False, timeout=60, image=IMAGE,
            namespace=None):
        args = ["run", *extra]
        args += ["-d"] if detach else ["--rm"]
        return self.ctr(*args, image, cid, *cmd, check=check, timeout=timeout,
                        namespace=namespace)

    def kill(self, cid, sig="SIGKILL", namespace=None):
        self.ctr("task", "kill", "-s", sig, cid, check=False, namespace=namespace)

    def remove(self, cid, namespace=None):
        """Deletes a detached container's task (its cgroup goes) and the container."""
        def stopped():
            out = self.ctr("task", "ls", check=False, namespace=namespace).stdout.decode()
            row = [line for line in out.splitlines() if line.split()[:1] == [cid]]
            return not row or "STOPPED" in row[0]
        wait_until(stopped, timeout=15, what=f"task {cid} to stop")
        self.ctr("task", "rm", "-f", cid, check=False, namespace=namespace)
        self.ctr("container", "rm", cid, check=False, namespace=namespace)

    def kill_shims(self):
        """Shims this containerd started outlive it (a test may SIGKILL it): ours are those
        that name our socket."""
        out = subprocess.run(["pgrep", "-f", f"containerd-shim.* -address {self.sock}( |$)"],
                             stdout=subprocess.PIPE, text=True).stdout.split()
        for pid in out:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            namespaces = self.ctr("namespaces", "ls", "-q", check=False).stdout.decode().split()
            for ns in namespaces:
                for cid in self.ctr("container", "ls", "-q", check=False,
                                    namespace=ns).stdout.decode().split():
                    self.ctr("task", "kill", "-s", "SIGKILL", cid, check=False, namespace=ns)
                    time.sleep(0.1)
                    self.ctr("task", "rm", "-f", cid, check=False, namespace=ns)
                    self.ctr("container", "rm", cid, check=False, namespace=ns)
                for img in self.ctr("image", "ls", "-q", check=False,
                                    namespace=ns).stdout.decode().split():
                    self.ctr("image", "rm", img, check=False, namespace=ns)
        self.stop()
        self.kill_shims()
        unmount_under(self.dir)  # what containerd left under its root, before removing it
        shutil.rmtree(self.dir, ignore_errors=True)


class EventStream:
    """containerd's events, as `ctr events` prints them: '<date> <time> <zone> <zone name>
    <namespace> <topic> <json>', one per line, read by a thread of their own."""

    def __init__(self, containerd):
        self.proc = subprocess.Popen(["ctr", "-a", containerd.sock, "events"],
                                     stdout=subprocess.PIPE, text=True)
        self.lines = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split(maxsplit=6)
            if len(parts) == 7 and parts[5].startswith("/"):
                self.lines.append((parts[5], json.loads(parts[6])))

    def of(self, cid):
        """(topic, event) of one container, in containerd's order."""
        return [(t, e) for t, e in list(self.lines)
                if cid in (e.get("container_id"), e.get("id"))]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def private_containerd():
    """A started private containerd with the test image imported."""
    ctd = Containerd()
    ctd.start()
    ctd.import_image()
    return ctd


BPFFS = "/sys/fs/bpf"
_bpffs_mounted_here = False


def ensure_bpffs():
    """Pinning needs a bpf filesystem at /sys/fs/bpf. Every systemd node has one (mounted at
    boot); a bare machine may not: the suite mounts it then, and release_bpffs() unmounts it."""
    global _bpffs_mounted_here
    if subprocess.run(["findmnt", "-n", "-t", "bpf", BPFFS],
                      stdout=subprocess.DEVNULL).returncode == 0:
        return
    subprocess.run(["mount", "-t", "bpf", "bpf", BPFFS], check=True)
    _bpffs_mounted_here = True


def release_bpffs():
    global _bpffs_mounted_here
    if _bpffs_mounted_here:
        subprocess.run(["umount", BPFFS], check=False)
        _bpffs_mounted_here = False


class Churn:
    """Containers under ctd, `workers` at a time, each a whole lifetime: it runs a little
    (run_for seconds, at random) and exits with its own code. count of them, or until stop()."""

    def __init__(self, ctd, prefix, count=None, workers=2, run_for=(0.05, 0.4)):
        self.ctd, self.prefix, self.count, self.run_for = ctd, prefix, count, run_for
        self.ids, self.failures = [], []
        self.lock, self.done = threading.Lock(), threading.Event()
        self.threads = [threading.Thread(target=self.work, daemon=True) for _ in range(workers)]

    @staticmethod
    def exit_code(cid):
        return int(cid.rsplit("-", 1)[1]) % 100 + 1

    def next_id(self):
        with self.lock:
            if self.done.is_set() or (self.count is not None and len(self.ids) >= self.count):
                return None
            cid = f"{self.prefix}-{len(self.ids)}"
            self.ids.append(cid)
            return cid

    def work(self):
        import random
        while (cid := self.next_id()) is not None:
            code = self.exit_code(cid)
            nap = random.uniform(*self.run_for)
            r = self.ctd.run(cid, "/bin/sh", "-c", f"/bin/sleep {nap:.2f}; exit {code}")
            if r.returncode != code:
                with self.lock:
                    self.failures.append((cid, r.returncode, r.stderr))

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        """No new container from now on; waits for the running ones. Returns every id."""
        self.done.set()
        return self.join()

    def join(self):
        for t in self.threads:
            t.join(timeout=300)
        assert not self.failures, self.failures[:3]
        return self.ids


def clean_up(ctd, pins=(), cgroups=()):
    """A suite's teardown: what it pinned, its containerd and its containers' cgroups, the
    cgroups it made, and bpffs if it mounted it."""
    for pin in pins:
        if os.path.exists(pin):
            r = subprocess.run([CTRWATCH, "--cleanup", "--pin-path", pin], capture_output=True,
                               text=True)
            if r.returncode != 0:
                log(f"cleanup of {pin}: {r.stderr.strip()}")
                shutil.rmtree(pin, ignore_errors=True)
    if ctd:
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")
    for cg in cgroups:
        remove_cgroup_tree(cg)
    release_bpffs()


def hierarchy_dirs(rel):
    """The directory for cgroup path rel in every mounted hierarchy (v1 and cgroup2)."""
    dirs = []
    for mount in glob.glob(os.path.join(CGROUP_ROOT, "*")) + [CGROUP_ROOT]:
        if os.path.isfile(os.path.join(mount, "cgroup.procs")):
            dirs.append(os.path.join(mount, rel.lstrip("/")))
    return dirs


def cgroup2_dir(rel):
    """rel under cgroup2: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid)."""
    for mount in (os.path.join(CGROUP_ROOT, "unified"), CGROUP_ROOT):
        if os.path.exists(os.path.join(mount, "cgroup.subtree_control")):
            return os.path.join(mount, rel.lstrip("/"))
    raise AssertionError("no cgroup2 mount")


def freeze_cgroup2(rel, frozen):
    with open(os.path.join(cgroup2_dir(rel), "cgroup.freeze"), "w") as f:
        f.write("1" if frozen else "0")


def kubepods_cgroup(pod_uid, cid, created):
    """A kubelet-style cgroup path for a container; appends to created the cgroup runc will make
    that the test must remove (all of /kubepods if the host has none)."""
    if any(not os.path.exists(d) for d in hierarchy_dirs("/kubepods")):
        created.append("/kubepods")
    else:
        created.append(f"/kubepods/besteffort/pod{pod_uid}")
    return f"/kubepods/besteffort/pod{pod_uid}/{cid}"


def delegate_cgroup(rel, uid):
    """rel made in cgroup2 and handed to uid as systemd's Delegate= does: the directory and its
    cgroup.procs, cgroup.subtree_control and cgroup.threads are the user's."""
    d = cgroup2_dir(rel)
    os.makedirs(d, exist_ok=True)
    for f in ("", "cgroup.procs", "cgroup.subtree_control", "cgroup.threads"):
        os.chown(os.path.join(d, f), uid, uid)
    return d


NOBODYS_SUBTREE = "/user.slice/user-65534.slice/user@65534.service"


@contextlib.contextmanager
def nobodys_subtree():
    """The subtree systemd would delegate to nobody (user@65534.service), for forge_cgroup();
    on leaving, what of it was made here is removed (all of /user.slice if there was none)."""
    made = not os.path.isdir(cgroup2_dir("/user.slice"))
    try:
        yield NOBODYS_SUBTREE
    finally:
        remove_cgroup_tree("/user.slice" if made else NOBODYS_SUBTREE)


def unshare_in_each(dirs):
    """One root shell enters each cgroup of dirs in turn and runs a program there in a new
    mount namespace (`unshare -m /bin/true`): a start in each, as a container's entrypoint
    makes one."""
    subprocess.run(["sh", "-c", 'for d in "$@"; do echo $$ > "$d/cgroup.procs" && '
                    'unshare -m /bin/true || exit 1; done', "sh", *dirs], check=True,
                   timeout=300)


def forge_cgroup(delegated, fake, uid=65534):
    """An unprivileged user (uid) in the subtree delegated to it makes the cgroup fake (a path
    under delegated), moves itself in, runs a program in new namespaces (what a container's
    entrypoint does), moves out and removes the cgroup: what anyone with a delegated subtree
    (user@UID.service has Delegate=) can do, without privilege."""
    top = delegate_cgroup(delegated, uid)
    made = cgroup2_dir(fake)
    assert made.startswith(top + "/"), (fake, delegated)
    script = (f'mkdir -p "{made}" && echo $$ > "{made}/cgroup.procs" && '
              f'unshare -Urm /bin/true && echo $$ > "{top}/cgroup.procs" && rmdir "{made}"')
    # root puts the shell in the subtree (as systemd starts user@.service there), then drops
    r = subprocess.run(["sh", "-c", f'echo $$ > "{top}/cgroup.procs" && exec setpriv '
                        f'--reuid {uid} --regid {uid} --clear-groups sh -c \'{script}\''],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, f"forging a cgroup as uid {uid} failed: {r.stderr}"


def tampering_runc(directory, drop=None, add_cap=None):
    """A runc-compatible binary (for `ctr run --runc-binary`) that edits the bundle's
    config.json before runc creates the container: a tampered runtime on the node. It removes
    the `drop` namespace, or adds the capability `add_cap` to the process's bounding, permitted
    and effective sets. containerd keeps the spec it wrote, so its declaration says a namespace
    of the container's own, or no such capability, while the kernel puts the container in the
    runtime's namespace (the host's), or gives it the capability. Returns its path."""
    path = os.path.join(directory, f"tampering-runc-{drop or ''}-{add_cap or ''}")
    with open(path, "w") as f:
        f.write(f"""#!/usr/bin/python3
import json, os, sys
args = sys.argv[1:]
if "create" in args and "--bundle" in args:
    config = os.path.join(args[args.index("--bundle") + 1], "config.json")
    with open(config) as f:
        spec = json.load(f)
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"]
                                   if n["type"] != {drop!r}]
    if {add_cap!r}:
        caps = spec["process"].setdefault("capabilities", {{}})
        for s in ("bounding", "permitted", "effective"):
            caps[s] = caps.get(s, []) + [{add_cap!r}]
    with open(config, "w") as f:
        json.dump(spec, f)
os.execv("{shutil.which("runc")}", ["runc"] + args)
""")
    os.chmod(path, 0o755)
    return path


def impostor_alerts(w, cid):
    """The cgroup_impostor lines that claim container cid."""
    return [e for e in w.events()
            if e["event"] == "cgroup_impostor" and e.get("claimed_container_id") == cid]


def assert_impostor(w, cid, fake, why, timeout=10):
    """The forged cgroup fake, named like container cid: one cgroup_impostor line, with its own
    cgroup (its path, id and owner), the id it claims, where the engine has cid (why: part of
    what the engine said) and the program it ran (forge_cgroup's unshare); no container or pod
    object, and no line that names cid as the container of that cgroup (a create would have
    gone out before the alert: lines are in the kernel's order). Returns the alert."""
    alerts = wait_until(lambda: [e for e in impostor_alerts(w, cid)
                                 if e["cgroup"]["path"] == fake], timeout=timeout,
                        what="the impostor's alert")
    log("the forged cgroup's alert: " + json.dumps(alerts[0]))
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert why in a["reason"] and a["claimed_by"]["engine"], a
    assert "container" not in a and "pod" not in a and "enrichment" not in a, a
    assert a["process"]["exe"].endswith("/true") and a["process"]["uid"] >= 0, a
    assert not [e for e in w.for_container(cid) if e["container"]["cgroup_id"] ==
                a["cgroup"]["id"]], "a line names the claimed container as the impostor's own"
    return a


def line_container_id(fmt, e):
    """The container id a line of --format fmt names; None for a line of no container."""
    if fmt == "ocsf":
        if "entity" in e:
            return e["entity"]["uid"]
        return e.get("process", {}).get("container", {}).get("uid")
    return e.get("container", {}).get("id")


def line_event(fmt, e):
    """A line's ctrwatch event name ("container_start", ...) in --format fmt."""
    if fmt == "ecs":
        return e["event"]["action"]
    if fmt == "ocsf":
        return e.get("unmapped", {}).get("ctrwatch", {}).get("event")
    return e["event"]


def wait_lines(w, fmt, cid, event, count=1, timeout=15):
    """The first count lines of w (--format fmt) of container cid's event."""
    def enough():
        got = [e for e in w.events()
               if line_container_id(fmt, e) == cid and line_event(fmt, e) == event]
        return got[:count] if len(got) >= count else None
    return wait_until(enough, timeout=timeout, what=f"{count} {event} of {cid} in {fmt}")


def remove_cgroup_tree(rel):
    """rmdir rel and its empty descendants in every hierarchy; deepest first."""
    for top in hierarchy_dirs(rel):
        if not os.path.isdir(top):
            continue
        for root, _, _ in sorted(os.walk(top), key=lambda t: -len(t[0])):
            try:
                os.rmdir(root)
            except OSError:
                pass


def map_key(element):
    """A dumped element's key: bpftool formats it with the map's BTF, else gives raw bytes (a map
    being replaced, or an element deleted while dumped, may come without); None if neither."""
    if "formatted" in element:
        return element["formatted"]["key"]
    raw = element.get("key")
    if isinstance(raw, list):
        return int.from_bytes(bytes(int(b, 16) for b in raw), "little")
    return None


def tracked_maps():
    """{map id: set of cgroup ids} of every ctrwatch tracked_cgroups map loaded."""
    shown = subprocess.run(["bpftool", "-j", "map", "show"], stdout=subprocess.PIPE,
                           text=True).stdout
    out = {}
    for m in json.loads(shown) if shown.strip() else []:
        if m.get("name") != "tracked_cgroups":
            continue
        dump = subprocess.run(["bpftool", "-j", "map", "dump", "id", str(m["id"])],
                              stdout=subprocess.PIPE, text=True).stdout
        elements = json.loads(dump or "[]")
        if isinstance(elements, list):  # else {"error": ...}: the map went away meanwhile
            out[m["id"]] = {map_key(e) for e in elements} - {None}
    return out


_running = []  # every ctrwatch a suite started: a failed test must not leave one behind


def stop_leftovers(first=0):
    """Stops what the tests started (setup's own are teardown's to stop): _running[first:]."""
    for w in _running[first:]:
        if w.proc and w.proc.poll() is None:
            log(f"stopping a ctrwatch the test left running: {' '.join(w.args[1:])}")
            w.stop(signal.SIGKILL)


class Ctrwatch:
    """One ctrwatch process writing JSON lines to a file."""

    def __init__(self, workdir, name, *args, socket=None):
        self.out_path = os.path.join(workdir, f"{name}.jsonl")
        self.err_path = os.path.join(workdir, f"{name}.err")
        self.args = [CTRWATCH, "--output", self.out_path, *args]
        if socket:
            self.args += ["--containerd-socket", socket]
        self.proc = None

    def start(self, timeout=20):
        """timeout: for ctrwatch to say ready (loading the programs under emulation is slow)."""
        known = set(tracked_maps())
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.err)
        _running.append(self)
        wait_until(lambda: self.proc.poll() is not None or "ready:" in self.stderr(),
                   timeout=timeout, what="ctrwatch to be ready")
        if self.proc.poll() is not None:
            raise AssertionError(f"ctrwatch exited {self.proc.returncode}: {self.stderr()}")
        new = set(tracked_maps()) - known
        self.map_id = new.pop() if len(new) == 1 else None
        return self

    def tracked(self):
        """The cgroup ids this ctrwatch's kernel map tracks."""
        assert self.map_id is not None, "could not tell this ctrwatch's map"
        return tracked_maps().get(self.map_id, set())

    def stderr(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def events(self):
        """Every line parsed; a line that is not one JSON object fails the test. While
        ctrwatch runs, a read can land in the middle of its write(2) (a regular file's reader
        may see part of a write in flight: seen once in CI): the unfinished last line is left
        for the next read. Once it has stopped, the output must end with a whole line."""
        if not os.path.exists(self.out_path):
            return []
        with open(self.out_path, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")
        running = self.proc is not None and self.proc.poll() is None
        if running and lines[-1] != b"":
            lines[-1] = b""
        assert lines[-1] == b"", "output does not end with a newline"
        out = []
        for raw in lines[:-1]:
            text = raw.decode("utf-8")  # strict: invalid UTF-8 fails here
            ev = json.loads(text)
            assert isinstance(ev, dict), f"not an object: {text}"
            out.append(ev)
        return out

    def for_container(self, cid):
        return [e for e in self.events() if e.get("container", {}).get("id") == cid]

    def wait_for(self, cid, event, timeout=15):
        return wait_until(lambda: [e for e in self.for_container(cid) if e["event"] == event],
                          timeout=timeout, what=f"{event} of {cid}")[0]

    def stop(self, sig=signal.SIGTERM):
        if self.proc:
            stop_process(self.proc, sig, timeout=5)
            self.err.close()
        return self.proc.returncode if self.proc else None


def main(suite, module_globals, setup, teardown):
    """A suite file's entry point: its test_* functions between setup() and teardown()."""
    if os.geteuid() != 0:
        print("e2e tests need root: they load BPF programs and run containers", file=sys.stderr)
        sys.exit(1)
    tests = [(n, fn) for n, fn in list(module_globals.items()) if n.startswith("test_")]
    only = [x for x in os.environ.get("CTRWATCH_TESTS", "").split(",") if x]
    if only:  # CTRWATCH_TESTS=part,part: only the tests whose names contain one of them
        tests = [(n, fn) for n, fn in tests if any(x in n for x in only)]
    ok = False
    first = None
    try:
        setup()
        first = len(_running)
        ok = run_tests(suite, tests)
    finally:
        if first is not None:
            stop_leftovers(first)
        teardown()
    sys.exit(0 if ok else 1)


class TestTimeout(BaseException):
    """Not an Exception: a test's own `except Exception` (a cleanup, a retry) must not eat it."""


def run_tests(suite, tests):
    """Runs (name, fn) pairs; prints one line per test and a closing 'N passed, N failed'.
    CTRWATCH_TEST_TIMEOUT (seconds) fails a test that runs longer, so that one stuck call
    costs one test, not the whole run and what it would have printed."""
    passed = failed = 0
    limit = float(os.environ.get("CTRWATCH_TEST_TIMEOUT", "0"))

    def expired(signum, frame):
        raise TestTimeout(f"over CTRWATCH_TEST_TIMEOUT={limit:.0f}s")

    previous = signal.signal(signal.SIGALRM, expired)
    for name, fn in tests:
        start = time.monotonic()
        print(f"...  {name}", flush=True)
        signal.setitimer(signal.ITIMER_REAL, limit)
        try:
            fn()
            signal.setitimer(signal.ITIMER_REAL, 0)
            passed += 1
            print(f"ok   {name} ({time.monotonic() - start:.1f}s)", flush=True)
        except (Exception, TestTimeout):
            signal.setitimer(signal.ITIMER_REAL, 0)
            failed += 1
            print(f"FAIL {name} ({time.monotonic() - start:.1f}s)", flush=True)
            traceback.print_exc()
            sys.stderr.flush()
    signal.signal(signal.SIGALRM, previous)
    print(f"{suite}: {passed} passed, {failed} failed", flush=True)
    return failed == 0


def all_threads_stopped(pid):
    """Whether every thread of pid is in the stopped state (T in /proc/PID/task/TID/stat)."""
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            states.append(f.read().rsplit(")", 1)[1].split()[0])
    return bool(states) and all(st == "T" for st in states)


def stop_every_thread(pid):
    """SIGSTOP to a process, returning once every thread of it has stopped. kill(2) returns
    once the signal is queued, and the kernel wakes one thread to take it; the others stop only
    when that one has run: meanwhile they answer (containerd answered a lookup made after its
    SIGSTOP, 1 run in 2 beside two CPU hogs)."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: all_threads_stopped(pid), timeout=10, interval=0.005,
               what=f"every thread of {pid} stopped")


def scrape(port, name, **labels):
    """One sample of a ctrwatch's /metrics on 127.0.0.1:port."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    key = f"{name}{{{want}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(key + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {key} in /metrics")


def free_port():
    """A TCP port on 127.0.0.1 free a moment ago, for a ctrwatch's --metrics-address."""
    import socket
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        return sk.getsockname()[1]

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: ctrwatch as users deploy it. The `make image` image runs under the private
containerd with the capabilities, mounts and pid namespace read from
deploy/kubernetes/ctrwatch.yaml, and must report other containers, enriched. Each privilege the
manifest grants is shown necessary by a run without it. Also: make install into a DESTDIR, the
man page against --help, SIGHUP reopening --output. Root."""

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(__file__))
from harness import (clean_up, main, CTRWATCH, REPO, Churn, Containerd, Ctrwatch,  # noqa: E402
                     ensure_bpffs, log, run_tests, wait_until)

MANIFEST = os.path.join(REPO, "deploy", "kubernetes", "ctrwatch.yaml")
IMAGE = "docker.io/ctrwatch/ctrwatch:e2e"
ctd = None
workdir = None
image_size = None
image_tar = None


def daemonset():
    for doc in yaml.safe_load_all(open(MANIFEST)):
        if doc and doc.get("kind") == "DaemonSet":
            return doc["spec"]["template"]["spec"]
    raise AssertionError("no DaemonSet in the manifest")


# An archive's URI with its host written out (http://<host>/debian, /ubuntu, /debian-security):
# what a script must take from the machine's own apt configuration instead (tests/lib/debian-mirror.sh).
ARCHIVE_URI = re.compile(r"(?:https?|ftp)://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/(?:debian|ubuntu)"
                         r"(?:-security)?\b")


def test_the_repository_names_no_package_archives_host():
    """No file the repository keeps writes a package archive's host into a sources list (or
    anywhere): install-deps.sh, the guests' builds and containerd's take it from the machine's
    apt configuration, so they follow whatever mirror the machine is set to. Before (7818dac~1),
    install-deps.sh, build-containerd.sh and build-guest.sh wrote one in four places."""
    files = subprocess.run(["git", "-C", REPO, "ls-files", "-z"], stdout=subprocess.PIPE,
                           check=True).stdout.decode().split("\0")
    found = []
    for rel in filter(None, files):
        path = os.path.join(REPO, rel)
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", errors="replace")
        found += [f"{rel}: {m.group(0)}" for m in ARCHIVE_URI.finditer(text)]
    assert not found, found


def test_network_policy_admits_only_the_scraper_to_the_metrics_port():
    """The manifest's NetworkPolicy selects the DaemonSet's pods and admits one peer (a
    Prometheus pod, by namespace and pod label) to one port, the one the probes and scrapes
    use: no other pod can reach ctrwatch's port (issue 21: any pod could silence /healthz)."""
    docs = [d for d in yaml.safe_load_all(open(MANIFEST)) if d]
    ds = next(d for d in docs if d["kind"] == "DaemonSet")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    assert len(policies) == 1, policies
    spec = policies[0]["spec"]
    assert policies[0]["metadata"]["namespace"] == ds["metadata"]["namespace"]
    pod_labels = ds["spec"]["template"]["metadata"]["labels"]
    assert all(pod_labels.get(k) == v for k, v in spec["podSelector"]["matchLabels"].items())
    assert spec["policyTypes"] == ["Ingress"] and len(spec["ingress"]) == 1, spec
    rule = spec["ingress"][0]
    assert len(rule["from"]) == 1, rule
    peer = rule["from"][0]
    assert peer["namespaceSelector"]["matchLabels"] and peer["podSelector"]["matchLabels"], peer
    port = ds["spec"]["template"]["spec"]["containers"][0]["ports"][0]
    assert rule["ports"] == [{"port": port["name"], "protocol": "TCP"}], rule
    probe = ds["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]
    assert probe["port"] == port["name"], probe


def manifest_contract():
    """(capabilities, [(host path, container path, read-only)], host pid) from the manifest."""
    pod = daemonset()
    c = pod["containers"][0]
    sc = c["securityContext"]
    assert sc.get("privileged") is False and sc["capabilities"]["drop"] == ["ALL"], sc
    # ctr_args() always applies the runtime's default seccomp profile, as the manifest asks
    assert sc["seccompProfile"]["type"] == "RuntimeDefault", sc
    caps = ["CAP_" + x for x in sc["capabilities"]["add"]]
    volumes = {v["name"]: v["hostPath"]["path"] for v in pod["volumes"]}
    mounts = [(volumes[m["name"]], m["mountPath"], m.get("readOnly", False))
              for m in c["volumeMounts"]]
    return caps, mounts, pod.get("hostPID", False)


def ctr_args(caps, mounts, host_pid):
    """The `ctr run` flags that give a container what the manifest gives the pod."""
    args = ["--seccomp", "--cap-drop", "CAP_ALL"]
    for cap in caps:
        args += ["--cap-add", cap]
    for host, path, ro in mounts:
        host = ctd.sock if host == "/run/containerd/containerd.sock" else host
        args += ["--mount", f"type=bind,src={host},dst={path},"
                            f"options=rbind:{'ro' if ro else 'rw'}"]
    if host_pid:
        # /proc/1/ns/* cannot be read here: join the host's pid namespace through our own
        args += ["--with-ns", f"pid:/proc/{os.getpid()}/ns/pid"]
    return args


class Containerized:
    """ctrwatch running in the image, its stdout and stderr kept apart in two files."""

    def __init__(self, name, caps, mounts, host_pid, extra=()):
        self.name = f"ctrwatch-{os.getpid()}-{name}"
        self.out = os.path.join(workdir, f"{name}.out")
        self.err = os.path.join(workdir, f"{name}.err")
        cmd = ["ctr", "-a", ctd.sock, "-n", ctd.namespace, "run", "--rm",
               *ctr_args(caps, mounts, host_pid), IMAGE, self.name, "/usr/local/sbin/ctrwatch",
               "--containerd-socket", "/run/containerd/containerd.sock", *extra]
        self.proc = subprocess.Popen(cmd, stdout=open(self.out, "w"), stderr=open(self.err, "w"),
                                     stdin=subprocess.DEVNULL)

    def stderr(self):
        return open(self.err, errors="replace").read()

    def wait_ready(self):
        wait_until(lambda: self.proc.poll() is not None or "ready:" in self.stderr(),
                   timeout=30, what=f"{self.name} ready")
        assert self.proc.poll() is None, (self.proc.returncode, self.stderr())

    def events(self):
        import json
        return [json.loads(line) for line in open(self.out) if line.strip()]

    def wait_for(self, cid, event, timeout=15):
        return wait_until(lambda: [e for e in self.events() if e["event"] == event and
                                   e.get("container", {}).get("id") == cid], timeout=timeout,
                          what=f"{event} of {cid}")[0]

    def stop(self):
        if self.proc.poll() is None:
            ctd.ctr("task", "kill", "-s", "SIGTERM", self.name, check=False)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                ctd.ctr("task", "kill", "-s", "SIGKILL", self.name, check=False)
                self.proc.wait(timeout=15)
        return self.proc.returncode


def test_image_with_the_manifest_contract_reports_containers_enriched():
    caps, mounts, host_pid = manifest_contract()
    assert sorted(caps) == ["CAP_BPF", "CAP_PERFMON"], caps
    before = f"before-{os.getpid()}"
    ctd.run(before, "/bin/sleep", "600", detach=True, check=True)
    cw = Containerized("contract", caps, mounts, host_pid)
    try:
        cw.wait_ready()
        cw.wait_for(before, "container_existing")
        cid = f"watched-{os.getpid()}"
        r = ctd.run(cid, "/bin/sh", "-c", "exit 4", extra=["--label", "team=blue"])
        assert r.returncode == 4, r
        ev = cw.wait_for(cid, "container_exit")
        assert ev["exit"]["code"] == 4 and ev["enrichment"] == "complete", ev
        assert ev["container"]["labels"]["team"] == "blue", ev
        ctd.kill(before)
        ctd.remove(before)
        cw.wait_for(before, "container_exit")  # its init came from containerd
        # stdout carries events only: every line is one
        assert all("event" in e for e in cw.events())
    finally:
        rc = cw.stop()
    assert rc == 0, (rc, cw.stderr())


def run_failing(name, caps, mounts, host_pid, extra=()):
    cw = Containerized(name, caps, mounts, host_pid, extra)
    rc = cw.proc.wait(timeout=30)
    return rc, cw.stderr().strip()


def test_image_is_one_index_for_amd64_and_arm64():
    """make image's image: an OCI image index naming one manifest per architecture, linux/amd64
    and linux/arm64 (a runtime picks its node's: the DaemonSet is the same on both), each with a
    config of its architecture and one layer of ~5 MiB holding ctrwatch built for it (its ELF
    machine) and the libraries it loads; the arm64 one runs (--version) under qemu-user on its
    own layer's libraries alone."""
    with tarfile.open(image_tar) as t:
        def blob(digest):
            return t.extractfile("./blobs/sha256/" + digest.split(":")[1]).read()
        top = json.loads(t.extractfile("./index.json").read())["manifests"]
        assert len(top) == 1 and top[0]["mediaType"] == "application/vnd.oci.image.index.v1+json"
        assert top[0]["annotations"]["io.containerd.image.name"] == IMAGE
        index = json.loads(blob(top[0]["digest"]))
        platforms = {m["platform"]["architecture"]: m for m in index["manifests"]}
        assert sorted(platforms) == ["amd64", "arm64"], index
        machines = {"amd64": 62, "arm64": 183}  # EM_X86_64, EM_AARCH64
        for arch, entry in platforms.items():
            assert entry["platform"]["os"] == "linux"
            manifest = json.loads(blob(entry["digest"]))
            config = json.loads(blob(manifest["config"]["digest"]))
            assert config["architecture"] == arch and config["os"] == "linux", config
            assert config["config"]["Entrypoint"] == ["/usr/local/sbin/ctrwatch"], config
            (layer,) = manifest["layers"]
            log(f"image, {arch}: {layer['size'] / 1048576:.1f} MiB")
            assert layer["size"] < 8 << 20, layer
            root = tempfile.mkdtemp(prefix=f"ctrw-image-{arch}-", dir=workdir)
            with tarfile.open(fileobj=io.BytesIO(blob(layer["digest"]))) as lt:
                lt.extractall(root)
            with open(os.path.join(root, "usr/local/sbin/ctrwatch"), "rb") as f:
                head = f.read(20)
            assert head[:4] == b"\x7fELF" and int.from_bytes(head[18:20], "little") == \
                machines[arch], (arch, head)
            if arch == "arm64":
                r = subprocess.run(["qemu-aarch64-static", "-L", root,
                                    os.path.join(root, "usr/local/sbin/ctrwatch"), "--version"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                assert r.returncode == 0 and r.stdout.startswith("ctrwatch "), r.stdout


def test_each_capability_is_necessary():
    caps, mounts, host_pid = manifest_contract()
    for cap in caps:
        fewer = [c for c in caps if c != cap]
        rc, err = run_failing(f"no-{cap.lower()}", fewer, mounts, host_pid)
        assert rc == 1, (cap, rc, err)
        assert err.count("\n") == 0 and f"missing {cap}" in err, (cap, err)


def test_no_host_pid_needed_containerd_gives_the_running_init():
    caps, mounts, host_pid = manifest_contract()
    assert host_pid is False, "the manifest should not ask for the host's pid namespace"
    before = f"nopid-{os.getpid()}"
    ctd.run(before, "/bin/sleep", "600", detach=True, check=True)
    # The same run without the containerd socket can neither see its init nor have containerd
    # confirm its /<ns>/<id> cgroup: it follows nothing of it. That is what the socket buys
    # beside enrichment.
    blind = Containerized("no-socket", caps,
                          [m for m in mounts if not m[1].endswith(".sock")], host_pid)
    cw = Containerized("no-hostpid", caps, mounts, host_pid)
    try:
        cw.wait_ready()
        blind.wait_ready()
        cw.wait_for(before, "container_existing")
        time.sleep(0.5)  # the lookup, and Tasks/Get, answer
        ctd.kill(before)
        ctd.remove(before)
        cw.wait_for(before, "container_remove")
        seen = [e["event"] for e in cw.events() if e.get("container", {}).get("id") == before]
        assert seen == ["container_existing", "container_exit", "container_remove"], seen
        time.sleep(0.3)
        missed = [e["event"] for e in blind.events() if e.get("container", {}).get("id") == before]
        assert missed == [], missed
    finally:
        cw.stop()
        blind.stop()


def test_cgroup_mount_is_necessary_to_see_running_containers():
    caps, mounts, host_pid = manifest_contract()
    before = f"nocg-{os.getpid()}"
    ctd.run(before, "/bin/sleep", "600", detach=True, check=True)
    without = [m for m in mounts if m[1] != "/sys/fs/cgroup"]
    assert len(without) == len(mounts) - 1
    cw = Containerized("no-cgroup", caps, without, host_pid)
    try:
        wait_until(lambda: cw.proc.poll() is not None or "ready:" in cw.stderr(), timeout=30)
        time.sleep(0.5)
        assert not [e for e in cw.events() if e.get("container", {}).get("id") == before], cw.events()
    finally:
        cw.stop()
        ctd.kill(before)
        ctd.remove(before)


def test_bpffs_mount_is_necessary_to_pin():
    """--pin through the manifest's /sys/fs/bpf mount: the pins land in the host's bpffs and
    outlive the container; without the mount, one line says what is missing."""
    caps, mounts, host_pid = manifest_contract()
    assert "--pin" in daemonset()["containers"][0]["args"]
    pin = f"/sys/fs/bpf/ctrwatch-e2e-deploy-{os.getpid()}"
    cw = Containerized("pinned", caps, mounts, host_pid, extra=["--pin-path", pin])
    try:
        cw.wait_ready()
        assert os.path.exists(os.path.join(pin, "info")), os.listdir("/sys/fs/bpf")
    finally:
        assert cw.stop() == 0, cw.stderr()
    try:
        assert os.path.exists(os.path.join(pin, "link_sched_process_exec"))  # still pinned
        without = [m for m in mounts if m[1] != "/sys/fs/bpf"]
        assert len(without) == len(mounts) - 1
        rc, err = run_failing("no-bpffs", caps, without, host_pid, ["--pin-path", pin])
        assert rc == 1 and "not in a bpf filesystem" in err and err.count("\n") == 0, (rc, err)
    finally:
        subprocess.run([CTRWATCH, "--cleanup", "--pin-path", pin], capture_output=True)
    assert not os.path.exists(pin)


LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]


def test_daemonset_rolling_update_misses_nothing():
    """A rolling update of the DaemonSet, its pods run from the image with the manifest's
    args (pinned): with maxUnavailable the old pod stops before the new one starts; with
    maxSurge the new one starts first and waits (--wait-for-reader) for the old one to exit.
    Containers churn throughout: each lifetime is printed once across the pods, in order."""
    caps, mounts, host_pid = manifest_contract()
    args = daemonset()["containers"][0]["args"]
    assert "--wait-for-reader" in args, args
    pin = f"/sys/fs/bpf/ctrwatch-e2e-rolling-{os.getpid()}"
    pods = []

    def pod(name):
        pods.append(Containerized(name, caps, mounts, host_pid, extra=[*args, "--pin-path", pin]))
        return pods[-1]
    churn = None
    try:
        pod("ds-v1").wait_ready()
        churn = Churn(ctd, f"rolling-{os.getpid()}").start()
        time.sleep(1)
        assert pods[0].stop() == 0, pods[0].stderr()  # maxUnavailable: v1 goes first,
        time.sleep(1)  # nobody reads for a while,
        pod("ds-v2").wait_ready()  # then v2 starts
        time.sleep(1)
        surge = pod("ds-v3")  # maxSurge: v3 starts while v2 runs, and waits for it
        wait_until(lambda: "waiting up to" in surge.stderr(), what="v3 to wait for v2")
        assert pods[1].stop() == 0, pods[1].stderr()
        surge.wait_ready()
        time.sleep(1)
        ids = churn.stop()

        def lifetimes():
            got = {cid: [] for cid in ids}
            for p in pods:
                for e in p.events():
                    cid = e.get("container", {}).get("id")
                    if cid in got:
                        got[cid].append(e["event"])
            return got
        wait_until(lambda: all(v == LIFETIME for v in lifetimes().values()), timeout=30,
                   what="every lifetime once across the pods")
        seqs = [e["seq"] for p in pods for e in p.events() if "seq" in e]
        assert len(seqs) == len(set(seqs)), "a seq printed twice"
        print(f"  {len(ids)} containers across 3 pods, each lifetime printed once", flush=True)
    finally:
        if churn:
            churn.stop()
        for p in pods:
            p.stop()
        subprocess.run([CTRWATCH, "--cleanup", "--pin-path", pin], capture_output=True)


def test_make_install_into_destdir():
    dest = tempfile.mkdtemp(prefix="ctrwatch-destdir.")
    try:
        subprocess.run(["make", "-s", "-C", REPO, "install", f"DESTDIR={dest}", "PREFIX=/usr"],
                       check=True)
        for f in ("usr/sbin/ctrwatch", "usr/share/man/man8/ctrwatch.8",
                  "usr/lib/systemd/system/ctrwatch.service", "usr/share/doc/ctrwatch/events.md"):
            assert os.path.exists(os.path.join(dest, f)), f
        unit = open(os.path.join(dest, "usr/lib/systemd/system/ctrwatch.service")).read()
        assert "ExecStart=/usr/sbin/ctrwatch" in unit, unit
        assert "CapabilityBoundingSet=CAP_BPF CAP_PERFMON" in unit
        if shutil.which("systemd-analyze"):
            r = subprocess.run(["systemd-analyze", "verify",
                                os.path.join(dest, "usr/lib/systemd/system/ctrwatch.service")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            bad = [line for line in r.stdout.splitlines()
                   if "ctrwatch.service" in line and "Command" not in line
                   and "not executable" not in line]
            assert not bad, r.stdout
        subprocess.run(["make", "-s", "-C", REPO, "uninstall", f"DESTDIR={dest}",
                        "PREFIX=/usr"], check=True)
        left = [os.path.join(r, f) for r, _, fs in os.walk(dest) for f in fs]
        assert not left, left
    finally:
        shutil.rmtree(dest, ignore_errors=True)


def test_man_page_lists_every_flag_with_its_default():
    help_text = subprocess.run([CTRWATCH, "--help"], stdout=subprocess.PIPE, text=True).stdout
    flags = sorted(set(re.findall(r"--[a-z][a-z-]+", help_text)))
    man = open(os.path.join(REPO, "docs", "ctrwatch.8")).read().replace("\\-", "-")
    missing = [f for f in flags if f not in man]
    assert not missing, missing
    assert len(flags) >= 14, flags  # all of them, as of this writing
    for default in ("8M", "500ms", "4096", "16384", "/run/containerd/containerd.sock"):
        assert default in man and default in help_text, default


def test_sighup_reopens_the_output_file():
    w = Ctrwatch(workdir, "rotate", "--log-format", "json", socket=ctd.sock).start()
    try:
        first = f"rot1-{os.getpid()}"
        ctd.run(first, "/bin/true", check=True)
        w.wait_for(first, "container_remove")
        os.rename(w.out_path, w.out_path + ".1")  # what logrotate does
        w.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        second = f"rot2-{os.getpid()}"
        ctd.run(second, "/bin/true", check=True)
        w.wait_for(second, "container_remove")
        assert not [e for e in w.events() if e.get("container", {}).get("id") == first]
        # diagnostics are JSON lines too
        import json
        for line in w.stderr().splitlines():
            assert set(json.loads(line)) == {"time", "level", "msg"}, line
    finally:
        assert w.stop() == 0


def setup():
    global ctd, workdir, image_size
    ensure_bpffs()
    ctd = Containerd()
    workdir = ctd.dir
    ctd.start()
    ctd.import_image()
    tar = os.path.join(workdir, "ctrwatch-image.tar")
    subprocess.run([os.path.join(REPO, "deploy", "image", "build.sh"), tar, IMAGE], check=True,
                   stdout=subprocess.DEVNULL)
    global image_tar
    image_tar = tar
    image_size = os.path.getsize(tar)
    print(f"  image {IMAGE}: {image_size / 1048576:.1f} MiB uncompressed", flush=True)
    ctd.ctr("image", "import", tar)


def teardown():
    clean_up(ctd)


if __name__ == "__main__":
    main("e2e-deploy", globals(), setup, teardown)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: Docker's and Podman's containers, enriched through their own HTTP APIs. A private
dockerd (its own data root, exec root, socket, and the containerd it starts for itself) and a
private Podman (own root, runroot and API service socket), images built here from
busybox-static. Root."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import (CTRWATCH, REPO, main, Ctrwatch, assert_impostor, forge_cgroup,  # noqa: E402
                     hierarchy_dirs, log, remove_cgroup_tree, stop_process, unmount_under,
                     wait_until)

DOCKER_IMAGE = "ctrwatch-test/busybox:engines"
PODMAN_IMAGE = "localhost/ctrwatch-test/busybox:engines"

workdir = None
dockerd = None
podman_service = None
watcher = None       # ctrwatch with both engines' sockets
blind = None         # ctrwatch whose engine sockets are absent
docker_image_id = None
podman_digest = None
# The engines' parent cgroups, made by them unless the host has them: removed after if so
ENGINE_CGROUPS = ("/docker", "/libpod_parent")
made_cgroups = []
METRICS_PORT = 20000 + os.getpid() % 10000
# A subtree delegated to an unprivileged user, as systemd's user@UID.service is
DELEGATED = f"/ctrw-engines-{os.getpid()}.slice/user@65534.service"


def name(suffix):
    return f"ctrw-{os.getpid()}-{suffix}"


def run(cmd, check=True, timeout=120):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def docker_cli():
    """The client packaged with dockerd when there is one: a machine may have a newer docker
    client elsewhere on PATH (seen: with client 28 before Debian's 20.10 daemon, a `run --rm`
    container was found by no lookup, neither Docker's nor containerd's: enrichment "none")."""
    packaged = os.path.join("/usr/bin", "docker")
    return packaged if os.path.exists(packaged) else shutil.which("docker")


def docker(*args, **kw):
    return run([docker_cli(), "-H", f"unix://{workdir}/docker.sock", *args], **kw)


def podman_flags():
    # runc: crun refuses a hybrid host's cgroups; cgroupfs: no systemd here
    return ["--root", f"{workdir}/podman/root", "--runroot", f"{workdir}/podman/run",
            "--tmpdir", f"{workdir}/podman/tmp", "--cgroup-manager", "cgroupfs",
            "--events-backend", "file", "--runtime", "runc",
            "--network-config-dir", f"{workdir}/podman/networks"]


NET_SUBNETS = {"docker": "10.213.79.0/24", "podman": "10.213.78.0/24"}


def bridge_name(engine):
    return f"ctrw{engine[0]}{os.getpid() % 100000}"


def podman_network():
    """Podman's network of our own, in its private network directory: a CNI bridge given no
    address, nothing masqueraded and no firewall plugin (no route or rule on the host), its
    leases under workdir. Its bridge is removed at teardown."""
    d = f"{workdir}/podman/networks"
    os.makedirs(d, exist_ok=True)
    conf = {"cniVersion": "0.4.0", "name": "ctrwnet", "plugins": [
        {"type": "bridge", "bridge": bridge_name("podman"), "isGateway": False, "ipMasq": False,
         "ipam": {"type": "host-local", "ranges": [[{"subnet": NET_SUBNETS["podman"]}]],
                  "dataDir": f"{workdir}/podman/leases"}}]}
    with open(os.path.join(d, "ctrwnet.conflist"), "w") as f:
        json.dump(conf, f)


def podman(*args, **kw):
    return run(["podman", *podman_flags(), *args], **kw)


# Root here lacks CAP_SYS_RESOURCE: the limits Podman sets by default would be raises.
PODMAN_RUN = ["--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000"]


def rootfs_tar(path):
    root = os.path.join(workdir, "rootfs")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for applet in ("sh", "sleep", "true", "cat"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    run(["tar", "-C", root, "-cf", path, "."])


def start_dockerd():
    global dockerd
    logf = open(os.path.join(workdir, "dockerd.log"), "wb")
    dockerd = subprocess.Popen(
        ["dockerd", "--data-root", f"{workdir}/docker", "--exec-root", f"{workdir}/docker-exec",
         "--pidfile", f"{workdir}/docker.pid", "-H", f"unix://{workdir}/docker.sock",
         "--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-masq=false"],
        stdout=logf, stderr=subprocess.STDOUT)
    wait_until(lambda: docker("version", check=False).returncode == 0, timeout=60,
               what="dockerd to answer")


def start_podman_service():
    global podman_service
    logf = open(os.path.join(workdir, "podman-service.log"), "wb")
    podman_service = subprocess.Popen(
        ["podman", *podman_flags(), "system", "service", "--time=0",
         f"unix://{workdir}/podman.sock"], stdout=logf, stderr=subprocess.STDOUT)
    wait_until(lambda: os.path.exists(f"{workdir}/podman.sock"), timeout=30,
               what="podman's API socket")


def setup():
    global workdir, watcher, blind, docker_image_id, podman_digest
    made_cgroups.extend(cg for cg in ENGINE_CGROUPS
                        if not any(os.path.exists(d) for d in hierarchy_dirs(cg)))
    workdir = tempfile.mkdtemp(prefix="ctrwatch-engines.")
    os.chmod(workdir, 0o755)
    start_dockerd()
    tar = os.path.join(workdir, "rootfs.tar")
    rootfs_tar(tar)
    docker_image_id = docker("import", tar, DOCKER_IMAGE).stdout.strip()
    oci = os.path.join(workdir, "image-oci.tar")
    podman_digest = run([os.path.join(REPO, "tests/lib/make-image.sh"), oci,
                         PODMAN_IMAGE]).stdout.strip()
    podman("load", "-i", oci)
    podman_network()
    start_podman_service()
    containerd = f"{workdir}/docker-exec/containerd/containerd.sock"
    watcher = Ctrwatch(workdir, "engines", "--docker-socket", f"{workdir}/docker.sock",
                       "--podman-socket", f"{workdir}/podman.sock",
                       "--metrics-address", f"127.0.0.1:{METRICS_PORT}",
                       socket=containerd).start()
    blind = Ctrwatch(workdir, "blind", "--docker-socket", f"{workdir}/no-docker.sock",
                     "--podman-socket", f"{workdir}/no-podman.sock", socket=containerd).start()
    # The lookup thread asks each engine its version before it takes any lookup, and a fresh
    # Podman service can take a while to answer its first request: a `run --rm` container
    # made meanwhile is gone before its lookup is made (seen in CI: "none"). The tests are about
    # lookups, not that first wait.
    wait_until(lambda: " at " + f"{workdir}/podman.sock" in watcher.stderr() and
               " at " + f"{workdir}/docker.sock" in watcher.stderr(), timeout=60,
               what="ctrwatch's lookup thread to have asked both engines")


def teardown():
    for w in (watcher, blind):
        if w:
            w.stop()
    if workdir is None:
        return
    if dockerd:
        for cid in docker("ps", "-aq", check=False).stdout.split():
            docker("rm", "-f", cid, check=False)
        docker("rmi", "-f", DOCKER_IMAGE, check=False)
    podman("rm", "-af", "-t", "0", check=False)
    podman("rmi", "-af", check=False)
    for proc in (podman_service, dockerd):
        if proc:
            stop_process(proc, timeout=30)
    for engine in NET_SUBNETS:
        run(["ip", "link", "del", bridge_name(engine)], check=False)
    unmount_under(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    for cg in made_cgroups:
        remove_cgroup_tree(cg)
    remove_cgroup_tree(DELEGATED.split("/user@")[0])


def lifetime(w, cid, sessions=False):
    """The four events of a container's lifetime, once each and in order; with sessions, exec
    sessions may come between them (left out of what is returned)."""
    w.wait_for(cid, "container_remove", timeout=30)
    evs = [e for e in w.for_container(cid)
           if not (sessions and e["event"] == "container_exec_session")]
    assert [e["event"] for e in evs] == ["container_create", "container_start",
                                         "container_exit", "container_remove"], \
        w.for_container(cid)
    return evs


def id_named(w, cname):
    """The id of the container named cname in w's events (one --rm removed is gone)."""
    try:
        return wait_until(lambda: [e["container"]["id"] for e in w.events()
                                   if e.get("container", {}).get("name") == cname],
                          timeout=30, what="an event named " + cname)[0]
    except AssertionError:
        log("lines so far:\n" + "\n".join(json.dumps(e) for e in w.events()[-8:]))
        raise


def docker_id(cname):
    return docker("inspect", "-f", "{{.Id}}", cname).stdout.strip()


def test_docker_run_rm_enriched_from_the_first_event():
    cname = name("dk-rm")
    r = docker("run", "--rm", "--network", "none", "--name", cname,
               "--label", "com.docker.compose.project=shop",
               "--label", "com.docker.compose.service=web",
               "--label", "evil=a\"}\n{\"event\":\"forged\"", DOCKER_IMAGE,
               "sh", "-c", "exit 3", check=False)
    assert r.returncode == 3, r.stderr
    cid = id_named(watcher, cname)
    evs = lifetime(watcher, cid)
    for e in evs:
        c = e["container"]
        assert e["enrichment"] == "complete", e
        assert c["name"] == cname and c["runtime"] == "docker" and c["namespace"] == "moby", c
        assert c["image"] == DOCKER_IMAGE, c
        # imported here, never pulled: Docker knows no repo digest, its image ID stands in
        assert c["image_digest"] == docker_image_id, (c, docker_image_id)
        assert c["labels"]["com.docker.compose.project"] == "shop", c
        assert c["labels"]["com.docker.compose.service"] == "web", c
        assert c["labels"]["evil"] == "a\"}\n{\"event\":\"forged\"", c
        assert c["cgroup_path"].endswith("/docker/" + cid), c
    assert evs[2]["exit"]["code"] == 3, evs[2]
    assert not [e for e in watcher.events() if e["event"] == "forged"]


def test_docker_detached_killed_exec_and_removed():
    cname = name("dk-d")
    docker("run", "-d", "--network", "none", "--name", cname, DOCKER_IMAGE, "sleep", "300")
    cid = docker_id(cname)
    watcher.wait_for(cid, "container_start")
    docker("exec", cname, "sleep", "0.5")
    session = watcher.wait_for(cid, "container_exec_session")
    assert session["process"]["exe"] == "/bin/sleep", session
    assert session["enrichment"] == "complete" and session["container"]["name"] == cname
    # Docker's exec id, which it gives containerd (namespace moby) for the exec
    exec_id = session["process"]["exec_id"]
    assert len(exec_id) == 64 and all(ch in "0123456789abcdef" for ch in exec_id), session
    docker("kill", cname)
    docker("rm", cname)
    evs = lifetime(watcher, cid, sessions=True)
    assert evs[-2]["exit"]["signal"] == 9, evs[-2]


def test_podman_run_rm_enriched_from_the_first_event():
    cname = name("pm-rm")
    r = podman("run", "--rm", *PODMAN_RUN, "--name", cname, "--label", "app=pm",
               PODMAN_IMAGE, "sh", "-c", "exit 4", check=False)
    assert r.returncode == 4, r.stderr
    cid = id_named(watcher, cname)
    evs = lifetime(watcher, cid)
    for e in evs:
        c = e["container"]
        assert e["enrichment"] == "complete", e
        assert c["name"] == cname and c["runtime"] == "podman", c
        assert "namespace" not in c, c  # Podman has no containerd namespace
        assert c["image"] == PODMAN_IMAGE, c
        assert c["image_digest"] == podman_digest, (c, podman_digest)
        assert c["labels"]["app"] == "pm", c
        assert c["cgroup_path"].endswith("/libpod-" + cid), c
    assert evs[2]["exit"]["code"] == 4, evs[2]


def test_podman_detached_exec_killed_and_removed():
    cname = name("pm-d")
    podman("run", "-d", *PODMAN_RUN, "--name", cname, PODMAN_IMAGE, "sleep", "300")
    cid = podman("inspect", "-f", "{{.Id}}", cname).stdout.strip()
    watcher.wait_for(cid, "container_start")
    podman("exec", cname, "sleep", "0.2")
    session = watcher.wait_for(cid, "container_exec_session")
    assert session["process"]["exe"] == "/bin/sleep", session
    assert session["enrichment"] == "complete" and session["container"]["name"] == cname
    assert "exec_id" not in session["process"], session  # Podman's exec ids are its own
    podman("kill", cname)
    podman("rm", cname)
    evs = lifetime(watcher, cid, sessions=True)
    assert evs[-2]["exit"]["signal"] == 9, evs[-2]


def declared_host_holds(engine, run, image, cname, w):
    """engine run --pid host -v /:/host:ro --cap-add SYS_ADMIN --security-opt
    seccomp=unconfined, to its end: the start line's declaration (from the engine's inspect)
    says all four, its posture says the kernel gave it the host's pid namespace and
    CAP_SYS_ADMIN, and nothing undeclared. (--privileged needs a host whose root holds every
    capability: this VM's lacks CAP_SYS_RESOURCE, and runc refuses; the guest's engines leg
    runs it.) It lives a second: one that ends at once under --rm may be gone before its
    inspect answers, and its lines then say no declaration (docs/events.md). Returns the start
    line."""
    r = run("run", "--rm", *(["--network", "none"] if engine == "docker" else PODMAN_RUN),
            "--name", cname, "--pid", "host", "-v", "/:/host:ro", "--cap-add", "SYS_ADMIN",
            "--security-opt", "seccomp=unconfined", image, "sleep", "1", check=False)
    assert r.returncode == 0, r.stderr
    start = lifetime(w, id_named(w, cname))[1]
    d, p = start["container"]["declared"], start["process"]["posture"]
    log(f"{engine}: declared {json.dumps(d)}")
    assert start["enrichment"] == "complete", start
    assert d["privileged"] is False and d["capabilities_added"] == ["CAP_SYS_ADMIN"], d
    assert "pid" in d["host_namespaces"] and "net" not in d["host_namespaces"], d
    assert {"source": "/", "destination": "/host", "read_only": True,
            "sensitive": True} in d["mounts"], d
    assert d["seccomp"] == "unconfined", d
    assert "CAP_SYS_ADMIN" in p["capabilities"]["effective"] and not p["privileged"], p
    assert "pid" in p["host_namespaces"] and "undeclared" not in p, p
    return start


def test_docker_and_podman_declare_host_pid_a_root_bind_and_sys_admin():
    """The engines' own word on a container given the host's pid namespace, a bind of / and
    CAP_SYS_ADMIN (Docker's and Podman's inspect), and on a plain one: nothing added, its
    namespaces its own, seccomp on."""
    declared_host_holds("docker", docker, DOCKER_IMAGE, name("dk-hold"), watcher)
    declared_host_holds("podman", podman, PODMAN_IMAGE, name("pm-hold"), watcher)
    cname = name("dk-plain")
    docker("run", "--rm", "--network", "none", "--name", cname, DOCKER_IMAGE, "true")
    d = lifetime(watcher, id_named(watcher, cname))[1]["container"]["declared"]
    assert d["privileged"] is False and d["capabilities_added"] == [], d
    assert not {"pid", "net", "ipc", "uts"} & set(d["host_namespaces"]), d
    assert d["seccomp"] == "confined" and d["mounts"] == [], d


def test_docker_and_podman_addresses_are_on_their_containers_lines():
    """A Docker container on a user network (a bridge of its own: no iptables here) and a
    Podman one on a CNI network: every line of each carries the address its engine's inspect
    gives it; a container on no network carries none."""
    docker("network", "create", "--driver", "bridge", "--subnet", NET_SUBNETS["docker"],
           "-o", f"com.docker.network.bridge.name={bridge_name('docker')}", "ctrwnet")
    try:
        for engine, run in (("docker", docker), ("podman", podman)):
            cname = name(f"{engine[:2]}-net")
            image = DOCKER_IMAGE if engine == "docker" else PODMAN_IMAGE
            extra = [] if engine == "docker" else PODMAN_RUN[2:]
            run("run", "-d", "--network", "ctrwnet", *extra, "--name", cname, image, "sleep", "60")
            want = run("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}"
                       "{{end}}", cname).stdout.strip()
            log(f"{engine}: inspect says {want}")
            assert want.startswith(NET_SUBNETS[engine].rsplit(".", 2)[0]), want
            cid = id_named(watcher, cname)
            run("kill", cname)
            run("rm", cname)
            for e in lifetime(watcher, cid):
                assert e["enrichment"] == "complete", e
                assert e["container"].get("ips") == [want], (engine, e["container"])
        cname = name("dk-nonet")
        docker("run", "--rm", "--network", "none", "--name", cname, DOCKER_IMAGE, "sleep", "1")
        for e in lifetime(watcher, id_named(watcher, cname)):
            assert "ips" not in e["container"], e["container"]
    finally:
        docker("network", "rm", "ctrwnet", check=False)


def test_scopes_named_like_running_engine_containers_are_not_them():
    """A Docker and a Podman container run; an unprivileged user makes docker-<id>.scope and
    libpod-<id>.scope in its own delegated subtree and runs a program in new namespaces there.
    The engines place their containers elsewhere (their driver, the container's cgroup parent):
    the forged cgroups' events say "mismatch", never the containers' names or images, and the
    real containers get no exit."""
    dname, pname = name("dk-victim"), name("pm-victim")
    docker("run", "-d", "--network", "none", "--name", dname, DOCKER_IMAGE, "sleep", "300")
    podman("run", "-d", *PODMAN_RUN, "--name", pname, PODMAN_IMAGE, "sleep", "300")
    try:
        did = docker_id(dname)
        pid = podman("inspect", "-f", "{{.Id}}", pname).stdout.strip()
        for cid, fake, engine in ((did, f"{DELEGATED}/app.slice/docker-{did}.scope", "docker"),
                                  (pid, f"{DELEGATED}/app.slice/libpod-{pid}.scope", "podman")):
            watcher.wait_for(cid, "container_start")
            forge_cgroup(DELEGATED, fake)
            assert_impostor(watcher, cid, fake, f"{engine} has container {cid[:12]}")
            real = [e for e in watcher.for_container(cid)
                    if e["container"]["cgroup_path"] != fake]
            assert [e["event"] for e in real] == ["container_create", "container_start"], real
            assert real[1]["container"]["name"] in (dname, pname), real
    finally:
        docker("rm", "-f", dname, check=False)
        podman("rm", "-f", "-t", "0", pname, check=False)


def test_engine_containers_cannot_hide_as_kubernetes_sandboxes():
    """A Docker and a Podman container whose label says io.cri-containerd.kind=sandbox and whose
    image is named like Kubernetes' pause image: the sandbox rule is CRI's (it marks its own
    sandboxes, in a pod's cgroup), so the default ctrwatch, pause filter on, prints them whole."""
    pause = "registry.k8s.io/pause:3.9"
    docker("tag", DOCKER_IMAGE, pause)
    podman("tag", PODMAN_IMAGE, pause)
    dname, pname = name("dk-hide"), name("pm-hide")
    try:
        docker("run", "--rm", "--network", "none", "--name", dname,
               "--label", "io.cri-containerd.kind=sandbox", pause, "/bin/true")
        podman("run", "--rm", *PODMAN_RUN, "--name", pname,
               "--label", "io.cri-containerd.kind=sandbox", pause, "/bin/true")
        for cname in (dname, pname):
            evs = lifetime(watcher, id_named(watcher, cname))
            for e in evs:
                assert e["enrichment"] == "complete" and e["container"]["image"] == pause, e
                assert e["container"]["labels"]["io.cri-containerd.kind"] == "sandbox", e
    finally:
        docker("rmi", pause, check=False)
        podman("rmi", pause, check=False)


def test_engine_requests_are_counted_in_metrics():
    """After the tests above: each engine's requests and whether it answered, and the text
    promtool accepts."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics",
                                  timeout=10).read().decode()
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
               for line in text.splitlines() if line and not line.startswith("#")}
    for engine in ("docker", "podman"):
        ok = f'ctrwatch_engine_requests_total{{engine="{engine}",result="ok"}}'
        assert samples.get(ok, 0) >= 4, (ok, text)  # two containers' lists and images at least
        assert samples.get(f'ctrwatch_engine_up{{engine="{engine}"}}') == 1, text
    assert shutil.which("promtool"), "promtool missing: make deps installs prometheus"
    r = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                       capture_output=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_valgrind_finds_no_error_or_leak_in_the_engine_clients():
    """The engine clients, the HTTP parser and the exec-id lookup under valgrind: a Docker
    container with an exec session, a Podman one."""
    out = os.path.join(workdir, "vg.jsonl")
    err = os.path.join(workdir, "vg.err")
    supp = os.path.join(os.path.dirname(__file__), "..", "valgrind.supp")
    p = subprocess.Popen(["valgrind", "--leak-check=full", "--error-exitcode=9",
                          "--errors-for-leak-kinds=definite,indirect,possible",
                          f"--suppressions={supp}", CTRWATCH,
                          "--docker-socket", f"{workdir}/docker.sock",
                          "--podman-socket", f"{workdir}/podman.sock",
                          "--containerd-socket", f"{workdir}/docker-exec/containerd/containerd.sock",
                          "--enrich-timeout", "5s", "-o", out], stderr=open(err, "w"))
    dname, pname = name("dk-vg"), name("pm-vg")
    try:
        wait_until(lambda: p.poll() is not None or "ready:" in open(err).read(), timeout=60,
                   what="ctrwatch under valgrind")
        docker("run", "-d", "--network", "none", "--name", dname, DOCKER_IMAGE, "sleep", "300")
        # a session that lasts until its line is out, however slow valgrind makes ctrwatch: its
        # exec id is asked of containerd (Tasks/ListPids) while it runs
        docker("exec", "-d", dname, "sleep", "300")
        wait_until(lambda: b"container_exec_session" in open(out, "rb").read(), timeout=60,
                   what="the session's line")
        docker("rm", "-f", dname)
        podman("run", "--rm", *PODMAN_RUN, "--name", pname, PODMAN_IMAGE, "/bin/true")
        wait_until(lambda: open(out, "rb").read().count(b"container_remove") >= 2, timeout=60,
                   what="both removes")
        lines = [json.loads(line) for line in open(out).read().split("\n")[:-1]]
        names = {e["container"].get("name") for e in lines if "container" in e}
        assert {dname, pname} <= names, names
        sessions = [e for e in lines if e["event"] == "container_exec_session"]
        assert len(sessions) == 1, sessions
        exec_id = sessions[0]["process"].get("exec_id", "")
        assert len(exec_id) == 64 and all(ch in "0123456789abcdef" for ch in exec_id), sessions
    finally:
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
    assert rc == 0, open(err).read()[-3000:]


def test_absent_engine_sockets_cost_enrichment_never_an_event():
    """The blind ctrwatch was started with sockets that do not exist: it started (no error),
    and every event of both engines' containers is there, partial, saying why."""
    assert "error" not in blind.stderr(), blind.stderr()
    dname, pname = name("dk-blind"), name("pm-blind")
    docker("run", "--rm", "--network", "none", "--name", dname, DOCKER_IMAGE, "/bin/true")
    podman("run", "--rm", *PODMAN_RUN, "--name", pname, PODMAN_IMAGE, "/bin/true")
    for cname, engine in ((dname, "docker"), (pname, "podman")):
        cid = id_named(watcher, cname)
        evs = lifetime(blind, cid)
        for e in evs:
            assert e["enrichment"] == "partial", e
            assert engine in e["enrichment_error"] and "no-" + engine in \
                e["enrichment_error"], e
        if engine == "docker":  # what containerd knows of it, under Docker's namespace
            assert evs[0]["container"]["namespace"] == "moby", evs[0]
    warned = blind.stderr()
    # not installed, yet their containers run: one warning each, naming the socket
    for engine in ("docker", "podman"):
        lines = [line for line in warned.splitlines()
                 if f"no {engine} socket at {workdir}/no-{engine}.sock" in line]
        assert len(lines) == 1 and "warning" in lines[0], warned


def test_an_engine_installed_after_ctrwatch_is_used_without_a_restart():
    """ctrwatch started before the engine's socket existed (Docker installed or started later):
    one debug line at start, none at all without -v; once the socket is there, its containers are
    enriched, and ctrwatch says the engine answers."""
    late = os.path.join(workdir, "late-docker.sock")
    w = Ctrwatch(workdir, "late", "--docker-socket", late, "--podman-socket", "",
                 socket=f"{workdir}/docker-exec/containerd/containerd.sock").start()
    try:
        assert late not in w.stderr(), w.stderr()  # not a word of it without -v
        os.symlink(f"{workdir}/docker.sock", late)  # the socket appears
        cname = name("dk-late")
        docker("run", "--rm", "--network", "none", "--name", cname, DOCKER_IMAGE, "/bin/true")
        evs = lifetime(w, id_named(w, cname))
        assert all(e["enrichment"] == "complete" for e in evs), evs
        assert f"docker at {late} answers" in w.stderr(), w.stderr()
        assert "warning: docker" not in w.stderr() and "no docker socket" not in w.stderr()
    finally:
        w.stop()
        if os.path.lexists(late):
            os.unlink(late)


if __name__ == "__main__":
    for tool in ("dockerd", "podman", "docker"):
        if not shutil.which(tool):
            print(f"{tool} is not installed (make deps)", file=sys.stderr)
            sys.exit(1)
    main("engines", globals(), setup, teardown)

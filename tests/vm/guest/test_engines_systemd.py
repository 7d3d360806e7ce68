#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The engines leg of `make vmtest`, in the Debian 13 guest: Docker (26, systemd's docker.service,
the systemd cgroup driver: docker-<id>.scope), Podman (5, its systemd cgroup manager:
libpod-<id>.scope; its API from podman.socket) and a user's rootless Podman (under
user@UID.service, its API on the user's own podman.socket) as users run them on a systemd node.
Each container's four events enriched through its engine's API, an exec session, pause and
resume. Asserts on the JSON ctrwatch printed."""

import os
import pwd
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, "/repo/tests/e2e")
from harness import (Ctrwatch, assert_impostor, forge_cgroup, log,  # noqa: E402
                     nobodys_subtree, run_tests, wait_until)

OCI = "/repo/build/vm/images/busybox.tar"
IMAGE = "docker.io/ctrwatch/busybox:test"
DOCKER_IMAGE = "ctrwatch/busybox:docker"
LIFETIME = ["container_create", "container_start", "container_paused", "container_resumed",
            "container_exit", "container_remove"]
ROOTLESS = "ctrwuser"
watcher = None


def run(*cmd, check=True, timeout=300):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({r.returncode}): {r.stderr.strip()}")
    return r


def lifetime_of(cid):
    watcher.wait_for(cid, "container_remove", timeout=120)
    evs = [e for e in watcher.for_container(cid) if e["event"] != "container_exec_session"]
    assert [e["event"] for e in evs] == LIFETIME, watcher.for_container(cid)
    return evs


def as_user(*cmd, check=True, timeout=300):
    """cmd as the rootless user, in its systemd session's environment."""
    uid = pwd.getpwnam(ROOTLESS).pw_uid
    return run("runuser", "-u", ROOTLESS, "--", "env", f"HOME=/home/{ROOTLESS}",
               f"XDG_RUNTIME_DIR=/run/user/{uid}",
               f"DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/{uid}/bus", *cmd, check=check,
               timeout=timeout)


def exercise(engine, image, scope, cli=None):
    """A detached container of engine (cli: its command line, run as whom): an exec session,
    pause, resume, SIGKILL, remove. Returns its lines."""
    cli = cli or (lambda *a: run(engine, *a))
    cname = f"ctrw-{engine}-{os.getpid()}"
    cli("run", "-d", "--network", "none", "--name", cname, image, "sleep", "300")
    cid = cli("inspect", "-f", "{{.Id}}", cname).stdout.strip()
    start = watcher.wait_for(cid, "container_start", timeout=120)
    log(f"{engine}: {start['container']['cgroup_path']}")
    cli("exec", cname, "sleep", "0.5")
    session = watcher.wait_for(cid, "container_exec_session", timeout=120)
    assert session["process"]["exe"] == "/bin/sleep", session
    cli("pause", cname)
    watcher.wait_for(cid, "container_paused", timeout=120)
    cli("unpause", cname)
    watcher.wait_for(cid, "container_resumed", timeout=120)
    cli("kill", cname)
    cli("rm", cname)
    evs = lifetime_of(cid)
    for e in evs + [session]:
        c = e["container"]
        assert e["enrichment"] == "complete", e
        assert c["name"] == cname and c["runtime"] == engine and c["image"] == image, c
        assert c["cgroup_path"].endswith(f"/{scope}-{cid}.scope"), c
    assert evs[-2]["exit"]["signal"] == 9, evs[-2]
    return evs + [session]


def test_docker_on_systemd():
    """docker.service with its systemd cgroup driver: /system.slice/docker-<id>.scope."""
    assert run("docker", "info", "-f", "{{.CgroupDriver}}").stdout.strip() == "systemd"
    exercise("docker", DOCKER_IMAGE, "docker")


def test_podman_on_systemd():
    """Podman with its systemd cgroup manager: /machine.slice/libpod-<id>.scope."""
    assert run("podman", "info", "-f", "{{.Host.CgroupManager}}").stdout.strip() == "systemd"
    exercise("podman", IMAGE, "libpod")


def test_rootless_podman():
    """A user's rootless Podman, under user@UID.service with its systemd cgroup manager
    (/user.slice/user-UID.slice/user@UID.service/user.slice/libpod-<id>.scope), its API on the
    user's own podman.socket (/run/user/UID/podman/podman.sock): enriched by that user's Podman
    alone, and each line says whose the container is."""
    uid = pwd.getpwnam(ROOTLESS).pw_uid
    assert as_user("podman", "info", "-f", "{{.Host.CgroupManager}}").stdout.strip() == "systemd"
    for e in exercise("podman", IMAGE, "libpod", cli=lambda *a: as_user("podman", *a)):
        c = e["container"]
        assert c["cgroup_owner_uid"] == uid, c
        assert c["cgroup_path"].startswith(f"/user.slice/user-{uid}.slice/user@{uid}.service/"), c


def test_privileged_docker_and_podman_as_declared_and_held():
    """docker and podman run --privileged --pid host -v /:/host:ro (this node's root holds
    every capability, unlike the host suite's VM): each engine's inspect declares privileged,
    the host's pid namespace and the sensitive bind; the kernel's posture says privileged and
    the host's pid namespace; nothing undeclared."""
    for engine, image in (("docker", DOCKER_IMAGE), ("podman", IMAGE)):
        cname = f"ctrw-{engine}-priv-{os.getpid()}"
        run(engine, "run", "-d", "--network", "none", "--privileged", "--pid", "host",
            "-v", "/:/host:ro", "--name", cname, image, "sleep", "300")
        cid = run(engine, "inspect", "-f", "{{.Id}}", cname).stdout.strip()
        try:
            start = watcher.wait_for(cid, "container_start", timeout=120)
        finally:
            run(engine, "rm", "-f", cname)
        d, p = start["container"]["declared"], start["process"]["posture"]
        log(f"{engine} --privileged: declared {d}; held privileged {p['privileged']}")
        assert start["enrichment"] == "complete", start
        assert d["privileged"] is True and "CAP_SYS_ADMIN" in d["capabilities_added"], d
        assert "pid" in d["host_namespaces"] and d["seccomp"] == "unconfined", d
        assert {"source": "/", "destination": "/host", "read_only": True,
                "sensitive": True} in d["mounts"], d
        assert p["privileged"] is True and "pid" in p["host_namespaces"], p
        assert "undeclared" not in p, p


def test_scopes_named_like_engine_containers_under_systemd_are_not_them():
    """The layouts Docker and Podman use under systemd (docker-<id>.scope in system.slice,
    libpod-<id>.scope in machine.slice): nobody, in the subtree systemd would delegate to it,
    makes app.slice/docker-<id>.scope, then libpod-<id>.scope, of a running container, and runs
    a program in new namespaces there. Docker's name is one cgroup_impostor alert, naming where
    Docker has the container. A libpod scope in a user's subtree is that user's rootless
    Podman's to say (asked of nobody's own socket, which does not exist): its lines say whose
    cgroup it is and carry none of the real container's name or image. The real containers'
    lines stay their own (the host suite forges these names only against cgroupfs engines)."""
    names = {"docker": f"ctrw-dk-victim-{os.getpid()}", "podman": f"ctrw-pm-victim-{os.getpid()}"}
    with nobodys_subtree() as delegated:
        try:
            forge_scope_of("docker", names["docker"], DOCKER_IMAGE, "docker", delegated)
            forge_scope_of("podman", names["podman"], IMAGE, "libpod", delegated)
        finally:
            for engine, cname in names.items():
                run(engine, "rm", "-f", cname, check=False)


def forge_scope_of(engine, cname, image, scope, delegated):
    """A running container cname of engine; nobody forges <scope>-<id>.scope of it in
    delegated. Docker's is one alert; a libpod scope there is nobody's own rootless Podman's
    to say: lines that say whose cgroup it is, with none of cname's identity. cname's own
    lines stay its own."""
    run(engine, "run", "-d", "--network", "none", "--name", cname, image, "sleep", "300")
    cid = run(engine, "inspect", "-f", "{{.Id}}", cname).stdout.strip()
    watcher.wait_for(cid, "container_start", timeout=120)
    fake = f"{delegated}/app.slice/{scope}-{cid}.scope"
    forge_cgroup(delegated, fake)
    if engine == "docker":
        assert_impostor(watcher, cid, fake, f"docker has container {cid[:12]}", timeout=120)
    else:
        wait_until(lambda: [e for e in watcher.for_container(cid)
                            if e["container"]["cgroup_path"] == fake and
                            e["event"] == "container_remove"], timeout=120,
                   what="the forged libpod scope's remove")
        forged = [e for e in watcher.for_container(cid) if e["container"]["cgroup_path"] == fake]
        log("the forged libpod scope: " + ", ".join(
            f'{e["event"]} {e["enrichment"]} {e.get("enrichment_error", "")}' for e in forged))
        for e in forged:
            c = e["container"]
            assert c["cgroup_owner_uid"] == 65534 and e["enrichment"] != "complete", e
            assert "name" not in c and "image" not in c, e
    real = [e for e in watcher.for_container(cid) if e["container"]["cgroup_path"] != fake]
    assert [e["event"] for e in real] == ["container_create", "container_start"], real
    assert real[1]["container"]["name"] == cname, real
    assert real[1]["container"]["cgroup_path"].endswith(f"/{scope}-{cid}.scope"), real


def test_a_socket_activated_podman_is_woken_by_the_lookup():
    """podman.socket as Debian installs it: its service exits after 5 s idle and systemd starts
    it again on the next connection. With the service stopped (the socket listening), a Podman
    container's lookup is what wakes it: the container's lines are complete, and the service
    ran again (a new invocation). Last: the keep-up drop-in the other tests need is removed."""
    os.remove("/etc/systemd/system/podman.service.d/keep-up.conf")
    run("systemctl", "daemon-reload")
    run("systemctl", "stop", "podman.service")
    before = run("systemctl", "show", "-P", "InvocationID", "podman.service").stdout.strip()
    assert run("systemctl", "is-active", "podman.socket").stdout.strip() == "active"
    assert run("systemctl", "is-active", "podman.service",
               check=False).stdout.strip() == "inactive"
    cname = f"ctrw-woken-{os.getpid()}"
    try:
        run("podman", "run", "-d", "--network", "none", "--name", cname, IMAGE, "sleep", "300")
        cid = run("podman", "inspect", "-f", "{{.Id}}", cname).stdout.strip()
        start = watcher.wait_for(cid, "container_start", timeout=120)
        log(f"woken: {start['enrichment']} {start.get('enrichment_error', '')}")
        assert start["enrichment"] == "complete" and start["container"]["name"] == cname, start
        after = run("systemctl", "show", "-P", "InvocationID", "podman.service").stdout.strip()
        assert after and after != before, (before, after)
        run("podman", "rm", "-f", "-t", "0", cname)
        watcher.wait_for(cid, "container_remove", timeout=120)
    finally:
        run("podman", "rm", "-f", "-t", "0", cname, check=False)


def setup_rootless():
    """The user, its subordinate ids, its systemd manager (what lingering or a login starts),
    its Podman service kept up like root's, and the image in its own storage."""
    run("useradd", "-m", "-s", "/bin/sh", ROOTLESS)
    uid = pwd.getpwnam(ROOTLESS).pw_uid
    for f in ("/etc/subuid", "/etc/subgid"):
        with open(f, "a+") as fh:
            fh.seek(0)
            if not any(line.startswith(f"{ROOTLESS}:") for line in fh):
                fh.write(f"{ROOTLESS}:200000:65536\n")
    run("systemctl", "start", f"user@{uid}.service")
    keep = f"/home/{ROOTLESS}/.config/systemd/user/podman.service.d"
    as_user("mkdir", "-p", keep)
    as_user("sh", "-c", f"printf '[Service]\\nExecStart=\\nExecStart=/usr/bin/podman system "
            f"service --time=0\\n' > {keep}/keep-up.conf")
    as_user("systemctl", "--user", "daemon-reload")
    as_user("systemctl", "--user", "start", "podman.socket", "podman.service")
    as_user("podman", "load", "-i", OCI)


def setup():
    global watcher
    # no network in the guest: Docker without its bridge and iptables
    os.makedirs("/etc/docker", exist_ok=True)
    with open("/etc/docker/daemon.json", "w") as f:
        f.write('{"bridge": "none", "iptables": false, "ip6tables": false}\n')
    run("systemctl", "restart", "docker.service")
    # podman.socket as installed; its service exits after 5 s idle, and under emulation its
    # start takes longer than two of ctrwatch's calls (750 ms each): kept up, as users who
    # query it often do (podman system service --time=0)
    os.makedirs("/etc/systemd/system/podman.service.d", exist_ok=True)
    with open("/etc/systemd/system/podman.service.d/keep-up.conf", "w") as f:
        f.write("[Service]\nExecStart=\nExecStart=/usr/bin/podman system service --time=0\n")
    run("systemctl", "daemon-reload")
    run("systemctl", "start", "podman.socket", "podman.service")
    wait_until(lambda: run("docker", "version", check=False).returncode == 0, timeout=120,
               what="dockerd")
    run("podman", "load", "-i", OCI)
    # Docker gets the same busybox, exported from Podman's copy
    tar = os.path.join(tempfile.mkdtemp(), "rootfs.tar")
    run("podman", "create", "--name", "ctrw-export", IMAGE, "/bin/true")
    run("podman", "export", "-o", tar, "ctrw-export")
    run("podman", "rm", "ctrw-export")
    run("docker", "import", tar, DOCKER_IMAGE)
    setup_rootless()
    watcher = Ctrwatch(tempfile.mkdtemp(prefix="ctrwatch-vm."), "engines", "--enrich-timeout",
                       "10s").start(timeout=180)
    for line in watcher.stderr().splitlines():
        log(line)


if __name__ == "__main__":
    start = time.monotonic()
    ok = False
    try:
        setup()
        ok = run_tests("vm-engines", [(n, f) for n, f in list(globals().items())
                                      if n.startswith("test_")])
    finally:
        if watcher:
            rc = watcher.stop()
            log(f"ctrwatch exited {rc}")
            ok = ok and rc == 0
        log(f"engine tests took {time.monotonic() - start:.0f}s")
    sys.exit(0 if ok else 1)

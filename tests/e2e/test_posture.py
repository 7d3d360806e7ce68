#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What a container can do, as the kernel saw it at its start (docs/events.md, "posture"):
real containers under a private containerd, made plain, privileged, on the host's network, with
a capability added, with seccomp; an exec session into a privileged one as root and as another
user. Asserts on the JSON ctrwatch printed, in NDJSON, ECS and OCSF alike."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, private_containerd, Ctrwatch, log, remove_cgroup_tree,  # noqa: E402
                     wait_lines)

# runc's default set (containerd's oci.WithDefaultSpec): what a plain container holds
DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"]
ctd = watchers = None


def name(what):
    return f"ctrw-{os.getpid()}-{what}"


def host_caps():
    """The capabilities the host's PID 1 may grant (its bounding set): a privileged
    container's (this VM's root lacks CAP_SYS_RESOURCE, so the kernel's full set is not it)."""
    with open("/proc/1/status") as f:
        bnd = int([line.split()[1] for line in f if line.startswith("CapBnd:")][0], 16)
    return {n for n in range(64) if bnd & (1 << n)}


def started(cid, *extra, cmd=("/bin/sh", "-c", "exit 0")):
    """Runs cid to its end with ctr's extra flags; its container_start in each format."""
    ctd.run(cid, *cmd, check=True, extra=list(extra))
    return {f: wait_lines(w, f, cid, "container_start", timeout=30)[0]
            for f, w in watchers.items()}


def posture(lines):
    """The NDJSON line's posture, checked to be what the ECS and OCSF lines say."""
    p = lines["ndjson"]["process"]["posture"]
    ecs, ocsf = lines["ecs"], lines["ocsf"]
    assert ecs["ctrwatch"]["posture"] == p, (ecs["ctrwatch"], p)
    assert ocsf["unmapped"]["ctrwatch"]["posture"] == p, (ocsf["unmapped"], p)
    caps = ecs["process"]["thread"]["capabilities"]
    assert caps == {"effective": p["capabilities"]["effective"],
                    "permitted": p["capabilities"]["permitted"]}, caps
    assert ecs["process"]["user"]["id"] == str(p["euid"]), ecs["process"]
    if lines["ndjson"]["event"] == "container_start":  # the container's, not a session's
        assert ecs["container"]["security_context"]["privileged"] == p["privileged"], ecs
    return p


def test_a_plain_container_holds_the_default_set_in_namespaces_of_its_own():
    p = posture(started(name("plain")))
    log(f"plain: {p}")
    assert p["euid"] == 0 and p["egid"] == 0, p
    assert p["capabilities"]["effective"] == DEFAULT_CAPS, p
    assert p["capabilities"]["permitted"] == DEFAULT_CAPS, p
    assert p["capabilities"]["bounding"] == DEFAULT_CAPS, p
    assert not p["privileged"], p
    # ctr gives no cgroup, user or time namespace of its own
    assert not {"pid", "net", "ipc", "uts", "mnt"} & set(p["host_namespaces"]), p
    assert p["seccomp"] == "disabled" and p["no_new_privs"] is True, p


def test_privileged_is_every_capability_the_host_may_grant():
    p = posture(started(name("priv"), "--privileged"))
    effective = p["capabilities"]["effective"]
    log(f"privileged: {len(effective)} capabilities")
    assert p["privileged"] is True and "CAP_SYS_ADMIN" in effective, p
    assert len(effective) == len(host_caps()), (effective, host_caps())


def test_one_added_capability_is_not_privileged():
    p = posture(started(name("capadd"), "--cap-add", "CAP_SYS_ADMIN"))
    effective = p["capabilities"]["effective"]
    assert set(effective) == set(DEFAULT_CAPS) | {"CAP_SYS_ADMIN"}, p
    # in the kernel's order: CAP_SYS_ADMIN (21) between CAP_SYS_CHROOT (18) and CAP_MKNOD (27)
    assert effective.index("CAP_SYS_CHROOT") < effective.index("CAP_SYS_ADMIN") < \
        effective.index("CAP_MKNOD"), effective
    assert not p["privileged"], p


def test_the_hosts_network_is_named_and_nothing_else_of_the_host():
    p = posture(started(name("nethost"), "--net-host"))
    assert "net" in p["host_namespaces"], p
    assert not {"pid", "ipc", "uts", "mnt"} & set(p["host_namespaces"]), p
    assert not p["privileged"], p


def test_seccomp_and_new_privileges_as_the_spec_set_them():
    p = posture(started(name("seccomp"), "--seccomp", "--allow-new-privs"))
    assert p["seccomp"] == "filter" and p["no_new_privs"] is False, p


def test_an_exec_session_has_its_own_posture():
    """Into a privileged container: a session as root holds what the container holds; one as
    uid 1000 holds nothing effective (the kernel drops them for a non-root uid)."""
    cid = name("session")
    ctd.run(cid, "/bin/sh", "-c", "while :; do sleep 0.2; done", detach=True, check=True,
            extra=["--privileged"])
    try:
        for f, w in watchers.items():
            wait_lines(w, f, cid, "container_start", timeout=30)
        for exec_id, user in (("asroot", None), ("asuser", "1000")):
            args = ["task", "exec", "--exec-id", exec_id] + (["--user", user] if user else [])
            r = ctd.ctr(*args, cid, "/bin/sh", "-c", "/bin/true; sleep 0.3", check=False)
            assert r.returncode == 0, r.stderr
        sessions = {f: wait_lines(w, f, cid, "container_exec_session", count=2, timeout=30)
                    for f, w in watchers.items()}
        root = posture({f: s[0] for f, s in sessions.items()})
        user = posture({f: s[1] for f, s in sessions.items()})
        log(f"sessions: root {root['privileged']}, uid {user['euid']}")
        assert root["privileged"] is True and root["euid"] == 0, root
        assert user["euid"] == 1000 and user["capabilities"]["effective"] == [], user
        assert user["privileged"] is False, user
        assert user["capabilities"]["bounding"] == root["capabilities"]["bounding"], user
    finally:
        ctd.kill(cid)
        ctd.remove(cid)


def setup():
    global ctd, watchers
    ctd = private_containerd()
    watchers = {f: Ctrwatch(ctd.dir, f"posture-{f}", "--format", f, socket=ctd.sock).start()
                for f in ("ndjson", "ecs", "ocsf")}


def teardown():
    for w in (watchers or {}).values():
        w.stop()
    if ctd:
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")


if __name__ == "__main__":
    main("e2e-posture", globals(), setup, teardown)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""What a container can do, as the kernel saw it at its start (docs/events.md, "posture") and as
containerd's OCI spec declared it ("declared"), and what the kernel gave beyond the declaration
("undeclared"): real containers under a private containerd, made plain, privileged, on the
host's network, with a capability added, with seccomp, with bind mounts of the host's root and
/etc, one joined to a network namespace by a path, and one whose runtime was tampered with to
leave the network namespace out; an exec session into
a privileged one as root and as another user. Asserts on the JSON ctrwatch printed, in NDJSON,
ECS and OCSF alike."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, private_containerd, Ctrwatch, log, remove_cgroup_tree,  # noqa: E402
                     tampering_runc, wait_lines)

# runc's default set (containerd's oci.WithDefaultSpec): what a plain container holds
DEFAULT_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW",
                "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP"]
ctd = watchers = filtered = None


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


def declared(lines):
    """The NDJSON line's container.declared, checked to be what the ECS and OCSF lines say."""
    d = lines["ndjson"]["container"]["declared"]
    assert lines["ecs"]["ctrwatch"]["declared"] == d, (lines["ecs"]["ctrwatch"], d)
    assert lines["ocsf"]["unmapped"]["ctrwatch"]["declared"] == d, (lines["ocsf"]["unmapped"], d)
    return d


def test_a_plain_container_holds_the_default_set_in_namespaces_of_its_own():
    lines = started(name("plain"))
    p, d = posture(lines), declared(lines)
    log(f"declared: {d}")
    assert d["privileged"] is False and d["capabilities_added"] == [], d
    assert not {"pid", "net", "ipc", "uts", "mnt"} & set(d["host_namespaces"]), d
    assert {"user", "time"} <= set(d["host_namespaces"]), d
    assert d["seccomp"] == "unconfined" and d["user"] == "0:0", d
    assert d["user_namespace"] is False, d
    assert not [m for m in d["mounts"] if m["sensitive"]], d
    assert "undeclared" not in p, p  # the kernel gave what the spec said
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
    lines = started(name("priv"), "--privileged")
    p, d = posture(lines), declared(lines)
    assert d["privileged"] is True and "CAP_SYS_ADMIN" in d["capabilities_added"], d
    assert "undeclared" not in p, p
    effective = p["capabilities"]["effective"]
    log(f"privileged: {len(effective)} capabilities")
    assert p["privileged"] is True and "CAP_SYS_ADMIN" in effective, p
    assert len(effective) == len(host_caps()), (effective, host_caps())


def test_one_added_capability_is_not_privileged():
    lines = started(name("capadd"), "--cap-add", "CAP_SYS_ADMIN")
    p, d = posture(lines), declared(lines)
    assert d["capabilities_added"] == ["CAP_SYS_ADMIN"] and d["privileged"] is False, d
    assert "undeclared" not in p, p
    effective = p["capabilities"]["effective"]
    assert set(effective) == set(DEFAULT_CAPS) | {"CAP_SYS_ADMIN"}, p
    # in the kernel's order: CAP_SYS_ADMIN (21) between CAP_SYS_CHROOT (18) and CAP_MKNOD (27)
    assert effective.index("CAP_SYS_CHROOT") < effective.index("CAP_SYS_ADMIN") < \
        effective.index("CAP_MKNOD"), effective
    assert not p["privileged"], p


def test_the_hosts_network_is_named_and_nothing_else_of_the_host():
    lines = started(name("nethost"), "--net-host")
    p, d = posture(lines), declared(lines)
    assert "net" in d["host_namespaces"] and "undeclared" not in p, (d, p)
    assert "net" in p["host_namespaces"], p
    assert not {"pid", "ipc", "uts", "mnt"} & set(p["host_namespaces"]), p
    assert not p["privileged"], p


def test_seccomp_and_new_privileges_as_the_spec_set_them():
    lines = started(name("seccomp"), "--seccomp", "--allow-new-privs", "--read-only")
    p, d = posture(lines), declared(lines)
    assert p["seccomp"] == "filter" and p["no_new_privs"] is False, p
    assert d["seccomp"] == "confined" and d["read_only_rootfs"] is True, d


def test_bind_mounts_of_the_hosts_root_and_etc_are_sensitive():
    """Binds from the host, in the spec's order but the sensitive ones first: / read-only and
    /etc read-write are sensitive, a directory of the test's own is not."""
    with tempfile.TemporaryDirectory(prefix="ctrw-data-") as data:
        lines = started(name("binds"),
                        "--mount", f"type=bind,src={data},dst=/data,options=rbind:ro",
                        "--mount", "type=bind,src=/,dst=/host,options=rbind:ro",
                        "--mount", "type=bind,src=/etc,dst=/hostetc,options=rbind:rw")
    d = declared(lines)
    binds = [(m["source"], m["destination"], m["read_only"], m["sensitive"]) for m in d["mounts"]]
    log(f"mounts: {binds}")
    assert binds[:2] == [("/", "/host", True, True), ("/etc", "/hostetc", False, True)], binds
    assert (data, "/data", True, False) in binds, binds


def test_a_tampered_runtime_that_drops_the_network_namespace_is_undeclared():
    """A runc wrapper (ctr run --runc-binary) removes the network namespace from the bundle's
    spec before runc runs it: containerd's record, the declaration, still asks for a network
    namespace of the container's own, while the kernel put the entrypoint in the host's. The
    start line's posture says undeclared host_namespaces ["net"], in every format."""
    with tempfile.TemporaryDirectory(prefix="ctrw-runc-") as d:
        lines = started(name("tampered"), "--runc-binary", tampering_runc(d, drop="network"))
    p, d = posture(lines), declared(lines)
    log(f"declared {d['host_namespaces']}, held {p['host_namespaces']}: {p.get('undeclared')}")
    assert "net" not in d["host_namespaces"], d
    assert "net" in p["host_namespaces"], p
    assert p["undeclared"] == {"host_namespaces": ["net"]}, p


def test_a_tampered_runtime_that_adds_a_capability_is_undeclared():
    """A runc wrapper adds CAP_SYS_ADMIN to the bundle's spec (bounding, permitted, effective)
    before runc runs it: containerd's record, the declaration, grants the 14 defaults, while
    the kernel gave the entrypoint CAP_SYS_ADMIN too. The start line's posture says undeclared
    capabilities ["CAP_SYS_ADMIN"], and nothing of its namespaces."""
    with tempfile.TemporaryDirectory(prefix="ctrw-runc-") as d:
        lines = started(name("tampered-cap"), "--runc-binary",
                        tampering_runc(d, add_cap="CAP_SYS_ADMIN"))
    p, d = posture(lines), declared(lines)
    log(f"declared added {d['capabilities_added']}, held {p['capabilities']['effective']}: "
        f"{p.get('undeclared')}")
    assert d["capabilities_added"] == [], d
    assert "CAP_SYS_ADMIN" in p["capabilities"]["effective"], p
    assert p["undeclared"] == {"capabilities": ["CAP_SYS_ADMIN"]}, p


def test_a_namespace_joined_by_a_path_is_not_judged():
    """ctr run --with-ns network:PATH, PATH a bind of the host's network namespace (what a
    CNI plugin's /var/run/netns/cni-... looks like): the path does not say whose namespace it
    is, so the declaration does not name the kind, and its being the host's is no mismatch."""
    netns = f"/run/ctrw-netns-{os.getpid()}"
    open(netns, "w").close()
    try:
        subprocess.run(["mount", "--bind", f"/proc/{os.getpid()}/ns/net", netns], check=True)
        try:
            lines = started(name("netns"), "--with-ns", f"network:{netns}")
        finally:
            subprocess.run(["umount", netns], check=True)
    finally:
        os.unlink(netns)
    p, d = posture(lines), declared(lines)
    assert "net" not in d["host_namespaces"] and "net" in p["host_namespaces"], (d, p)
    assert "undeclared" not in p, p


def test_filters_keep_only_what_the_engine_declared_privileged_or_on_the_hosts_network():
    """--exclude image:.* --include privileged:^true$ --include host_namespaces:net: a plain
    container then a --net-host one then a privileged one, each run to its end: the filtered
    ctrwatch prints the last two's lifetimes and none of the first's (its four lines would have
    come before the second's, which is made after it ended)."""
    plain, nethost, priv = name("f-plain"), name("f-nethost"), name("f-priv")
    ctd.run(plain, "/bin/sh", "-c", "exit 0", check=True)
    wait_lines(watchers["ndjson"], "ndjson", plain, "container_remove", timeout=30)
    started(nethost, "--net-host")
    started(priv, "--privileged")
    for cid in (nethost, priv):
        filtered.wait_for(cid, "container_remove", timeout=30)
        assert [e["event"] for e in filtered.for_container(cid)] == [
            "container_create", "container_start", "container_exit", "container_remove"]
    assert filtered.for_container(plain) == [], filtered.for_container(plain)


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
    global ctd, watchers, filtered
    ctd = private_containerd()
    watchers = {f: Ctrwatch(ctd.dir, f"posture-{f}", "--format", f, socket=ctd.sock).start()
                for f in ("ndjson", "ecs", "ocsf")}
    filtered = Ctrwatch(ctd.dir, "posture-filtered", "--exclude", "image:.*",
                        "--include", "privileged:^true$", "--include", "host_namespaces:net",
                        socket=ctd.sock).start()


def teardown():
    for w in list((watchers or {}).values()) + ([filtered] if filtered else []):
        w.stop()
    if ctd:
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")


if __name__ == "__main__":
    main("e2e-posture", globals(), setup, teardown)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""docs/detections.md, run: every jq filter and KQL query in it, read from the file, over the
lines ctrwatch printed (NDJSON for jq, ECS for KQL) for a real container it must match and one
it must not, under a private containerd. The KQL is evaluated here by a small reading of the
subset the file uses (field:value terms joined by and/or, a value "quoted", true/false, * for
"exists", or a parenthesised list of *suffix patterns), with arrays of objects flattened as
Elasticsearch indexes them."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import (main, private_containerd, Ctrwatch, forge_cgroup, kubepods_cgroup,  # noqa: E402
                     log, nobodys_subtree, remove_cgroup_tree, tampering_runc, wait_lines,
                     wait_until)

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "detections.md")
ctd = watchers = None


def queries():
    """{id: {"jq": filter, "kql": query}} from the fenced blocks of docs/detections.md."""
    found = {}
    with open(DOC) as f:
        text = f.read()
    for lang, qid, body in re.findall(r"```(jq|kql) id=([\w-]+)\n(.*?)\n```", text, re.S):
        found.setdefault(qid, {})[lang] = body.strip()
    return found


def values(doc, path):
    """Every value at a dotted path, through arrays (Elasticsearch's flattening)."""
    items = [doc]
    for key in path.split("."):
        nxt = []
        for it in items:
            v = it.get(key) if isinstance(it, dict) else None
            if isinstance(v, list):
                nxt.extend(v)
            elif v is not None:
                nxt.append(v)
        items = nxt
    return items


def term_matches(doc, field, value):
    got = values(doc, field)
    if value == "*":
        return bool(got)
    if value.startswith("("):  # (*a or *b): suffix patterns
        pats = [p.strip() for p in value.strip("()").split(" or ")]
        return any(isinstance(g, str) and g.endswith(p.lstrip("*")) for g in got for p in pats)
    if value in ("true", "false"):
        return (value == "true") in [g for g in got if isinstance(g, bool)]
    want = json.loads(value) if value.startswith('"') else value
    return any(str(g) == str(want) for g in got if not isinstance(g, (dict, list)))


def kql(doc, query):
    """query: terms field:value joined by ' and ', alternatives by ' or ' (and binds tighter;
    an 'or' inside parentheses belongs to its value)."""
    terms = re.findall(r'([\w.]+):(\([^)]*\)|"[^"]*"|\S+)|\b(and|or)\b', query)
    alternatives, current = [], []
    for field, value, op in terms:
        if op == "or":
            alternatives.append(current)
            current = []
        elif field:
            current.append((field, value))
    alternatives.append(current)
    return any(all(term_matches(doc, f, v) for f, v in alt) for alt in alternatives if alt)


def jq(lines, flt):
    r = subprocess.run(["jq", "-c", flt], input="\n".join(json.dumps(e) for e in lines),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert r.returncode == 0, (flt, r.stderr)
    return [json.loads(x) for x in r.stdout.splitlines()]


def lines_of(cid, event, count=1):
    """The container's lines of that kind, NDJSON and ECS."""
    return {f: wait_lines(w, f, cid, event, count=count, timeout=30)
            for f, w in watchers.items()}


def check(qid, hit, miss):
    """hit and miss: {format: [lines]}; the query must select each line of hit, none of miss."""
    q = queries()[qid]
    got = jq(hit["ndjson"] + miss["ndjson"], q["jq"])
    assert got == hit["ndjson"], (qid, "jq", q["jq"], got)
    for e in hit["ecs"]:
        assert kql(e, q["kql"]), (qid, "kql", q["kql"], e)
    for e in miss["ecs"]:
        assert not kql(e, q["kql"]), (qid, "kql matched the harmless one", q["kql"], e)
    log(f"{qid}: jq and KQL select {len(hit['ndjson'])} line(s), not the other")


def start_of(what, *extra, cmd=("/bin/sh", "-c", "exit 0")):
    cid = f"ctrw-{os.getpid()}-{what}"
    ctd.run(cid, *cmd, check=True, extra=list(extra))
    return lines_of(cid, "container_start")


def test_every_query_in_the_file_is_tested_here():
    tested = {"privileged", "host-network", "host-pid", "sensitive-mount", "runtime-socket",
              "sys-admin", "root-no-seccomp", "undeclared", "root-session-privileged",
              "impostor"}
    q = queries()
    assert set(q) == tested, set(q) ^ tested
    assert all(set(v) == {"jq", "kql"} for v in q.values()), q


def test_kernel_detections_on_starts():
    plain = start_of("plain")
    check("privileged", start_of("priv", "--privileged"), plain)
    check("host-network", start_of("net", "--net-host"), plain)
    check("host-pid", start_of("pid", "--with-ns", f"pid:/proc/{os.getpid()}/ns/pid"), plain)
    check("sys-admin", start_of("sysadmin", "--cap-add", "CAP_SYS_ADMIN"), plain)
    check("root-no-seccomp", plain, start_of("seccomp", "--seccomp"))


def test_mount_detections():
    with tempfile.TemporaryDirectory(prefix="ctrw-det-") as data:
        harmless = start_of("data", "--mount", f"type=bind,src={data},dst=/data,options=rbind:ro")
        check("sensitive-mount",
              start_of("etc", "--mount", "type=bind,src=/etc,dst=/hostetc,options=rbind:ro"),
              harmless)
        check("runtime-socket",
              start_of("sock", "--mount", f"type=bind,src={ctd.sock},dst=/sock,options=rbind"),
              harmless)


def test_the_kernel_gave_more_than_declared():
    """A tampered runtime (harness.tampering_runc) leaves the network namespace out: declared
    the container's own, held the host's. --net-host declares it: no mismatch."""
    with tempfile.TemporaryDirectory(prefix="ctrw-det-runc-") as d:
        hit = start_of("undeclared", "--runc-binary", tampering_runc(d, drop="network"))
    check("undeclared", hit, start_of("declared", "--net-host"))


def session_into(what, *extra):
    cid = f"ctrw-{os.getpid()}-{what}"
    ctd.run(cid, "/bin/sh", "-c", "while :; do sleep 0.2; done", detach=True, check=True,
            extra=list(extra))
    try:
        lines_of(cid, "container_start")
        r = ctd.ctr("task", "exec", "--exec-id", "det", cid, "/bin/sh", "-c", "/bin/true",
                    check=False)
        assert r.returncode == 0, r.stderr
        return lines_of(cid, "container_exec_session")
    finally:
        ctd.kill(cid)
        ctd.remove(cid)


def test_a_root_session_into_a_privileged_container():
    check("root-session-privileged", session_into("s-priv", "--privileged"),
          session_into("s-plain"))


def claimed(line):
    """The id an impostor's alert claims: NDJSON's claimed_container_id, ECS's under ctrwatch."""
    return line.get("claimed_container_id") or line.get("ctrwatch", {}).get(
        "claimed_container_id")


def test_a_cgroup_claiming_a_running_container():
    """A pod's container runs at the kubelet's cgroupfs path; nobody makes the same path in
    its own delegated subtree and runs a program there (docs/security.md's impostor)."""
    cid, pod_uid, made = os.urandom(32).hex(), str(uuid.uuid4()), []
    real_path = kubepods_cgroup(pod_uid, cid, made)
    ctd.run(cid, "/bin/sleep", "60", detach=True, check=True,
            extra=["--cgroup", real_path, "--label", "io.kubernetes.container.name=app"])
    try:
        real = lines_of(cid, "container_start")
        with nobodys_subtree() as delegated:
            forge_cgroup(delegated,
                         f"{delegated}/app.slice/kubepods/besteffort/pod{pod_uid}/{cid}")
            alerts = {f: wait_until(lambda w=w: [e for e in w.events() if claimed(e) == cid],
                                    timeout=30, what=f"the {f} alert")
                      for f, w in watchers.items()}
        check("impostor", alerts, real)
    finally:
        ctd.kill(cid)
        ctd.remove(cid)
        for cg in made:
            remove_cgroup_tree(cg)


def setup():
    global ctd, watchers
    assert shutil.which("jq"), "jq is needed (make deps installs it)"
    ctd = private_containerd()
    watchers = {f: Ctrwatch(ctd.dir, f"detections-{f}", "--format", f, socket=ctd.sock).start()
                for f in ("ndjson", "ecs")}


def teardown():
    for w in (watchers or {}).values():
        w.stop()
    if ctd:
        ctd.cleanup()
        remove_cgroup_tree(f"/{ctd.namespace}")


if __name__ == "__main__":
    main("e2e-detections", globals(), setup, teardown)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: --format ecs and --format ocsf. Three ctrwatch watch the same containers (a
plain one with an exit code, one killed by a signal, one with hostile labels, a Kubernetes-style
one with its pod, one running before ctrwatch, with --exec so that execs are there too; a full tracking map for the loss
line): every line of ecs and ocsf validates against the schemas in tests/schemas
(tests/lib/schema_check.py), and tells the same events as ndjson. The validators themselves
must fail on a misspelt field, a wrong type, a missing required attribute and an enum out of
range. Root."""

import copy
import json
import time
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from harness import (cgroup2_dir, clean_up, forge_cgroup, freeze_cgroup2, main,  # noqa: E402
                     Ctrwatch, kubepods_cgroup, line_container_id, line_event, log,
                     private_containerd, remove_cgroup_tree, wait_until)
import schema_check  # noqa: E402

FORMATS = ("ndjson", "ecs", "ocsf")
LIFETIME = ["container_create", "container_start", "container_exit", "container_remove"]
ctd = None
runs = {}
created_cgroups = []
ecs = schema_check.Ecs()
ocsf = schema_check.Ocsf()
ids = {}
made_delegated = []  # what of DELEGATED this suite made, to remove
# A subtree systemd delegates to a user (user@UID.service): where the impostor is made.
DELEGATED = "/user.slice/user-65534.slice/user@65534.service"
impostor = {}


def cid(suffix):
    return f"fmt-{os.getpid()}-{suffix}"


def ndjson_id(e):
    return line_container_id("ndjson", e)


def ecs_id(e):
    return line_container_id("ecs", e)


def ocsf_id(e):
    return line_container_id("ocsf", e)


def ocsf_event(e):
    return line_event("ocsf", e)


ID_OF = {f: (lambda e, f=f: line_container_id(f, e)) for f in FORMATS}
EVENT_OF = {f: (lambda e, f=f: line_event(f, e)) for f in FORMATS}


def wait_removed(fmt, c):
    w = runs[fmt]
    wait_until(lambda: [e for e in w.events() if ID_OF[fmt](e) == c and
                        EVENT_OF[fmt](e) == "container_remove"],
               timeout=15, what=f"{c}'s remove in {fmt}")


def lines_of(name):
    with open(runs[name].out_path) as f:
        return f.read()


def run_containers():
    """The containers every format must tell."""
    ctd.kill(ids["before"])  # running before ctrwatch started
    ctd.remove(ids["before"])
    ids["plain"] = cid("plain")
    ctd.run(ids["plain"], "/bin/sh", "-c", "/bin/true; exit 7", check=False)
    ids["killed"] = cid("killed")
    ctd.run(ids["killed"], "/bin/sleep", "600", detach=True, check=True)
    runs["ndjson"].wait_for(ids["killed"], "container_start")
    r = ctd.ctr("task", "exec", "--exec-id", "fmt", ids["killed"], "/bin/true", check=False)
    assert r.returncode == 0, r.stderr  # an exec session
    runs["ndjson"].wait_for(ids["killed"], "container_exec_session")
    for frozen, event in ((True, "container_paused"), (False, "container_resumed")):
        freeze_cgroup2(f"/{ctd.namespace}/{ids['killed']}", frozen)
        runs["ndjson"].wait_for(ids["killed"], event)
    # nobody names a cgroup of its own like the running one: one alert in each format
    impostor["path"] = (f"{DELEGATED}/app.slice/kubepods/besteffort/pod{uuid.uuid4()}/"
                        f"{ids['killed']}")
    forge_cgroup(DELEGATED, impostor["path"])
    wait_until(lambda: [e for e in runs["ndjson"].events() if e["event"] == "cgroup_impostor"],
               what="the impostor's alert")
    ctd.kill(ids["killed"])
    ctd.remove(ids["killed"])
    ids["labels"] = cid("labels")
    labels = {"quote": 'say "hi"', "newline": "a\nb", "utf8": "caf\u00e9 \U0001F433",
              "forge": '","event":"container_remove', "app": "web",
              "app.kubernetes.io/name": "dotted", "app_kubernetes_io/name": "underscored"}
    extra = []
    for k, v in labels.items():
        extra += ["--label", f"{k}={v}"]
    ctd.run(ids["labels"], "/bin/sh", "-c", "exit 0", extra=extra, check=True)
    # more labels than ctrwatch keeps (LABELS_MAX, 512): each format says some were left out
    ids["many"] = cid("many")
    extra = [a for i in range(520) for a in ("--label", f"k{i}=v{i}")]
    ctd.run(ids["many"], "/bin/sh", "-c", "exit 0", extra=extra, check=True)
    # root runs a container in a user's delegated subtree (containerd's spec names that cgroup):
    # each format says whose subtree it is
    ids["owned"] = os.urandom(32).hex()
    owned = f"{DELEGATED}/ctrw-fmt.slice/cri-containerd-{ids['owned']}.scope"
    ctd.run(ids["owned"], "/bin/sh", "-c", "exit 0", extra=["--cgroup", owned], check=True)
    ids["pod"] = cid("pod")
    pod_uid = str(uuid.uuid4())
    extra = ["--cgroup", kubepods_cgroup(pod_uid, ids["pod"], created_cgroups)]
    for lb in (f"io.kubernetes.pod.name=web-{pod_uid[:5]}", "io.kubernetes.pod.namespace=shop",
               f"io.kubernetes.pod.uid={pod_uid}", "io.cri-containerd.kind=container",
               "io.kubernetes.container.name=app"):
        extra += ["--label", lb]
    ctd.run(ids["pod"], "/bin/sh", "-c", "/bin/true", extra=extra, check=True)
    for c in ids.values():
        for f in FORMATS:
            wait_removed(f, c)


def test_every_line_validates_and_tells_what_ndjson_tells():
    run_containers()
    time.sleep(1.2)  # a heartbeat after the containers' events, in every format
    for f in FORMATS:
        assert runs[f].stop() == 0, runs[f].stderr()
    for name, checker in (("ecs", ecs), ("ocsf", ocsf)):
        text = lines_of(name)
        problems = schema_check.check_lines(checker, text)
        assert not problems, (name, problems[:10])
        log(f"{name}: {text.count(chr(10))} lines, all valid")
    nd = runs["ndjson"].events()
    ec = runs["ecs"].events()
    oc = runs["ocsf"].events()
    for key, c in ids.items():
        want = [e["event"] for e in nd if ndjson_id(e) == c]
        assert [e["event"]["action"] for e in ec if ecs_id(e) == c] == want, c
        assert [ocsf_event(e) for e in oc if ocsf_id(e) == c] == want, c
        assert [x for x in want if x not in ("process_exec", "container_exec_session",
                                             "container_paused", "container_resumed")] == (
            ["container_existing", *LIFETIME[2:]] if key == "before" else LIFETIME), (c, want)
    # the impostor: one alert in each format, naming the id it claims, never as its container
    alerts = {"ndjson": [e for e in nd if e["event"] == "cgroup_impostor"],
              "ecs": [e for e in ec if e["event"]["kind"] == "alert"],
              "ocsf": [e for e in oc if e["class_uid"] == 2004]}
    log(f"the impostor's alerts: {alerts}")
    assert all(len(a) == 1 for a in alerts.values()), alerts
    n, e, o = alerts["ndjson"][0], alerts["ecs"][0], alerts["ocsf"][0]
    assert n["claimed_container_id"] == ids["killed"] and n["cgroup"]["path"] == impostor["path"]
    assert e["ctrwatch"]["claimed_container_id"] == ids["killed"] and "container" not in e, e
    assert e["event"]["action"] == "cgroup_impostor" and e["process"]["executable"], e
    assert o["unmapped"]["ctrwatch"]["claimed_container_id"] == ids["killed"], o
    assert o["severity_id"] == 4 and o["evidences"][0]["process"]["file"]["path"], o
    assert n["seq"] == e["event"]["sequence"] == int(o["metadata"]["uid"])
    claim = f"/{ctd.namespace}/{ids['killed']}"  # where containerd has the claimed container
    assert n["claimed_by"]["cgroups_path"] == e["ctrwatch"]["claimed_cgroups_path"] == \
        o["unmapped"]["ctrwatch"]["claimed_cgroups_path"] == claim, (n, e, o)
    # the same seqs, the same exit codes
    assert [e["seq"] for e in nd if "seq" in e] == \
        [e["event"]["sequence"] for e in ec if "sequence" in e["event"]]
    assert [e["seq"] for e in nd if "seq" in e] == \
        [int(e["metadata"]["uid"]) for e in oc if "uid" in e["metadata"]]
    exits = {ndjson_id(e): e["exit"]["code"] for e in nd if e["event"] == "container_exit"}
    assert exits[ids["plain"]] == 7 and exits[ids["killed"]] == 137, exits
    assert {ecs_id(e): e["process"]["exit_code"] for e in ec
            if e["event"]["action"] == "container_exit"} == exits
    assert {ocsf_id(e): e["exit_code"] for e in oc
            if ocsf_event(e) == "container_exit"} == exits
    # hostile labels: intact in ocsf tags; dots made underscores in ecs, never a key twice
    ls = [e for e in oc if ocsf_id(e) == ids["labels"] and ocsf_event(e) == "container_start"][0]
    tags = {t["name"]: t["value"] for t in ls["process"]["container"]["tags"]}
    assert tags["newline"] == "a\nb" and tags["forge"] == '","event":"container_remove', tags
    le = [e for e in ec if ecs_id(e) == ids["labels"] and e["event"]["action"] ==
          "container_start"][0]["container"]["labels"]
    assert le["app"] == "web" and le["newline"] == "a\nb", le
    assert le["app_kubernetes_io/name"] == "underscored", le  # the one named so, in any order
    assert not any("." in k for k in le), le
    # labels left out, and a user's subtree, where each schema puts them
    for key, value in (("many", ("labels_truncated", True)), ("owned", ("cgroup_owner_uid", 65534))):
        lines = ([e["container"] for e in nd if ndjson_id(e) == ids[key]],
                 [e["ctrwatch"] for e in ec if ecs_id(e) == ids[key]],
                 [e["unmapped"]["ctrwatch"] for e in oc if ocsf_id(e) == ids[key]])
        for f, objs in zip(("ndjson", "ecs", "ocsf"), lines):
            assert len(objs) == 4 and all(o.get(value[0]) == value[1] for o in objs), \
                (key, f, objs)
    # the pod, where each schema puts it
    pe = [e for e in ec if ecs_id(e) == ids["pod"]][0]
    assert pe["orchestrator"]["resource"]["type"] == "pod" and \
        pe["orchestrator"]["namespace"] == "shop", pe
    po = [e for e in oc if ocsf_id(e) == ids["pod"] and ocsf_event(e) == "container_start"][0]
    assert po["process"]["container"]["pod_uuid"] == pe["orchestrator"]["resource"]["id"], po
    assert po["unmapped"]["ctrwatch"]["pod"]["namespace"] == "shop", po
    # heartbeats: one a second in each format (validated above), the same facts where each puts
    # them; the events they count add up to the events written
    hb = {"ndjson": [e["heartbeat"] for e in nd if e["event"] == "ctrwatch_heartbeat"],
          "ecs": [e["ctrwatch"]["heartbeat"] for e in ec
                  if e["event"]["action"] == "ctrwatch_heartbeat"],
          "ocsf": [e["unmapped"]["ctrwatch"]["heartbeat"] for e in oc
                   if e.get("unmapped", {}).get("ctrwatch", {}).get("event") ==
                   "ctrwatch_heartbeat"]}
    for f, beats in hb.items():
        assert beats, (f, beats)
        last = beats[-1]
        assert last["interval_s"] == 1 and last["engines"]["containerd"] == "up", (f, last)
        assert last["engines"]["docker"] == "absent", (f, last)  # no socket at that path
        assert last["pinned"] is False and last["lost"]["total"] == 0, (f, last)
        assert sum(b["events_written"]["since_last"] for b in beats) == \
            last["events_written"]["total"], (f, beats)
    events = [e for e in nd if "container" in e or e["event"] == "cgroup_impostor"]
    assert hb["ndjson"][-1]["events_written"]["total"] <= len(events)


def test_the_loss_line_validates_in_each_format():
    """A tracking map of one entry cannot hold the second of two containers running at once:
    the ctrwatch_lost line reports it, in each format."""
    lossy = {f: Ctrwatch(ctd.dir, f"lossy-{f}", "--format", f, "--max-cgroups", "1",
                         socket=ctd.sock).start() for f in ("ecs", "ocsf")}
    a, b = cid("hold"), cid("over")
    try:
        ctd.run(a, "/bin/sleep", "600", detach=True, check=True)
        ctd.run(b, "/bin/true", check=True)
        for f, w in lossy.items():
            wait_until(lambda w=w: "ctrwatch_lost" in open(w.out_path).read(),
                       what=f"a loss line in {f}")
    finally:
        ctd.kill(a)
        ctd.remove(a)
        for w in lossy.values():
            w.stop()
    for f, checker in (("ecs", ecs), ("ocsf", ocsf)):
        text = open(lossy[f].out_path).read()
        problems = schema_check.check_lines(checker, text)
        assert not problems, (f, problems[:10])


def mutations(doc, fmt):
    """(what, broken copy) for each of the four faults the validators must catch."""
    out = []
    bad = copy.deepcopy(doc)
    if fmt == "ecs":
        bad["container"]["imagee"] = bad["container"].pop("image", {"name": "x"})
        out.append(("a misspelt field", bad))
        bad = copy.deepcopy(doc)
        bad["process"]["pid"] = str(bad["process"]["pid"])
        out.append(("a wrong type", bad))
        bad = copy.deepcopy(doc)
        del bad["ecs"]["version"]
        out.append(("a missing required field", bad))
        bad = copy.deepcopy(doc)
        bad["event"]["kind"] = "happening"
        out.append(("a value outside the allowed ones", bad))
    else:
        bad = copy.deepcopy(doc)
        bad["process"]["container"]["uidd"] = bad["process"]["container"].pop("uid")
        out.append(("a misspelt field", bad))
        bad = copy.deepcopy(doc)
        bad["time"] = str(bad["time"])
        out.append(("a wrong type", bad))
        bad = copy.deepcopy(doc)
        del bad["metadata"]["product"]
        out.append(("a missing required attribute", bad))
        bad = copy.deepcopy(doc)
        bad["severity_id"] = 42
        out.append(("an enum out of range", bad))
    return out


def test_the_validators_catch_each_fault():
    """From a real container_start line of each format: valid as printed, invalid after each
    of the four faults."""
    import json
    for fmt, checker, action in (("ecs", ecs, lambda e: e["event"]["action"]),
                                 ("ocsf", ocsf, ocsf_event)):
        doc = [json.loads(line) for line in lines_of(fmt).splitlines()
               if action(json.loads(line)) == "container_start"][0]
        assert checker.check(doc) == [], checker.check(doc)
        for what, bad in mutations(doc, fmt):
            problems = checker.check(bad)
            assert problems, f"{fmt}: {what} passed the validator"
            log(f"{fmt}, {what}: {problems[0]}")


def setup():
    global ctd
    for top in ("/user.slice", "/user.slice/user-65534.slice"):
        if not os.path.isdir(cgroup2_dir(top)):
            made_delegated.append(top)
            break
    ctd = private_containerd()
    ids["before"] = cid("before")
    ctd.run(ids["before"], "/bin/sleep", "600", detach=True, check=True)
    for f in FORMATS:
        runs[f] = Ctrwatch(ctd.dir, f, "--format", f, "--exec", "--heartbeat", "1s",
                           "--docker-socket", os.path.join(ctd.dir, "no-docker.sock"),
                           socket=ctd.sock).start()


def teardown():
    for w in runs.values():
        w.stop()
    clean_up(ctd, cgroups=created_cgroups)
    if made_delegated:
        remove_cgroup_tree(made_delegated[0])


if __name__ == "__main__":
    main("e2e-formats", globals(), setup, teardown)

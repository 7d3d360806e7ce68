#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: containerd's CRI driven the way CRI clients other than the kubelet drive it (a
conformance suite, crictl, a client that never asked which cgroup driver the runtime uses):
a systemd-style cgroup parent against a cgroupfs containerd, no parent at all, metadata without
the kubelet's io.kubernetes.* labels, and a start followed at once by a remove. Every line
ctrwatch printed is checked against containerd's own event stream (`ctr events`: /tasks/start,
/tasks/exit with its status, /tasks/delete, /containers/delete), not against what the test
expects. The same file runs in the VM rig against containerd 1.7 and 2.x
(tests/vm/guest/test_node.py). Root; grpcio (make deps), whose absence fails it."""

import os
import shutil
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# the VM guest gives the CRI messages protoc made on the host (read-only /repo): CRI_GEN
GIVEN_GEN = os.environ.get("CRI_GEN")
sys.path.insert(0, HERE)
from harness import (Ctrwatch, EventStream, assert_impostor, cgroup2_dir,  # noqa: E402
                     forge_cgroup, log, nobodys_subtree, wait_until)
# test_cri runs this under Debian's python3 when another comes first (its grpcio), or fails
from test_cri import GEN as HOST_GEN, IMAGE, start_cri_containerd  # noqa: E402

GEN = GIVEN_GEN or HOST_GEN
os.environ["CRI_GEN"] = GEN
# the VM guest's images, built on the host (build/vm/images: busybox.tar, pause.tar)
IMAGES = os.environ.get("CTRWATCH_IMAGES")
if IMAGES:
    IMAGE = "docker.io/ctrwatch/busybox:test"

sys.path.insert(0, os.path.join(REPO, "tests", "vm", "guest"))

ctd = None
made_k8s_io = False  # whether the no-parent pods' /k8s.io was ours to remove
cri = None
watcher = None
stream = None


def containerds_own_cgroup():
    """The cgroup containerd (and so its shims and their runc) runs in: where a cgroupfs runc
    puts a relative cgroupsPath."""
    with open(f"/proc/{ctd.proc.pid}/cgroup") as f:
        return [line.split(":", 2)[2].strip() for line in f if line.startswith("0::")][0]


def under(parent, name):
    return name if parent == "/" else f"{parent.rstrip('/')}/{name[1:]}"


def run_pod(name, cgroup_parent=""):
    """A pod as a CRI client that is not the kubelet asks for one: metadata only, none of the
    kubelet's labels; host network (no CNI here)."""
    import cri_pb2 as pb
    uid = str(uuid.uuid4())
    config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="suite"),
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=cgroup_parent,
            security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER))))
    sandbox = cri.call("RunPodSandbox", pb.RunPodSandboxRequest(config=config),
                       pb.RunPodSandboxResponse).pod_sandbox_id
    return sandbox, config


def create(sandbox, config, name, command):
    import cri_pb2 as pb
    ccfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=IMAGE),
        command=command,
        linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER))))
    return cri.call("CreateContainer", pb.CreateContainerRequest(
        pod_sandbox_id=sandbox, config=ccfg, sandbox_config=config),
        pb.CreateContainerResponse).container_id


def end_pod(sandbox):
    cri.stop_pod(sandbox)
    cri.remove_pod(sandbox)


def check_against_containerd(w, cid):
    """ctrwatch's lines of cid, against what containerd's events say happened to it: a start
    line if containerd started it and its program ran, one exit line with containerd's exit
    status if containerd saw it exit (marked when its program never ran: then no start line),
    a remove line once its task was deleted. Returns ctrwatch's lines."""
    wait_until(lambda: any(t == "/containers/delete" for t, _ in stream.of(cid)),
               what=f"containerd's /containers/delete of {cid}")
    w.wait_for(cid, "container_remove", timeout=30)
    truth = stream.of(cid)
    topics = [t for t, _ in truth]
    lines = w.for_container(cid)
    kinds = [e["event"] for e in lines]
    log(f"{cid[:12]}: containerd {topics}; ctrwatch {kinds}")
    exits = [e for t, e in truth if t == "/tasks/exit"]
    assert len(exits) == 1 and "/tasks/start" in topics, truth
    assert kinds[0] == "container_create" and kinds[-1] == "container_remove", kinds
    assert kinds.count("container_exit") == 1, kinds
    ex = [e for e in lines if e["event"] == "container_exit"][0]
    assert ex["exit"]["code"] == exits[0].get("exit_status", 0), (ex, exits)
    if ex["exit"]["entrypoint_ran"]:
        assert kinds == ["container_create", "container_start", "container_exit",
                         "container_remove"], kinds
    else:
        assert kinds == ["container_create", "container_exit", "container_remove"], kinds
        assert ex["exit"]["signal"] == 9, ex
    return lines


def assert_sandbox_printed_nothing(sandbox):
    """Once containerd has deleted the pod's sandbox (labelled io.cri-containerd.kind=sandbox
    by containerd), ctrwatch printed no line of it."""
    wait_until(lambda: "/containers/delete" in [t for t, _ in stream.of(sandbox)],
               what="the sandbox's deletion")
    assert watcher.for_container(sandbox) == [], watcher.for_container(sandbox)


def test_a_systemd_style_parent_against_a_cgroupfs_containerd_is_followed():
    """The kubelet/containerd driver mismatch: the client gives /test.slice, containerd's
    cgroupfs runc makes `test.slice:cri-containerd:<id>` under its own cgroup (at the top level
    when containerd runs at the root). Before: nothing printed for it (the kernel ignored the
    first level, and no rule knew the name). After: its four lines, complete, each as
    containerd's events say, its pod from containerd's record; its sandbox prints nothing."""
    sandbox, config = run_pod("sliced", "/test.slice")
    try:
        cid = create(sandbox, config, "app", ["/bin/sh", "-c", "sleep 1; exit 3"])
        cri.start(cid)
        cri.wait_exited(cid)
        cri.remove(cid)
        lines = check_against_containerd(watcher, cid)
        # runc's cgroup v1 manager (and a hybrid host's cgroup2) puts it under its own cgroup,
        # its cgroup2 manager under that one's parent (its own has tasks)
        own = containerds_own_cgroup()
        want = [under(base, f"/test.slice:cri-containerd:{cid}")
                for base in (own, os.path.dirname(own))]
        for e in lines:
            assert e["enrichment"] == "complete", e
            assert e["container"]["cgroup_path"] in want, (e, want)
            assert e["container"]["name"] == "app", e
            assert e["pod"]["name"] == "sliced" and e["pod"]["uid"] == config.metadata.uid, e
    finally:
        end_pod(sandbox)
    assert_sandbox_printed_nothing(sandbox)


def test_a_relative_cgroups_path_is_proven_under_containerds_own_cgroup():
    """A relative cgroupsPath names a directory under the runtime's own cgroup, not any
    directory of that name: while the sliced container C runs, nobody makes
    `<its delegated subtree>/app.slice/test.slice:cri-containerd:C` and runs a program in new
    namespaces there. containerd's cgroup (its socket's SO_PEERCRED pid) is not that
    directory's parent: one cgroup_impostor alert, none of C's identity on it; C's own lines
    stay complete."""
    sandbox, config = run_pod("victim", "/test.slice")
    with nobodys_subtree() as delegated:
        try:
            cid = create(sandbox, config, "app", ["/bin/sleep", "60"])
            cri.start(cid)
            watcher.wait_for(cid, "container_start", timeout=30)
            fake = f"{delegated}/app.slice/test.slice:cri-containerd:{cid}"
            forge_cgroup(delegated, fake)
            assert_impostor(watcher, cid, fake, f"has container {cid[:12]} with its cgroup at "
                            f"test.slice:cri-containerd:{cid}")
            real = [e for e in watcher.for_container(cid)]
            assert [e["event"] for e in real] == ["container_create", "container_start"], real
            assert all(e["enrichment"] == "complete" for e in real), real
        finally:
            end_pod(sandbox)


def test_no_parent_and_no_kubelet_labels():
    """No cgroup parent (containerd's cgroupfs default, /k8s.io/<id>) and metadata only: the
    container's lines match containerd's events and name it and its pod; the sandbox, labelled
    io.cri-containerd.kind=sandbox by containerd, prints nothing."""
    sandbox, config = run_pod("bare")
    try:
        cid = create(sandbox, config, "probe", ["/bin/sh", "-c", "exit 6"])
        cri.start(cid)
        cri.wait_exited(cid)
        cri.remove(cid)
        for e in check_against_containerd(watcher, cid):
            assert e["container"]["cgroup_path"] == f"/k8s.io/{cid}", e
            assert e["container"]["name"] == "probe" and e["pod"]["name"] == "bare", e
    finally:
        end_pod(sandbox)
    assert_sandbox_printed_nothing(sandbox)


def test_start_then_remove_at_once_ends_every_lifetime():
    """StartContainer, then RemoveContainer at once (it kills the task), ten times, in both
    placements: each container containerd saw exit gets exactly one container_exit with
    containerd's status, whether or not its program ran before the kill (when it did not,
    no start line and entrypoint_ran false)."""
    pods = [run_pod("racer"), run_pod("racer-sliced", "/race.slice")]
    try:
        for i in range(10):
            sandbox, config = pods[i % 2]
            cid = create(sandbox, config, f"racer-{i}", ["/bin/sleep", "30"])
            cri.start(cid)
            cri.remove(cid)
            check_against_containerd(watcher, cid)
    finally:
        for sandbox, _ in pods:
            end_pod(sandbox)


def setup():
    global ctd, cri, watcher, stream, made_k8s_io
    made_k8s_io = not os.path.isdir(cgroup2_dir("/k8s.io"))
    if not GIVEN_GEN:
        os.makedirs(GEN, exist_ok=True)
        subprocess.run(["protoc", f"--python_out={GEN}", "-Iproto", "proto/cri.proto"],
                       cwd=REPO, check=True)
    ctd, cri, _ = start_cri_containerd(IMAGES)
    log(f"containerd {cri.version().runtime_version} in cgroup {containerds_own_cgroup()}")
    stream = EventStream(ctd)
    # "complete" is what is tested, not how fast: a TCG guest's lookups take seconds
    watcher = Ctrwatch(ctd.dir, "cri-clients", "--docker-socket", "", "--podman-socket", "",
                       "--crio-socket", "", "--enrich-timeout", "10s",
                       socket=ctd.sock).start(timeout=180)


def teardown():
    if watcher:
        watcher.stop()
    if stream:
        stream.stop()
    if ctd:
        ctd.cleanup()
    for top in ("/test.slice", "/race.slice") + (("/k8s.io",) if made_k8s_io else ()):
        if os.path.isdir(cgroup2_dir(top)):
            subprocess.run(["rmdir", cgroup2_dir(top)], check=False)
    if not GIVEN_GEN:
        shutil.rmtree(GEN, ignore_errors=True)


if __name__ == "__main__":
    from harness import main
    main("e2e-cri-clients", globals(), setup, teardown)

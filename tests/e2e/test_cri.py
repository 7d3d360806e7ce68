#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""End-to-end: enrichment through the CRI API (--crio-socket), as on a CRI-O node. CRI-O is not
packaged here, so the same CRI calls (ContainerStatus and PodSandboxStatus, verbose) are made
to containerd's CRI endpoint, pointed at by --crio-socket, with containerd's own API not given to
ctrwatch: a pod's containers under the kubelet's cgroupfs layout are then CRI's to name. A real
CRI-O has not been run against ctrwatch (docs/events.md). The pods are made as the kubelet
makes them, with tests/vm/guest/cri.py (grpcio: Debian's python3-grpcio). Root."""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
try:
    import grpc  # noqa: F401
except ImportError:
    # Debian's grpcio is its python's: run there when another python3 comes first in PATH
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    # a missing dependency fails the suite: a skip would read as a pass
    sys.exit("e2e-cri: grpcio is not installed (make deps installs python3-grpcio)")

sys.path.insert(0, HERE)
from harness import (Containerd, Ctrwatch, assert_impostor, cgroup2_dir, forge_cgroup, log,  # noqa: E402
                     line_container_id, nobodys_subtree, remove_cgroup_tree, wait_until)

GEN = os.path.join(REPO, "build", "e2e", "gen")
os.environ["CRI_GEN"] = GEN
sys.path.insert(0, os.path.join(REPO, "tests", "vm", "guest"))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))

PAUSE = "registry.k8s.io/pause:3.6"
IMAGE = "docker.io/library/busybox:ctrw-cri"
ctd = None
cri = None
digest = None  # the busybox image's id
watcher = None
made_kubepods = None  # whether /kubepods was ours to remove (setup decides)


CNI_PLUGINS = "/usr/lib/cni"  # Debian's containernetworking-plugins
CNI_SUBNET = "10.213.77.0/24"


def cni_bridge_name(d):
    return "ctrw%05d" % (zlib.crc32(d.encode()) % 100000)


def cni_network(d, cni):
    """A bridge network of our own for pods not on the node's: Debian's bridge, host-local and
    loopback plugins (linked into cni), the bridge given no address and nothing masqueraded (no
    route or firewall rule on the host), its leases under d. Its bridge is removed at cleanup
    (remove_cni_bridge)."""
    for plugin in ("bridge", "host-local", "loopback"):
        os.symlink(os.path.join(CNI_PLUGINS, plugin), os.path.join(cni, plugin))
    conf = {"cniVersion": "0.4.0", "name": "ctrw-pods", "type": "bridge",
            "bridge": cni_bridge_name(d), "isGateway": False, "ipMasq": False,
            "ipam": {"type": "host-local", "subnet": CNI_SUBNET,
                     "dataDir": os.path.join(d, "cni-leases")}}
    with open(os.path.join(cni, "10-ctrw.conf"), "w") as f:
        json.dump(conf, f)


def remove_cni_bridge(d):
    subprocess.run(["ip", "link", "del", cni_bridge_name(d)], stderr=subprocess.DEVNULL,
                   check=False)


def cri_containerd_config(d):
    """containerd with its CRI plugin on its own socket, the cgroupfs driver (no systemd here),
    and, where Debian's CNI plugins are, a bridge network (cni_network) for pods not on the
    node's network."""
    cni = os.path.join(d, "cni")
    os.makedirs(cni, exist_ok=True)
    if os.path.exists(os.path.join(CNI_PLUGINS, "bridge")):
        cni_network(d, cni)
    return f"""version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[debug]
  address = "{d}/debug.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{PAUSE}"
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni}"
    conf_dir = "{cni}"
"""


def config_digest(tar_path):
    """The image id (its config's digest) of an OCI layout tarball with one manifest: what a CRI
    runtime gives as image_ref for an image that was never pulled, so no repo digest."""
    with tarfile.open(tar_path) as t:
        index = json.load(t.extractfile("./index.json"))
        manifest = index["manifests"][0]["digest"].split(":", 1)[1]
        return json.load(t.extractfile(f"./blobs/sha256/{manifest}"))["config"]["digest"]


def start_cri_containerd(images=None):
    """A private containerd with its CRI plugin (cri_containerd_config), the pause and busybox
    images in k8s.io (images: a directory holding pause.tar and busybox.tar built elsewhere, as
    the VM guest has), and a CRI client once it answers. Returns (containerd, client, the busybox
    image's id: its config's digest)."""
    from cri import Cri
    ctd = Containerd()
    with open(ctd.config, "w") as f:
        f.write(cri_containerd_config(ctd.dir))
    ctd.start()
    if images:
        for tar in ("pause.tar", "busybox.tar"):
            ctd.ctr("images", "import", os.path.join(images, tar), namespace="k8s.io")
        digest = config_digest(os.path.join(images, "busybox.tar"))
    else:
        # a sandbox that stays up until StopPodSandbox, as pause does
        os.environ["IMAGE_CONFIG"] = '{"Env":["PATH=/bin"],"Cmd":["/bin/sleep","3600"]}'
        try:
            ctd.import_image(PAUSE, namespace="k8s.io")
        finally:
            del os.environ["IMAGE_CONFIG"]
        ctd.import_image(IMAGE, namespace="k8s.io")
        digest = config_digest(os.path.join(ctd.dir, "image.tar"))  # what import_image made
    client = Cri(f"unix://{ctd.sock}")
    wait_until(lambda: client.version().runtime_name == "containerd", what="containerd's CRI")
    return ctd, client, digest


def pod_cgroup(uid):
    return f"/kubepods/besteffort/pod{uid}"


def run_pod(name, uid, network=None):
    """A pod under the kubelet's cgroupfs layout (cgroup parent /kubepods/besteffort/pod<uid>),
    on the node's network unless network says POD."""
    import cri_pb2 as pb
    config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace="shop"),
        linux=pb.LinuxPodSandboxConfig(
            cgroup_parent=pod_cgroup(uid),
            security_context=pb.LinuxSandboxSecurityContext(
                namespace_options=pb.NamespaceOption(
                    network=pb.NODE if network is None else network, pid=pb.CONTAINER))))
    for k, v in (("io.kubernetes.pod.name", name), ("io.kubernetes.pod.namespace", "shop"),
                 ("io.kubernetes.pod.uid", uid)):
        config.labels[k] = v
    r = cri.call("RunPodSandbox", pb.RunPodSandboxRequest(config=config),
                 pb.RunPodSandboxResponse)
    return r.pod_sandbox_id, config


def run_to_removal(w, cid, what):
    """Starts cid, waits for its end and removes it; its four lines as w printed them."""
    cri.start(cid)
    cri.wait_exited(cid)
    cri.remove(cid)
    w.wait_for(cid, "container_remove", timeout=30)
    evs = w.for_container(cid)
    log(f"{what}:\n  " + "\n  ".join(map(str, evs)))
    assert [e["event"] for e in evs] == ["container_create", "container_start",
                                         "container_exit", "container_remove"], evs
    return evs


def test_a_pods_container_is_named_through_cri():
    """A pod's container, asked of the CRI runtime: its four events complete, with the
    container's name, image and digest, the kubelet's labels, and the pod's name, namespace and
    uid as the sandbox's PodSandboxStatus says them; the sandbox itself is a pause sandbox and
    prints nothing; the heartbeat says the CRI runtime answers.

    The sandbox is also the CRI container not known yet: containerd's CRI records a sandbox
    only once its pause process runs, after the start ctrwatch sees, so the first lookup says
    "not found" and only the lookup asked again (enricher.c, CRI_ATTEMPTS) finds the sandbox
    and hides it. Checked: with CRI_ATTEMPTS 1 the sandbox printed four lines, 4 runs of 4."""
    uid = str(uuid.uuid4())
    sandbox, config = run_pod("shop-web", uid)
    cid = None
    try:
        cid = cri.create_container(sandbox, config, "app", IMAGE,
                                   ["/bin/sh", "-c", "sleep 1; exit 3"])
        evs = run_to_removal(watcher, cid, "the CRI container's lines")
        for e in evs:
            c = e["container"]
            assert e["enrichment"] == "complete", e
            assert c["name"] == "app" and c["image"] == IMAGE, c
            # image_ref of an image never pulled: its id, from the imported tarball
            assert c["image_digest"] == digest, (c, digest)
            assert c["cgroup_path"] == f"{pod_cgroup(uid)}/{cid}", c
            assert e["pod"] == {"name": "shop-web", "namespace": "shop", "uid": uid,
                                "sandbox": False}, e
            assert c["labels"]["io.kubernetes.container.name"] == "app", c
            assert "namespace" not in c, c  # a CRI runtime has no containerd namespace
        assert evs[2]["exit"]["code"] == 3, evs[2]
    finally:
        cri.stop_pod(sandbox)
        cri.remove_pod(sandbox)
    wait_until(lambda: not os.path.isdir(cgroup2_dir(f"{pod_cgroup(uid)}/{sandbox}")),
               what="the sandbox's cgroup to go")
    assert watcher.for_container(sandbox) == [], watcher.for_container(sandbox)
    beats = wait_until(lambda: [e for e in watcher.events() if e["event"] == "ctrwatch_heartbeat"],
                       what="a heartbeat")
    assert beats[-1]["heartbeat"]["engines"]["crio"] == "up", beats[-1]
    assert beats[-1]["heartbeat"]["engines"]["containerd"] == "absent", beats[-1]
    # containerd's socket is absent: not installed, said at debug level only
    warnings = [line for line in watcher.stderr().splitlines()
                if "warning" in line and ("containerd" in line or "crio" in line)]
    assert not warnings, warnings


def test_a_cgroup_named_like_a_cri_container_is_not_that_container():
    """While a CRI container C runs, nobody makes .../kubepods/besteffort/pod<uid>/C in its own
    delegated subtree and runs a program in new namespaces there: the CRI runtime knows C, but
    its spec puts C's cgroup elsewhere, so the forged cgroup's events say "mismatch" and carry
    none of C's identity."""
    uid = str(uuid.uuid4())
    sandbox, config = run_pod("victim", uid)
    with nobodys_subtree() as delegated:
        try:
            cid = cri.create_container(sandbox, config, "app", IMAGE, ["/bin/sleep", "60"])
            cri.start(cid)
            watcher.wait_for(cid, "container_start", timeout=30)
            fake = f"{delegated}/app.slice/kubepods/besteffort/pod{uid}/{cid}"
            forge_cgroup(delegated, fake)
            assert_impostor(watcher, cid, fake, f"crio has container {cid[:12]} with its "
                            f"cgroup at {pod_cgroup(uid)}/{cid}")
            real = [e["event"] for e in watcher.for_container(cid)
                    if e["container"]["cgroup_path"] == f"{pod_cgroup(uid)}/{cid}"]
            assert real == ["container_create", "container_start"], real
        finally:
            cri.stop_pod(sandbox)
            cri.remove_pod(sandbox)


def test_a_cri_client_without_the_kubelets_habits_is_followed_by_the_runtimes_record():
    """A CRI client that is not the kubelet (a conformance suite, crictl) gives no cgroup
    parent and none of the kubelet's io.kubernetes.* labels: containerd runs the pod's
    sandbox and container at /k8s.io/<id>. ctrwatch, asking containerd's own API: the sandbox
    prints nothing (containerd labels it io.cri-containerd.kind=sandbox, wherever its cgroup
    is; before, every such pause sandbox printed a lifetime), and the container's four lines
    name its pod and itself from what containerd's CRI recorded in its spec annotations
    (before: no pod, and the id as its name)."""
    import cri_pb2 as pb
    w = Ctrwatch(ctd.dir, "cri-bare", "--docker-socket", "", "--podman-socket", "",
                 "--crio-socket", "", socket=ctd.sock).start()
    uid = str(uuid.uuid4())
    config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name="bare", uid=uid, namespace="suite"),
        linux=pb.LinuxPodSandboxConfig(security_context=pb.LinuxSandboxSecurityContext(
            namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER))))
    sandbox = cri.call("RunPodSandbox", pb.RunPodSandboxRequest(config=config),
                       pb.RunPodSandboxResponse).pod_sandbox_id
    try:
        ccfg = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name="probe"), image=pb.ImageSpec(image=IMAGE),
            command=["/bin/sh", "-c", "sleep 1; exit 6"],
            linux=pb.LinuxContainerConfig(security_context=pb.LinuxContainerSecurityContext(
                namespace_options=pb.NamespaceOption(network=pb.NODE, pid=pb.CONTAINER))))
        cid = cri.call("CreateContainer", pb.CreateContainerRequest(
            pod_sandbox_id=sandbox, config=ccfg, sandbox_config=config),
            pb.CreateContainerResponse).container_id
        evs = run_to_removal(w, cid, "a bare CRI client's container")
        for e in evs:
            assert e["container"]["cgroup_path"] == f"/k8s.io/{cid}", e
            assert e["container"]["name"] == "probe", e
            assert e["pod"]["name"] == "bare" and e["pod"]["namespace"] == "suite", e
            assert e["pod"]["uid"] == uid, e
        assert evs[2]["exit"]["code"] == 6, evs[2]
    finally:
        cri.stop_pod(sandbox)
        cri.remove_pod(sandbox)
        w.stop()
    sandbox_lines = [e for e in w.events() if e.get("container", {}).get("id") == sandbox]
    assert sandbox_lines == [], sandbox_lines


def test_a_pods_addresses_are_on_its_containers_lines():
    """A pod on a network of its own (the CNI bridge): its address, as PodSandboxStatus gives
    it, is on every line of its container, asked through the CRI (--crio-socket) and through
    containerd's own API (containerd's record has no address: its CRI plugin's PodSandboxStatus,
    on the same socket, is asked); its network namespace is declared the pod's, not the host's.
    A hostNetwork pod's container declares the host's network (the pod's NODE: its spec joins
    the sandbox's namespace by a path, which says nothing) and has no address of its own."""
    import cri_pb2 as pb
    assert os.path.exists(os.path.join(CNI_PLUGINS, "bridge")), \
        "Debian's containernetworking-plugins is not installed (make deps installs it)"
    import schema_check
    ws = {fmt: Ctrwatch(ctd.dir, f"cri-net-{fmt}", "--format", fmt, "--docker-socket", "",
                        "--podman-socket", "", "--crio-socket", "", socket=ctd.sock).start()
          for fmt in ("ndjson", "ecs", "ocsf")}
    w = ws["ndjson"]
    pods = []
    try:
        for name, mode in (("netpod", pb.POD), ("hostnet", pb.NODE)):
            uid = str(uuid.uuid4())
            sandbox, config = run_pod(name, uid, network=mode)
            pods.append(sandbox)
            st = cri.call("PodSandboxStatus", pb.PodSandboxStatusRequest(pod_sandbox_id=sandbox),
                          pb.PodSandboxStatusResponse).status
            want = [st.network.ip] if st.network.ip else []
            if mode == pb.POD:
                assert want and want[0].startswith("10.213.77."), st.network
            else:
                assert not want, st.network
            cid = cri.create_container(sandbox, config, "app", IMAGE,
                                       ["/bin/sh", "-c", "sleep 1; exit 0"], network=mode)
            run_to_removal(watcher, cid, f"{name} through the CRI")
            w.wait_for(cid, "container_remove", timeout=30)
            for who, lines in (("crio", watcher.for_container(cid)),
                               ("containerd", w.for_container(cid))):
                assert len(lines) == 4, (who, lines)
                for e in lines:
                    c = e["container"]
                    assert e["enrichment"] == "complete", (who, e)
                    assert c.get("ips", []) == want, (who, c)
                    host = c["declared"].get("host_namespaces", [])
                    assert ("net" in host) == (mode == pb.NODE), (who, c["declared"])
                    assert "undeclared" not in e.get("process", {}).get("posture", {}), (who, e)
            # ECS: related.ip; OCSF: unmapped.ctrwatch.ips; each line valid by its schema
            ecs, ocsf = (wait_until(lambda fmt=fmt: (lambda x: x if len(x) == 4 else None)(
                [e for e in ws[fmt].events() if line_container_id(fmt, e) == cid]),
                what=f"{fmt}'s four lines") for fmt in ("ecs", "ocsf"))
            for e in ecs:
                assert e.get("related", {}).get("ip", []) == want, e
            for e in ocsf:
                assert e["unmapped"]["ctrwatch"].get("ips", []) == want, e
    finally:
        for sandbox in pods:
            cri.stop_pod(sandbox)
            cri.remove_pod(sandbox)
        for x in ws.values():
            x.stop()
    for fmt, checker in (("ecs", schema_check.Ecs()), ("ocsf", schema_check.Ocsf())):
        with open(ws[fmt].out_path) as f:
            text = f.read()
        problems = schema_check.check_lines(checker, text)
        assert not problems, (fmt, problems[:5])


def setup():
    global ctd, cri, watcher, made_kubepods, digest
    made_kubepods = not os.path.isdir(cgroup2_dir("/kubepods"))  # else the node's own
    os.makedirs(GEN, exist_ok=True)
    subprocess.run(["protoc", f"--python_out={GEN}", "-Iproto", "proto/cri.proto"], cwd=REPO,
                   check=True)
    ctd, cri, digest = start_cri_containerd()
    watcher = Ctrwatch(ctd.dir, "cri", "--crio-socket", ctd.sock, "--heartbeat", "1s",
                       "--docker-socket", "", "--podman-socket", "",
                       socket=os.path.join(ctd.dir, "no-containerd.sock")).start()


def teardown():
    if watcher:
        watcher.stop()
    if ctd:
        ctd.cleanup()
        remove_cni_bridge(ctd.dir)
    if made_kubepods:
        remove_cgroup_tree("/kubepods")
    shutil.rmtree(GEN, ignore_errors=True)


if __name__ == "__main__":
    from harness import main
    main("e2e-cri", globals(), setup, teardown)

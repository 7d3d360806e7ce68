# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A small CRI client for the VM tests: drives containerd's CRI plugin the way the kubelet does
(RunPodSandbox, CreateContainer, StartContainer, ExecSync, StopContainer, RemoveContainer,
StopPodSandbox, RemovePodSandbox). Messages come from proto/cri.proto (protoc --python_out at
`make vmtest` time); calls are grpcio's generic unary calls."""

import os
import sys
import time
import uuid

import grpc

sys.path.insert(0, os.environ.get("CRI_GEN", "/repo/build/vm/gen"))
import cri_pb2 as pb  # noqa: E402

SOCKET = "unix:///run/containerd/containerd.sock"
SERVICE = "/runtime.v1.RuntimeService/"


class Cri:
    def __init__(self, socket=SOCKET):
        self.channel = grpc.insecure_channel(socket)

    def call(self, method, request, reply_type, timeout=120):
        fn = self.channel.unary_unary(SERVICE + method,
                                      request_serializer=type(request).SerializeToString,
                                      response_deserializer=reply_type.FromString)
        return fn(request, timeout=timeout)

    def version(self):
        return self.call("Version", pb.VersionRequest(version="v1"), pb.VersionResponse)

    def run_pod(self, name, namespace="shop", uid=None, handler="", log_directory="",
                host_pid=False, privileged=False):
        """A pod as the kubelet's systemd driver asks for it: its cgroup parent is the pod's
        slice, kubepods-besteffort-pod<uid with underscores>.slice. Host network (no CNI here).
        Returns (sandbox id, sandbox config, uid)."""
        uid = uid or str(uuid.uuid4())
        config = pb.PodSandboxConfig(
            # no hostname: a pod on the node's network shares its UTS namespace too
            metadata=pb.PodSandboxMetadata(name=name, uid=uid, namespace=namespace),
            log_directory=log_directory,
            linux=pb.LinuxPodSandboxConfig(
                cgroup_parent=f"kubepods-besteffort-pod{uid.replace('-', '_')}.slice",
                security_context=pb.LinuxSandboxSecurityContext(
                    privileged=privileged,  # a privileged container needs a privileged pod
                    namespace_options=pb.NamespaceOption(
                        network=pb.NODE, pid=pb.NODE if host_pid else pb.CONTAINER))))
        config.labels["app"] = name
        # what the kubelet puts on every sandbox (kuberuntime's labels)
        config.labels["io.kubernetes.pod.name"] = name
        config.labels["io.kubernetes.pod.namespace"] = namespace
        config.labels["io.kubernetes.pod.uid"] = uid
        r = self.call("RunPodSandbox", pb.RunPodSandboxRequest(config=config,
                                                               runtime_handler=handler),
                      pb.RunPodSandboxResponse)
        return r.pod_sandbox_id, config, uid

    def create_container(self, sandbox_id, sandbox_config, name, image, command,
                         memory_limit=0, args=(), mounts=(), security=None, log_path="",
                         attempt=0, host_pid=False, network=None):
        """mounts: (host path, container path, read-only); security: a
        LinuxContainerSecurityContext for what a pod spec's securityContext says (its
        namespace options are set here, as the kubelet sets them)."""
        security = security or pb.LinuxContainerSecurityContext()
        security.namespace_options.CopyFrom(pb.NamespaceOption(
            network=pb.NODE if network is None else network,
            pid=pb.NODE if host_pid else pb.CONTAINER))
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=name, attempt=attempt),
            image=pb.ImageSpec(image=image),
            command=command, args=args, log_path=log_path,
            mounts=[pb.Mount(host_path=h, container_path=c, readonly=ro) for h, c, ro in mounts],
            linux=pb.LinuxContainerConfig(
                resources=pb.LinuxContainerResources(memory_limit_in_bytes=memory_limit),
                security_context=security))
        # the kubelet labels each container with its pod and its name; containerd adds only
        # io.cri-containerd.kind
        meta = sandbox_config.metadata
        config.labels["io.kubernetes.pod.name"] = meta.name
        config.labels["io.kubernetes.pod.namespace"] = meta.namespace
        config.labels["io.kubernetes.pod.uid"] = meta.uid
        config.labels["io.kubernetes.container.name"] = name
        r = self.call("CreateContainer",
                      pb.CreateContainerRequest(pod_sandbox_id=sandbox_id, config=config,
                                                sandbox_config=sandbox_config),
                      pb.CreateContainerResponse)
        return r.container_id

    def start(self, cid):
        self.call("StartContainer", pb.StartContainerRequest(container_id=cid),
                  pb.StartContainerResponse)

    def status(self, cid):
        return self.call("ContainerStatus", pb.ContainerStatusRequest(container_id=cid),
                         pb.ContainerStatusResponse).status

    def wait_exited(self, cid, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            s = self.status(cid)
            if s.state == 2:  # CONTAINER_EXITED
                return s
            time.sleep(0.2)
        raise AssertionError(f"container {cid} did not exit")

    def exec_sync(self, cid, cmd, timeout=60):
        return self.call("ExecSync", pb.ExecSyncRequest(container_id=cid, cmd=cmd,
                                                        timeout=timeout),
                         pb.ExecSyncResponse, timeout=timeout + 30)

    def stop(self, cid, timeout=0):
        self.call("StopContainer", pb.StopContainerRequest(container_id=cid, timeout=timeout),
                  pb.StopContainerResponse)

    def remove(self, cid):
        self.call("RemoveContainer", pb.RemoveContainerRequest(container_id=cid),
                  pb.RemoveContainerResponse)

    def stop_pod(self, sandbox_id):
        self.call("StopPodSandbox", pb.StopPodSandboxRequest(pod_sandbox_id=sandbox_id),
                  pb.StopPodSandboxResponse)

    def remove_pod(self, sandbox_id):
        self.call("RemovePodSandbox", pb.RemovePodSandboxRequest(pod_sandbox_id=sandbox_id),
                  pb.RemovePodSandboxResponse)

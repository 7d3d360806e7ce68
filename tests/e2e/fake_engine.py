#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A stand-in for a rootless Podman's API service, as the user who runs it could write one:
serves the Docker-compatible GETs ctrwatch makes (the list filtered by id, /info, an image) on
a unix socket, from what it is told, or accepts and never answers (--stall), or answers each
request after --delay SECONDS, or leaves only its first container list unanswered
(--stall-first-list: a socket-activated service whose start outlasts the call that woke it).
--log FILE gets each request's target, one a line, as it arrives.
usage: fake_engine.py SOCKET [--stall|--stall-first-list] [--delay SECONDS] [--log FILE]
                      [--container ID NAME IMAGE]..."""

import json
import os
import socket
import sys
import threading
import time
import urllib.parse


def request_target(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    return data.split(b" ")[1].decode()


def answer(conn, target, containers, delay):
    url = urllib.parse.urlparse(target)
    status, body = 404, {"message": "no such thing"}
    if url.path == "/info":
        status, body = 200, {"CgroupDriver": "systemd", "ServerVersion": "5.4.2"}
    elif url.path == "/version":
        status, body = 200, {"Version": "5.4.2"}
    elif url.path == "/containers/json":
        wanted = json.loads(urllib.parse.parse_qs(url.query)["filters"][0])["id"]
        status, body = 200, [c for c in containers if c["Id"] in wanted]
    elif url.path.startswith("/images/"):
        image = urllib.parse.unquote(url.path[len("/images/"):-len("/json")])
        for c in containers:
            if c["ImageID"] == image:
                status, body = 200, {"Id": image, "RepoDigests": [f"{c['Image']}@{image}"]}
    raw = json.dumps(body).encode()
    time.sleep(delay)
    conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                 b"\r\n%s" % (status, len(raw), raw))


def main():
    path, args = sys.argv[1], sys.argv[2:]
    stall = "--stall" in args
    stall_first_list = "--stall-first-list" in args
    delay = 0.0
    log = None
    if "--log" in args:
        i = args.index("--log")
        log = open(args[i + 1], "a", buffering=1)
        del args[i:i + 2]
    if "--delay" in args:
        i = args.index("--delay")
        delay = float(args[i + 1])
        del args[i:i + 2]
    containers = []
    while "--container" in args:
        i = args.index("--container")
        cid, name, image = args[i + 1:i + 4]
        containers.append({"Id": cid, "Names": [f"/{name}"], "Image": image,
                           "ImageID": "sha256:" + "ab" * 32, "Labels": {"owner": "me"},
                           "Created": int(time.time())})
        del args[i:i + 4]
    if os.path.exists(path):
        os.unlink(path)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    held = []
    lists_seen = 0
    lock = threading.Lock()

    def serve(conn):
        nonlocal lists_seen
        target = request_target(conn)
        if target is None:
            conn.close()
            return
        with lock:
            if log:
                log.write(target + "\n")
            first_list = target.startswith("/containers/json") and lists_seen == 0
            lists_seen += target.startswith("/containers/json")
            if stall or (stall_first_list and first_list):
                held.append(conn)  # open, never answered
                return
        answer(conn, target, containers, delay)
        conn.close()

    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()

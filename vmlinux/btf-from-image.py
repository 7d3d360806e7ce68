#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The BTF a kernel image carries (its .BTF section, loaded with the kernel), cut out of an
uncompressed image such as Debian's arm64 /boot/vmlinuz, which is a raw Image, not an ELF file
that bpftool could read. The blob starts with BTF's header: magic 0xeB9F, version 1, flags 0,
a 24-byte header, types first, then strings; the one whose sections are as large as a whole
kernel's is it. usage: btf-from-image.py IMAGE OUT.btf"""

import struct
import sys

HEADER = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"  # magic, version 1, flags 0, hdr_len 24


def find_btf(data):
    at = data.find(HEADER)
    while at >= 0:
        type_off, type_len, str_off, str_len = struct.unpack_from("<IIII", data, at + 8)
        # a kernel's: types first, then strings, megabytes of them
        if type_off == 0 and str_off == type_len and type_len > 1 << 20 and str_len > 1 << 17:
            return data[at:at + 24 + str_off + str_len]
        at = data.find(HEADER, at + 1)
    raise SystemExit(f"{sys.argv[1]}: no kernel BTF found (a compressed image? gunzip it first)")


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        blob = find_btf(f.read())
    with open(sys.argv[2], "wb") as f:
        f.write(blob)

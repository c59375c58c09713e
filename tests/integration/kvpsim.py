# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers of the KVP proof tests (42-45): a client of hvsim's
control socket (one JSON object per line, see sim/control.h), a parser of
pool files (PROTOCOL.md section 5.4) and a model of the kernel's string
conversions between the host's UTF-16 and the daemon's UTF-8 (section 5.2,
lib/hvutil/proto/wire.c), so a test can predict what a correct daemon
answers.  Not a test itself: the runner only runs [0-9]*.sh."""

import json
import os
import socket
import time

KEY_SIZE = 512
VALUE_SIZE = 2048
RECORD = KEY_SIZE + VALUE_SIZE

# What the host wire carries: 256 and 1024 UTF-16 units, the NUL included.
HOST_KEY_UNITS = 255
HOST_VALUE_UNITS = 1023
# The kernel's UTF-8 limits towards the daemon (bytes, without the NUL) and
# its UTF-16 limits towards the host in ENUMERATE and GET answers.
KERNEL_KEY_BYTES = KEY_SIZE - 1
KERNEL_VALUE_BYTES = VALUE_SIZE - 1
REPLY_KEY_UNITS = KEY_SIZE // 2 - 2
REPLY_VALUE_UNITS = VALUE_SIZE // 2 - 2


class HostError(Exception):
    """The control socket refused or could not carry out a request."""


class Host:
    """One connection to a world's control socket; one request at a time."""

    def __init__(self, path, connect_timeout=10.0):
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.file = self.sock.makefile("rwb")

    def close(self):
        self.file.close()
        self.sock.close()

    def request(self, **req):
        req["v"] = 1
        self.file.write(json.dumps(req).encode() + b"\n")
        self.file.flush()
        line = self.file.readline()
        if not line:
            raise HostError("the control socket closed")
        return json.loads(line)

    def kvp(self, op, pool, **kw):
        """A KVP request; returns the answer (a dict with "status") or
        raises HostError when nothing was answered."""
        ans = self.request(cmd="kvp", op=op, pool=pool, **kw)
        if not ans.get("ok"):
            raise HostError("kvp %s pool %s: %s" % (op, pool, ans.get("error")))
        return ans

    def status(self, device="kvp"):
        ans = self.request(cmd="status")
        for d in ans.get("devices", []):
            if d.get("device") == device:
                return d
        raise HostError("no %s device in status" % device)

    def wait_registered(self, timeout=20.0):
        ans = self.request(cmd="wait-registered", device="kvp", timeout_ms=int(timeout * 1000))
        return bool(ans.get("ok"))


# ---- the kernel's conversions ------------------------------------------------

def units(s):
    """UTF-16 code units of s."""
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


def to_daemon(s, limit):
    """utf16s_to_utf8s as the kernel calls it: at most `limit` bytes; a
    character that does not fit is dropped and a shorter one may follow."""
    out = bytearray()
    for c in s:
        if len(out) >= limit:
            break
        b = c.encode("utf-8")
        if len(b) <= limit - len(out):
            out += b
    return out.decode("utf-8")


def to_host(s, limit):
    """utf8s_to_utf16s towards the host: at most `limit` units; a surrogate
    pair that does not fit ends the string."""
    out, n = [], 0
    for c in s:
        if n >= limit:
            break
        u = 2 if ord(c) > 0xFFFF else 1
        if u > limit - n:
            break
        out.append(c)
        n += u
    return "".join(out)


def daemon_key(host_key):
    return to_daemon(host_key, KERNEL_KEY_BYTES)


def daemon_value(host_value):
    return to_daemon(host_value, KERNEL_VALUE_BYTES)


def reply_item(key, value):
    """What the host reads back for a stored (key, value)."""
    return to_host(key, REPLY_KEY_UNITS), to_host(value, REPLY_VALUE_UNITS)


# ---- pool files ------------------------------------------------------------

class PoolError(Exception):
    pass


def read_pool(path, require_zero_tails=False):
    """Records of a pool file as [(key, value)], each string up to its
    first NUL.  Raises PoolError when the file is not a whole number of
    records, a field has no NUL, a string is not UTF-8, or (when asked)
    bytes after a NUL are not zero."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return []
    if len(data) % RECORD:
        raise PoolError("%s: %d bytes is not a whole number of %d-byte records"
                        % (path, len(data), RECORD))
    out = []
    for i in range(len(data) // RECORD):
        rec = data[i * RECORD:(i + 1) * RECORD]
        fields = []
        for name, raw in (("key", rec[:KEY_SIZE]), ("value", rec[KEY_SIZE:])):
            nul = raw.find(b"\0")
            if nul < 0:
                raise PoolError("%s record %d: the %s has no NUL" % (path, i, name))
            if require_zero_tails and raw[nul:].strip(b"\0"):
                raise PoolError("%s record %d: bytes after the %s's NUL are not zero"
                                % (path, i, name))
            try:
                fields.append(raw[:nul].decode("utf-8"))
            except UnicodeDecodeError as e:
                raise PoolError("%s record %d: the %s is not UTF-8: %s" % (path, i, name, e))
        out.append(tuple(fields))
    return out


def pool_path(state, pool):
    return os.path.join(state, ".kvp_pool_%d" % pool)

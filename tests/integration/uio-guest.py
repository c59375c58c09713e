#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A file-copy guest over uio_hv_generic, written from PROTOCOL.md alone
(§1.1-§1.3 rings and packets, §2 IC framing and negotiation, §7 file copy,
§8 uio), to check hvsim's uio world from the guest's side.  Runs inside an
hvsim world.

  uio-guest.py serve LOG [--ignore OP] [--exit-on OP] [--corrupt-on OP]
      Find the fcopy device in sysfs, open /dev/uioN, map the ring file
      and answer the host until the device is rescinded (a read fails with
      EIO, exit 0).  Files are written where START says.  One line per event
      goes to LOG.  --ignore OP: never answer OP (start, write, complete,
      cancel); --exit-on OP: exit without answering; --corrupt-on OP:
      corrupt the TX ring instead of answering.
  uio-guest.py probe HVSIM CONTROL SRC DEST
      Check the kernel's rules on /dev/uioN and the host's packets, print
      one line per finding: read and write sizes, O_NONBLOCK, the masked
      RX ring (no interrupt, data waits), the descriptor and trailer of the
      host's packets, then serve a copy of SRC to DEST that `hvsim host
      fcopy send` (run by the probe) makes.
"""
import errno
import fcntl
import mmap
import os
import select
import struct
import subprocess
import sys
import time

FCOPY_INSTANCE = "eb765408-105f-49b6-b4aa-c123b64d17d4"
DEV_DIR = "/sys/bus/vmbus/devices/" + FCOPY_INSTANCE
HDR = 4096
PKT_INBAND = 6
ICMSG = 28  # pipe header + icmsg header
S_OK, E_FAIL, ALREADY_EXISTS = 0, 0x80004005, 0x80070050
OPS = ("start", "write", "complete", "cancel")


class Ring:
    """One direction: header page, then the data area (§1.1)."""

    def __init__(self, mm, off, size):
        self.mm, self.off, self.dsize = mm, off, size - HDR

    def get(self, field):
        return struct.unpack_from("<I", self.mm, self.off + field)[0]

    def put(self, field, v):
        struct.pack_into("<I", self.mm, self.off + field, v)

    def used(self):
        w, r = self.get(0), self.get(4)
        return w - r if w >= r else self.dsize - (r - w)

    def copy_out(self, idx, n):
        out = bytearray()
        while n:
            k = min(n, self.dsize - idx)
            base = self.off + HDR + idx
            out += self.mm[base:base + k]
            idx, n = (idx + k) % self.dsize, n - k
        return bytes(out)

    def copy_in(self, idx, data):
        while data:
            k = min(len(data), self.dsize - idx)
            base = self.off + HDR + idx
            self.mm[base:base + k] = data[:k]
            idx, data = (idx + k) % self.dsize, data[k:]

    def recv(self):
        """(type, offset8, flags, trans_id, payload, start index) or None."""
        used, r = self.used(), self.get(4)
        if used == 0:
            return None
        if used < 24:
            raise RuntimeError("ring holds %d bytes, less than a packet" % used)
        typ, off8, len8, flags, tid = struct.unpack("<HHHHQ", self.copy_out(r, 16))
        if off8 < 2 or off8 > len8 or len8 * 8 + 8 > used:
            raise RuntimeError("bad descriptor: offset8 %d len8 %d used %d" % (off8, len8, used))
        payload = self.copy_out((r + off8 * 8) % self.dsize, (len8 - off8) * 8)
        trailer = struct.unpack("<Q", self.copy_out((r + len8 * 8) % self.dsize, 8))[0]
        self.put(4, (r + len8 * 8 + 8) % self.dsize)
        return typ, off8, flags, tid, payload, trailer, r

    def send(self, tid, payload):
        pad = (-len(payload)) % 8
        total = 16 + len(payload) + pad + 8
        w = self.get(0)
        if self.dsize - self.used() <= total:
            raise RuntimeError("TX ring full")
        pkt = struct.pack("<HHHHQ", PKT_INBAND, 2, (16 + len(payload) + pad) // 8, 0, tid)
        pkt += payload + b"\0" * pad + struct.pack("<Q", w << 32)
        self.copy_in(w, pkt)
        self.put(0, (w + total) % self.dsize)


class Guest:
    def __init__(self, log=None):
        self.log_file = open(log, "a", buffering=1) if log else None
        uio = sorted(os.listdir(DEV_DIR + "/uio"))[0]
        chan = sorted(os.listdir(DEV_DIR + "/channels"))[0]
        ring_file = "%s/channels/%s/ring" % (DEV_DIR, chan)
        self.ring_size = os.stat(ring_file).st_size // 2
        self.fd = os.open("/dev/" + uio, os.O_RDWR)
        rfd = os.open(ring_file, os.O_RDWR)
        self.mm = mmap.mmap(rfd, 2 * self.ring_size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        os.close(rfd)
        self.tx = Ring(self.mm, 0, self.ring_size)
        self.rx = Ring(self.mm, self.ring_size, self.ring_size)
        self.target = None
        self.log("open %s ring %d features %d/%d" % (uio, self.ring_size, self.tx.get(64), self.rx.get(64)))

    def log(self, line):
        if self.log_file:
            self.log_file.write(line + "\n")

    def signal(self, v=1):
        os.write(self.fd, struct.pack("<i", v))

    def wait(self, timeout=None):
        """Block for an event: the counter, or None on timeout."""
        if timeout is not None:
            if not select.select([self.fd], [], [], timeout)[0]:
                return None
        return struct.unpack("<i", os.read(self.fd, 4))[0]

    # --- IC messages (§2, §7) ---

    def negotiate(self, p):
        fc, mc = struct.unpack_from("<HH", p, ICMSG)
        vers = [struct.unpack_from("<HH", p, ICMSG + 8 + 4 * i) for i in range(fc + mc)]
        fw = (3, 0) if (3, 0) in vers[:fc] else None
        srv = (1, 1) if (1, 1) in vers[fc:] else None
        struct.pack_into("<H", p, 18, 0x10)
        if fw and srv:
            struct.pack_into("<HH", p, ICMSG, 1, 1)
            struct.pack_into("<HHHH", p, ICMSG + 8, fw[0], fw[1], srv[0], srv[1])
            self.log("negotiate offered %s chose 3.0 1.1" % " ".join("%d.%d" % v for v in vers))
            return S_OK
        struct.pack_into("<HH", p, ICMSG, 0, 0)
        self.log("negotiate failed")
        return E_FAIL

    @staticmethod
    def name(p, off):
        raw = bytes(p[off:off + 520]).decode("utf-16-le")
        return raw.split("\0", 1)[0]

    def fcopy(self, op, p):
        if op == 0:
            fname, path = self.name(p, ICMSG + 36), self.name(p, ICMSG + 556)
            flags, size = struct.unpack_from("<IQ", p, ICMSG + 1076)
            self.log("start %s %s flags %d size %d" % (path, fname, flags, size))
            target = path.rstrip("/") + "/" + fname
            if os.path.exists(target) and not flags & 1:
                return ALREADY_EXISTS
            if not os.path.isdir(path):
                if not flags & 2:
                    return E_FAIL
                os.makedirs(path, 0o755, exist_ok=True)
            self.target = target
            self.out = open(target, "wb")
            return S_OK
        if op == 1:
            offset, size = struct.unpack_from("<QI", p, ICMSG + 40)
            self.log("write %d %d" % (offset, size))
            if size > 6144 or not self.target:
                return E_FAIL
            self.out.seek(offset)
            self.out.write(bytes(p[ICMSG + 52:ICMSG + 52 + size]))
            return S_OK
        if op == 2:
            self.log("complete")
            if self.target:
                self.out.close()
                self.target = None
            return S_OK
        if op == 3:
            self.log("cancel")
            if self.target:
                self.out.close()
                os.unlink(self.target)
                self.target = None
            return S_OK
        return E_FAIL

    def answer(self, pkt, opts):
        """Handle one host packet; True if a reply went on TX."""
        typ, _, _, tid, payload, _, _ = pkt
        p = bytearray(payload)
        msgtype = struct.unpack_from("<H", p, 12)[0]
        if msgtype == 0:
            status = self.negotiate(p)
        elif msgtype == 7:
            op = struct.unpack_from("<I", p, ICMSG)[0]
            name = OPS[op] if op < len(OPS) else str(op)
            if name == opts.get("exit-on"):
                self.log("exit on " + name)
                sys.exit(0)
            if name == opts.get("corrupt-on"):
                self.log("corrupt on " + name)
                self.tx.put(0, self.tx.dsize + 8)
                return True
            status = self.fcopy(op, p)
            if name == opts.get("ignore"):
                self.log("ignored " + name)
                return False
        else:
            status = E_FAIL
        struct.pack_into("<I", p, 20, status)
        p[25] = 5  # TRANSACTION | RESPONSE
        # trans_id all-ones, as hv_fcopy_uio_daemon answers
        self.tx.send(0xFFFFFFFFFFFFFFFF, bytes(p))
        return True

    def drain(self, opts):
        while True:
            pkt = self.rx.recv()
            if pkt is None:
                return
            self.answer(pkt, opts)


def serve(args):
    log = args[0]
    opts = {}
    for i in range(1, len(args) - 1, 2):
        opts[args[i].lstrip("-")] = args[i + 1]
    g = Guest(log)
    g.rx.put(8, 0)  # unmask in shared memory, as the upstream daemon does
    while True:
        try:
            g.wait()
        except OSError as e:
            g.log("read failed: %s" % errno.errorcode.get(e.errno, e.errno))
            return 0 if e.errno == errno.EIO else 1
        g.drain(opts)
        try:
            g.signal(1)  # unmask and tell the host to read TX
        except OSError as e:
            g.log("write failed: %s" % errno.errorcode.get(e.errno, e.errno))
            return 0 if e.errno == errno.EIO else 1
        g.drain(opts)  # what came while masked


def expect_errno(what, err, fn):
    try:
        fn()
        print("%s: accepted" % what)
    except OSError as e:
        print("%s: %s" % (what, errno.errorcode.get(e.errno, e.errno) if e.errno != err else "ok"))


def probe(args):
    hvsim, control, src, dest = args
    g = Guest()
    print("ring %d, feature_bits %d/%d" % (g.ring_size, g.tx.get(64), g.rx.get(64)))
    # The NEGOTIATE sent at open interrupted us (the RX mask starts at 0).
    count = g.wait(5)
    print("event after open: %s" % ("none" if count is None else "yes"))
    print("rx mask after the interrupt: %d" % g.rx.get(8))
    expect_errno("read of 8 bytes", errno.EINVAL, lambda: os.read(g.fd, 8))
    expect_errno("write of 3 bytes", errno.EINVAL, lambda: os.write(g.fd, b"\1\0\0"))
    expect_errno("write of 2", errno.EINVAL, lambda: g.signal(2))
    fl = fcntl.fcntl(g.fd, fcntl.F_GETFL)
    fcntl.fcntl(g.fd, fcntl.F_SETFL, fl | os.O_NONBLOCK)
    expect_errno("nonblocking read with nothing new", errno.EAGAIN, lambda: os.read(g.fd, 4))
    fcntl.fcntl(g.fd, fcntl.F_SETFL, fl)
    pkt = g.rx.recv()
    typ, off8, flags, tid, payload, trailer, start = pkt
    print("negotiate packet: type %d offset8 %d flags %d trailer %s" %
          (typ, off8, flags, "ok" if trailer == start << 32 else "0x%x" % trailer))
    g.answer(pkt, {})
    g.signal(1)
    print("rx mask after writing 1: %d" % g.rx.get(8))

    # Masked: the host's next packet arrives without an interrupt.
    g.signal(0)
    print("rx mask after writing 0: %d" % g.rx.get(8))
    host = subprocess.Popen([hvsim, "host", "--control", control, "fcopy", "send", "--overwrite", src, dest],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 10
    while g.rx.used() == 0 and time.time() < deadline:
        time.sleep(0.02)
    print("masked: packet waiting %s, event %s" %
          ("yes" if g.rx.used() else "no", "none" if g.wait(0.3) is None else "yes"))
    # Unmask, then look again (§1.3): the START is there; serve the copy.
    g.signal(1)
    ops = []
    while host.poll() is None or g.rx.used():
        pkt = g.rx.recv()
        if pkt is None:
            g.wait(0.2)
            continue
        p = pkt[4]
        ops.append(OPS[struct.unpack_from("<I", p, ICMSG)[0]])
        if pkt[3] >> 32:
            print("trans_id 0x%x is not a small host id" % pkt[3])
        g.answer(pkt, {})
        g.signal(1)
    out = host.communicate()[0]
    runs = []
    for op in ops:
        if runs and runs[-1][0] == op:
            runs[-1][1] += 1
        else:
            runs.append([op, 1])
    print("host packets: %s" % " ".join("%s%s" % (op, "x%d" % n if n > 1 else "") for op, n in runs))
    print("host exit %d: %s" % (host.returncode, out.splitlines()[-1] if out else ""))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "probe"):
        print(__doc__, file=sys.stderr)
        return 2
    return (serve if sys.argv[1] == "serve" else probe)(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())

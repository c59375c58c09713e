#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crash driver of 43-kvpd-crash.sh.

The host (this program, through hvsim's control socket) runs SET and
DELETE operations with long values on pools 0, 1 and 3, some GETs and full
enumerations, while a killer thread sends SIGKILL to the KVP daemon at
random moments (seeded delays; sometimes right after it starts, while it
may be finishing an interrupted change) and starts it again in the world.

The model holds every operation the host was told succeeded (HV_S_OK).  An
operation in flight when the daemon died is answered HV_E_FAIL by the
kernel; it may or may not have been applied, so the pool is then read back
through the host and must be exactly the model before or after it.  After
every restart, and at the end, every pool is enumerated through the host
and parsed from its file: each file a whole number of records, every
record NUL-terminated UTF-8 (with hv-kvpd, zeros after the NULs), and both
exactly the model.  Refused operations (DELETE or GET of a missing key
answered HV_S_CONT, SET to pool 5 answered HV_E_FAIL) must leave no trace.

Exit 0 when all held, 1 with the seed on the first violation.
"""

import argparse
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import kvpsim  # noqa: E402

POOLS = (0, 1, 3)
THREE = "日本語中文한국✓€☃"
READY = ("READY", "HOSTMSG_RECEIVED", "USERSPACE_REQ", "USERSPACE_RECV")


class Violation(Exception):
    pass


class Daemon:
    """The daemon in the world, started with nsenter (which execs it: the
    pid is the daemon's)."""

    def __init__(self, args):
        self.args = args
        self.proc = None
        self.log = open(args.log, "ab")
        self.starts = 0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        assert not self.alive(), "two daemons"
        self.proc = subprocess.Popen(
            ["nsenter", "-t", str(self.args.world_pid), "-m", "--"] + self.args.daemon,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        self.starts += 1
        with open(self.args.pidfile, "w") as f:
            f.write("%d\n" % self.proc.pid)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def wait_registered(self, host, timeout=20.0):
        """Until the device is open by this very process and registered
        (a release of the previous one may still be on its way)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # e.g. EBUSY while the old opener was released
            d = host.status()
            if d.get("open") and d.get("opener_pid") == self.proc.pid and d.get("state") in READY:
                return True
            time.sleep(0.002)
        raise Violation("the daemon (pid %d) did not register in %.0f s" % (self.proc.pid, timeout))


class Killer(threading.Thread):
    def __init__(self, args, daemon, phase):
        super().__init__(daemon=True)
        self.args = args
        self.d = daemon
        self.phase = phase  # the main thread's current activity
        self.rng = random.Random(args.seed * 7919 + 1)
        self.stop = threading.Event()
        self.generation = 0  # kills so far
        self.by_phase = {}
        self.early = 0
        self.failed_starts = 0
        self.error = None
        self.host = kvpsim.Host(args.control)

    def up(self):
        if self.d.alive():
            return  # the first one, started before the killer
        while True:
            self.d.start()
            if self.d.wait_registered(self.host):
                return
            self.failed_starts += 1
            time.sleep(0.01)

    def run(self):
        try:
            lo, hi = self.args.kill_ms
            while not self.stop.is_set():
                if not self.d.alive() and self.rng.random() < 0.1:
                    # Right after the start: before or during registration,
                    # maybe while an interrupted change is being finished.
                    self.d.start()
                    time.sleep(self.rng.uniform(0, 0.02))
                    self.early += 1
                else:
                    self.up()
                    if self.stop.wait(self.rng.uniform(lo, hi) / 1000.0):
                        break
                phase = self.phase[0]
                self.d.kill()
                self.by_phase[phase] = self.by_phase.get(phase, 0) + 1
                self.generation += 1
            self.up()  # leave a daemon serving for the final check
        except Exception as e:  # reported by the main thread
            self.error = e


class Driver:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.host = kvpsim.Host(args.control)
        self.model = {p: [] for p in POOLS}
        self.phase = ["op"]
        self.serial = 0
        self.stats = dict(ops=0, acked=0, in_flight_applied=0, in_flight_lost=0, refused=0,
                          enum_retries=0, verifications=0)

    # -- host operations ------------------------------------------------------

    def enumerate(self, pool):
        """A whole enumeration through the host; retried when a kill cut it."""
        prev = self.phase[0]
        self.phase[0] = "enumerate"
        try:
            while True:
                a = self.host.kvp("enumerate", pool)
                if a["status"] == "HV_S_CONT":
                    return [[it["key"], it["value"]] for it in a["items"]]
                if a["status"] != "HV_E_FAIL":
                    raise Violation("enumeration of pool %d ended with %s" % (pool, a["status"]))
                self.stats["enum_retries"] += 1
        finally:
            self.phase[0] = prev

    # -- checks -------------------------------------------------------------------

    def expect_pool(self, pool, got, what):
        want = self.model[pool]
        if got != want:
            i = next((i for i, (x, y) in enumerate(zip(got, want)) if x != y), min(len(got), len(want)))
            raise Violation("%s of pool %d: %d records, the model %d; first difference at record %d:\n"
                            "  got:   %s\n  model: %s"
                            % (what, pool, len(got), len(want), i,
                               str(got[i])[:120] if i < len(got) else "(none)",
                               str(want[i])[:120] if i < len(want) else "(none)"))

    def verify(self, full=True):
        """Pools through the daemon (after a restart one, in turn, to leave
        time for kills during operations; every pool at the start and at
        the end), then every pool from its file: stable now, since the
        daemon that answered finished any interrupted change when it opened
        the pools, and no operation is in flight."""
        self.stats["verifications"] += 1
        for p in POOLS if full else (POOLS[self.stats["verifications"] % len(POOLS)],):
            self.expect_pool(p, self.enumerate(p), "enumeration")
        for p in POOLS:
            try:
                recs = kvpsim.read_pool(kvpsim.pool_path(self.args.state, p),
                                        require_zero_tails=not self.args.reference)
            except kvpsim.PoolError as e:
                raise Violation(str(e))
            self.expect_pool(p, [list(r) for r in recs], "the file")
        if os.path.exists(kvpsim.pool_path(self.args.state, 5)):
            raise Violation("a refused SET to pool 5 created .kvp_pool_5")

    def resolve(self, pool, before, after, what):
        """An operation in flight when the daemon died: the pool must be
        exactly as before it or as after it."""
        got = self.enumerate(pool)
        if got == after:
            self.model[pool] = after
            self.stats["in_flight_applied"] += 1
        elif got == before:
            self.model[pool] = before
            self.stats["in_flight_lost"] += 1
        else:
            self.model[pool] = after
            self.expect_pool(pool, got, "after an interrupted %s, the enumeration" % what)

    # -- the scenario ---------------------------------------------------------------

    def value(self):
        r = self.rng.random()
        if r < 0.5:
            # 3-byte characters: up to 2,046 bytes, the record nearly full.
            return "".join(self.rng.choice(THREE) for _ in range(self.rng.randint(300, 682)))
        if r < 0.9:
            return "v=%d " % self.serial + "x" * self.rng.randint(500, 1000)
        return "short %d" % self.serial

    def one_op(self):
        rng = self.rng
        pool = rng.choice(POOLS)
        recs = self.model[pool]
        keys = [k for k, _ in recs]
        before = [list(r) for r in recs]
        r = rng.random()
        self.serial += 1
        if r < 0.01 and not self.args.reference:
            a = self.host.kvp("set", 5, key="refused-%d" % self.serial, value="x")
            if a["status"] != "HV_E_FAIL":
                raise Violation("SET to pool 5 answered %s" % a["status"])
            self.stats["refused"] += 1
            return
        if (r < 0.45 and len(recs) < self.args.pool_max) or not keys:
            key = "key-%d-%s" % (self.serial, "k" * rng.choice((0, 10, 200)))
            value = self.value()
            op, after, kw = "set", before + [[key, value]], dict(key=key, value=value)
        elif r < 0.70:
            i = rng.randrange(len(keys))
            value = self.value()
            after = [list(x) for x in before]
            after[i][1] = value
            op, kw = "set", dict(key=keys[i], value=value)
        elif r < 0.92:
            i = min(len(keys) - 1, max(0, int(rng.gauss(len(keys) / 2, len(keys) / 4))))
            after = before[:i] + before[i + 1:]
            op, kw = "delete", dict(key=keys[i])
        elif r < 0.94:
            op, after, kw = "delete", before, dict(key="missing-%d" % self.serial)
        elif r < 0.98:
            op, after = "get", before
            kw = dict(key=rng.choice(keys) if rng.random() < 0.8 else "absent-%d" % self.serial)
        else:
            self.expect_pool(pool, self.enumerate(pool), "an enumeration")
            return
        self.stats["ops"] += 1
        a = self.host.kvp(op, pool, **kw)
        st = a["status"]
        present = kw["key"] in keys
        if st == "HV_S_OK":
            if op != "set" and not present:
                raise Violation("%s of missing key %r in pool %d answered HV_S_OK" % (op, kw["key"], pool))
            if op == "get" and not self.args.reference:
                want = dict(recs)[kw["key"]]
                if a.get("value") != want:
                    raise Violation("GET %r in pool %d: %r, the model %r"
                                    % (kw["key"], pool, a.get("value", "")[:80], want[:80]))
            self.model[pool] = after
            self.stats["acked"] += 1
        elif st == "HV_S_CONT" and op != "set":
            if present:
                raise Violation("%s of %r in pool %d answered HV_S_CONT but the host was told it was set"
                                % (op, kw["key"], pool))
            self.stats["refused"] += 1
        elif st == "HV_E_FAIL":
            self.resolve(pool, before, after, op)
        else:
            raise Violation("%s in pool %d answered %s" % (op, pool, st))

    def run(self, killer):
        seen = 0
        deadline = time.monotonic() + self.args.budget
        while True:
            if killer.error:
                raise killer.error
            self.phase[0] = "op"
            self.one_op()
            if killer.generation != seen:
                seen = killer.generation
                self.phase[0] = "verify"
                self.verify(full=False)
            done = self.stats["ops"] >= self.args.ops and killer.generation >= self.args.kills
            if done or time.monotonic() > deadline:
                break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--control", required=True)
    ap.add_argument("--world-pid", type=int, required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--ops", type=int, default=3000, help="at least this many operations")
    ap.add_argument("--kills", type=int, default=500, help="and at least this many kills")
    ap.add_argument("--min-kills", type=int, default=150, help="fail when fewer within the budget")
    ap.add_argument("--budget", type=float, default=100.0, help="seconds")
    ap.add_argument("--kill-ms", default="0:60", help="random delay range after registration")
    ap.add_argument("--pool-max", type=int, default=48)
    ap.add_argument("--pidfile", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--reference", action="store_true",
                    help="the daemon is hv_kvp_daemon: GET answers '' (11.3), stale tails (11.6), no pool 5")
    ap.add_argument("daemon", nargs="+")
    args = ap.parse_args()
    args.kill_ms = tuple(float(x) for x in args.kill_ms.split(":"))

    d = Daemon(args)
    drv = Driver(args)
    killer = Killer(args, d, drv.phase)
    start = time.monotonic()
    rc = 0
    try:
        killer.up()
        drv.verify()
        killer.start()
        drv.run(killer)
        killer.stop.set()
        killer.join()
        if killer.error:
            raise killer.error
        drv.phase[0] = "final"
        drv.verify()
        if killer.generation < args.min_kills:
            raise Violation("only %d kills in %.0f s (at least %d wanted)"
                            % (killer.generation, time.monotonic() - start, args.min_kills))
    except Violation as e:
        print("FAIL: %s" % e)
        rc = 1
    finally:
        killer.stop.set()
        d.kill()
        try:
            os.unlink(args.pidfile)  # nothing left for the test's trap to kill
        except OSError:
            pass
    replays = 0
    try:
        with open(args.log, "rb") as f:
            replays = f.read().count(b"finished an interrupted change")
    except OSError:
        pass
    s = drv.stats
    print("# seed %d: %d ops in %.1f s, %d acknowledged, %d refused; %d kills (%s; %d right after a start), "
          "%d starts (%d refused while the old opener was released); in flight at a kill: %d applied, "
          "%d not; %d enumerations cut and retried; %d verifications; %d interrupted changes finished "
          "by the journal; pools at the end: %s records"
          % (args.seed, s["ops"], time.monotonic() - start, s["acked"], s["refused"], killer.generation,
             ", ".join("%s %d" % kv for kv in sorted(killer.by_phase.items())), killer.early, d.starts,
             killer.failed_starts, s["in_flight_applied"], s["in_flight_lost"], s["enum_retries"],
             s["verifications"], replays, "/".join(str(len(drv.model[p])) for p in POOLS)))
    if rc:
        print("FAIL: seed %d (HV_KVP_CRASH_SEED=%d to replay)" % (args.seed, args.seed))
    return rc


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The differential KVP scenario of 42-kvpd-differential.sh.

  kvp-scenario.py run --seed S --ops N --control SOCKET --daemon ours|ref --out FILE
      generate the scenario from the seed and play it as the host, one
      answer per line (JSON) in FILE
  kvp-scenario.py check --seed S --ops N --ours A --ref B --ours-state DIR --ref-state DIR
      compare the two runs line by line and their pool files record by
      record, and hv-kvpd's answers and files with the model

The scenario is the same for both daemons (same seed, same ops).  The
model replays it with the kernel's conversions (kvpsim.py), so a bug both
daemons share is caught as well.  Differences allowed, each a reference
bug named in PROTOCOL.md section 11:
  11.3  GET of a present key: the reference answers HV_S_OK with "",
        hv-kvpd the stored value;
  11.1  pool >= 5 and 11.2 index >= 2^31: the reference indexes out of
        bounds, so these ops go to hv-kvpd only, which refuses them
        (HV_E_FAIL) and changes no file;
  11.6  bytes after the NUL of a record: compared up to the NUL, and
        hv-kvpd's are checked to be zero.
"""

import argparse
import json
import random
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import kvpsim  # noqa: E402

POOLS = (0, 1, 3, 4)
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/|"
PUNCT = " =;,'\"{}[]()!?#%&*+<>@\\^`~$"
TWO = "éüßñçøÅΩЖжλπ"
THREE = "✓€日本語中文한국‰☃ᚠ"
FOUR = "😀🐍𝄞𠜎🎉🦀𐍈"

U_OK, U_CONT, U_FAIL = "HV_S_OK", "HV_S_CONT", "HV_E_FAIL"


class Gen:
    """Strings for keys and values; every kind the host wire can carry."""

    def __init__(self, rng):
        self.rng = rng
        self.serial = 0

    def chars(self, alphabet, n):
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def fill_units(self, alphabets, n_units):
        """Characters from the alphabets up to exactly n_units UTF-16 units
        (or one less when only a pair would be left)."""
        out, n = [], 0
        while n < n_units:
            c = self.rng.choice(self.rng.choice(alphabets))
            u = kvpsim.units(c)
            if n + u > n_units:
                c, u = self.rng.choice(ASCII), 1
            out.append(c)
            n += u
        return "".join(out)

    def key(self):
        self.serial += 1
        tag = "%d" % self.serial  # keeps generated keys distinct
        r = self.rng.random()
        if r < 0.40:
            return "k" + tag + "-" + self.chars(ASCII, self.rng.randint(0, 24))
        if r < 0.55:
            return self.chars(ASCII, 2) + " = " + tag + self.chars(PUNCT + ASCII, self.rng.randint(0, 12))
        if r < 0.75:
            return tag + self.fill_units((ASCII, TWO, THREE, FOUR), self.rng.randint(1, 60))
        if r < 0.85:
            # Longest key the host can send, ASCII: 255 units and bytes;
            # enumerations answer 254 of them.
            return tag + "." + self.chars(ASCII, kvpsim.HOST_KEY_UNITS - len(tag) - 1)
        if r < 0.93:
            # Long multi-byte keys: 3-byte characters pass the kernel's
            # 511-byte limit and are cut there (both daemons see the cut).
            return tag + "|" + self.fill_units((THREE, THREE, ASCII), self.rng.randint(120, 250))
        return tag + "|" + self.fill_units((FOUR, TWO), self.rng.randint(100, kvpsim.HOST_KEY_UNITS - 6))

    def value(self):
        r = self.rng.random()
        if r < 0.05:
            return ""
        if r < 0.35:
            return self.chars(ASCII + PUNCT, self.rng.randint(1, 40))
        if r < 0.55:
            return "a=b c = d==" + self.fill_units((ASCII, PUNCT, TWO), self.rng.randint(10, 300))
        if r < 0.70:
            return self.chars(ASCII, self.rng.randint(1000, kvpsim.HOST_VALUE_UNITS))
        if r < 0.82:
            return self.fill_units((TWO, THREE), self.rng.randint(600, kvpsim.HOST_VALUE_UNITS))
        if r < 0.92:
            # Surrogate pairs around the 1022-unit answer limit.
            return self.fill_units((FOUR, ASCII), self.rng.randint(1015, kvpsim.HOST_VALUE_UNITS))
        return self.fill_units((ASCII, TWO, THREE, FOUR, PUNCT), self.rng.randint(1, 1023))


def clip(key):
    """A key cut to what the host wire carries."""
    return kvpsim.to_host(key, kvpsim.HOST_KEY_UNITS)


def scenario(seed, n_ops):
    """The op list: dicts with op, pool, key, value, index, ours_only."""
    rng = random.Random(seed)
    gen = Gen(rng)
    # The generator tracks which host keys it believes present, per pool,
    # to pick updates, deletes in the middle and present gets; the model
    # (below) decides what the answers must be.
    live = {p: [] for p in POOLS + (2,)}
    ops = []
    while len(ops) < n_ops:
        r = rng.random()
        pool = rng.choice(POOLS)
        keys = live[pool]
        crowded = len(keys) > 45
        if r < 0.03:
            ops.append(dict(op="set", pool=2, key=gen.key(), value=gen.value()))
            live[2].append(ops[-1]["key"])
        elif r < 0.30 and not crowded:
            k = gen.key()
            ops.append(dict(op="set", pool=pool, key=k, value=gen.value()))
            keys.append(k)
        elif r < 0.45 and keys:
            ops.append(dict(op="set", pool=pool, key=rng.choice(keys), value=gen.value()))
        elif r < 0.62 and keys:
            # Deletes mostly in the middle: later records move down.
            i = min(len(keys) - 1, max(0, int(rng.gauss(len(keys) / 2, len(keys) / 4))))
            ops.append(dict(op="delete", pool=pool, key=keys.pop(i)))
        elif r < 0.65:
            ops.append(dict(op="delete", pool=pool, key=clip("missing-" + gen.key())))
        elif r < 0.80 and keys:
            ops.append(dict(op="get", pool=pool, key=rng.choice(keys)))
        elif r < 0.84:
            ops.append(dict(op="get", pool=pool, key=clip("absent " + gen.key())))
        elif r < 0.89:
            ops.append(dict(op="enumerate", pool=pool))
        elif r < 0.93:
            ops.append(dict(op="enumerate", pool=pool, index=rng.randint(0, len(keys) + 2)))
        elif r < 0.945:
            ops.append(dict(op="get", pool=2, key=rng.choice(live[2]) if live[2] else "none"))
        elif r < 0.96:
            # Untrusted host input the reference does not check (11.1, 11.2).
            kind = rng.randint(0, 3)
            if kind == 0:
                ops.append(dict(op="set", pool=rng.choice((5, 6, 200, 255)), key=gen.key(),
                                value=gen.value(), ours_only=True))
            elif kind == 1:
                ops.append(dict(op="get", pool=rng.choice((5, 77)), key=gen.key(), ours_only=True))
            elif kind == 2:
                ops.append(dict(op="enumerate", pool=rng.choice((5, 9)), index=0, ours_only=True))
            else:
                ops.append(dict(op="enumerate", pool=pool, index=rng.randint(2 ** 31, 2 ** 32 - 1),
                                ours_only=True))
        elif crowded and keys:
            ops.append(dict(op="delete", pool=pool, key=keys.pop(rng.randrange(len(keys)))))
    # A last full walk of every pool, and of pool 2's intrinsics.
    for p in POOLS:
        ops.append(dict(op="enumerate", pool=p))
    ops.append(dict(op="enumerate", pool=2))
    return ops


class Model:
    """What hv-kvpd must answer: pools as ordered [key, value] lists of
    daemon-side (converted) strings."""

    def __init__(self):
        self.pools = {p: [] for p in range(5)}

    def find(self, pool, key):
        for i, (k, _) in enumerate(self.pools[pool]):
            if k == key:
                return i
        return -1

    def apply(self, o):
        """Expected answer of op o (a dict like the recorded answers)."""
        op, pool = o["op"], o["pool"]
        # Untrusted input hv-kvpd refuses (11.1, 11.2): HV_E_FAIL.
        if pool > 4 or o.get("index", 0) >= 2 ** 31:
            return dict(status=U_FAIL)
        if op == "enumerate" and "index" in o:
            recs = self.pools[pool]
            if pool == 2 or o["index"] >= len(recs):
                return dict(status=U_CONT) if pool != 2 else None
            k, v = kvpsim.reply_item(*recs[o["index"]])
            return dict(status=U_OK, key=k, value=v)
        if op == "enumerate":
            if pool == 2:
                return None  # intrinsics: keys compared only (see check)
            items = [list(kvpsim.reply_item(k, v)) for k, v in self.pools[pool]]
            return dict(status=U_CONT, items=items)
        key = kvpsim.daemon_key(o["key"])
        i = self.find(pool, key)
        if op == "set":
            value = kvpsim.daemon_value(o["value"])
            if i >= 0:
                self.pools[pool][i][1] = value
            else:
                self.pools[pool].append([key, value])
            return dict(status=U_OK)
        if op == "delete":
            if i < 0:
                return dict(status=U_CONT)
            del self.pools[pool][i]
            return dict(status=U_OK)
        if op == "get":
            if i < 0:
                return dict(status=U_CONT)
            return dict(status=U_OK, value=kvpsim.to_host(self.pools[pool][i][1], kvpsim.REPLY_VALUE_UNITS))
        raise ValueError(op)


def play(args):
    ops = scenario(args.seed, args.ops)
    host = kvpsim.Host(args.control)
    with open(args.out, "w") as out:
        for n, o in enumerate(ops):
            if o.get("ours_only") and args.daemon == "ref":
                ans = dict(skipped="reference bug PROTOCOL.md 11.1/11.2: not sent")
            else:
                kw = {k: o[k] for k in ("key", "value", "index") if k in o}
                a = host.kvp(o["op"], o["pool"], **kw)
                ans = dict(status=a["status"])
                if "items" in a:
                    ans["items"] = [[it["key"], it["value"]] for it in a["items"]]
                elif a["status"] == U_OK and o["op"] in ("get", "enumerate"):
                    if o["op"] == "enumerate":
                        ans["key"] = a["key"]
                    ans["value"] = a["value"]
            ans["n"] = n
            out.write(json.dumps(ans, ensure_ascii=False) + "\n")
    host.close()


def describe(o):
    d = dict(o)
    for f in ("key", "value"):
        if f in d and len(d[f]) > 60:
            d[f] = d[f][:40] + "...(%d chars)" % len(d[f])
    return json.dumps(d, ensure_ascii=False)


def check(args):
    ops = scenario(args.seed, args.ops)
    ours = [json.loads(line) for line in open(args.ours, encoding="utf-8")]
    ref = [json.loads(line) for line in open(args.ref, encoding="utf-8")]
    errors = []

    def err(msg):
        errors.append(msg)
        return len(errors) < 20

    if len(ours) != len(ops) or len(ref) != len(ops):
        print("FAIL: %d ops, %d answers from hv-kvpd, %d from the reference"
              % (len(ops), len(ours), len(ref)))
        return 1
    model = Model()
    stats = dict(get_values=0, skipped=0, identical=0)
    for o, a, b in zip(ops, ours, ref):
        want = model.apply(o)
        where = "op %d %s" % (a["n"], describe(o))
        if want is not None and a != dict(want, n=a["n"]):
            if not err("%s\n  hv-kvpd:  %s\n  expected: %s" % (where, json.dumps(a, ensure_ascii=False)[:300],
                                                            json.dumps(want, ensure_ascii=False)[:300])):
                break
        if "skipped" in b:
            stats["skipped"] += 1
            continue
        if o["op"] == "enumerate" and o["pool"] == 2 and "items" in a:
            # Intrinsic values differ by design (11.9: FQDN text); keys must not.
            ka, kb = [k for k, _ in a["items"]], [k for k, _ in b.get("items", [])]
            if ka != kb or a["status"] != b["status"]:
                err("%s: intrinsic keys differ\n  hv-kvpd:   %s\n  reference: %s" % (where, ka, kb))
            continue
        if o["op"] == "get" and a.get("status") == U_OK:
            # 11.3: the reference's GET answers an empty value.
            stats["get_values"] += 1
            if b != dict(status=U_OK, value="", n=b["n"]):
                err("%s: reference GET answer is not HV_S_OK with '' (11.3): %s" % (where, b))
            continue
        if a != b:
            if not err("%s\n  hv-kvpd:   %s\n  reference: %s" % (where, json.dumps(a, ensure_ascii=False)[:300],
                                                             json.dumps(b, ensure_ascii=False)[:300])):
                break
        else:
            stats["identical"] += 1

    # Pool files, record by record up to the NULs; hv-kvpd's tails zero.
    for p in range(5):
        try:
            fa = kvpsim.read_pool(kvpsim.pool_path(args.ours_state, p), require_zero_tails=True)
        except kvpsim.PoolError as e:
            err("hv-kvpd pool %d: %s" % (p, e))
            continue
        try:
            fb = kvpsim.read_pool(kvpsim.pool_path(args.ref_state, p))
        except kvpsim.PoolError as e:
            err("reference pool %d: %s" % (p, e))
            continue
        fm = [tuple(r) for r in model.pools[p]]
        if fa != fm:
            err("hv-kvpd pool %d file: %d records, the model %d; first difference at record %s"
                % (p, len(fa), len(fm), next((i for i, (x, y) in enumerate(zip(fa, fm)) if x != y),
                                             min(len(fa), len(fm)))))
        if fa != fb:
            err("pool %d files differ: hv-kvpd %d records, reference %d; first difference at record %s"
                % (p, len(fa), len(fb), next((i for i, (x, y) in enumerate(zip(fa, fb)) if x != y),
                                             min(len(fa), len(fb)))))
    counts = {}
    for o in ops:
        counts[o["op"]] = counts.get(o["op"], 0) + 1
    print("# %d ops (%s), %d answers identical, %d GETs answered with values by hv-kvpd and '' by the "
          "reference (11.3), %d ops to hv-kvpd only (11.1, 11.2); pools at the end: %s records"
          % (len(ops), ", ".join("%s %d" % kv for kv in sorted(counts.items())), stats["identical"],
             stats["get_values"], stats["skipped"], "/".join(str(len(model.pools[p])) for p in range(5))))
    if errors:
        for e in errors:
            print("FAIL: " + e)
        print("FAIL: seed %d, %d ops" % (args.seed, args.ops))
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seed", type=int, required=True)
    r.add_argument("--ops", type=int, required=True)
    r.add_argument("--control", required=True)
    r.add_argument("--daemon", choices=("ours", "ref"), required=True)
    r.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--seed", type=int, required=True)
    c.add_argument("--ops", type=int, required=True)
    c.add_argument("--ours", required=True)
    c.add_argument("--ref", required=True)
    c.add_argument("--ours-state", required=True)
    c.add_argument("--ref-state", required=True)
    a = ap.parse_args()
    if a.cmd == "run":
        play(a)
        return 0
    return check(a)


if __name__ == "__main__":
    sys.exit(main())

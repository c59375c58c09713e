#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helper of 44-kvp-cloud-init.sh.

  kvp-cloud-init.py publish --pool-file F --events N --seed S --out J
      (inside the world, with cloud-init's package on PYTHONPATH) publish
      N events through cloud-init's own HyperVKvpReportingHandler, in
      bursts, some longer than 1024 bytes so cloud-init slices them; J
      gets every record cloud-init appended, in order, as it wrote them
  kvp-cloud-init.py host --control SOCKET --seed S --stop FILE --out J
      (outside) the host until FILE exists: enumerate pool 1 again and
      again, SET keys in pools 0 and 3 in between; J gets every
      enumeration and the host's pool 0/3 model
  kvp-cloud-init.py check --published J --host J --state DIR --control SOCKET
      every record cloud-init wrote is delivered by the host's final
      enumeration in order and byte-exact after the host's own first
      record, every enumeration seen during the appends is a prefix of it
      (nothing torn, nothing out of order), its values parse as the JSON
      cloud-init wrote, the file holds the same, pools 0 and 3 hold what
      the host set.
"""

import argparse
import json
import os
import random
import sys
import time


def publish(args):
    from cloudinit.reporting import events, handlers

    rng = random.Random(args.seed)
    size0 = os.path.getsize(args.pool_file)
    handler = handlers.HyperVKvpReportingHandler(kvp_file_path=args.pool_file)
    # cloud-init truncates pool 1 once per boot when the file is older
    # than the boot; this one is fresh (the daemon made it, the host wrote
    # a record), so it must be left alone.
    if os.path.getsize(args.pool_file) != size0:
        print("FAIL: cloud-init truncated the pool file (%d -> %d bytes)"
              % (size0, os.path.getsize(args.pool_file)))
        return 1

    written = []
    append = handler._append_kvp_item

    def recording_append(record_data):
        append(record_data)
        for rec in record_data:
            k, v = rec[:512].split(b"\0", 1)[0], rec[512:].split(b"\0", 1)[0]
            written.append([k.decode("utf-8"), v.decode("utf-8")])

    handler._append_kvp_item = recording_append

    words = ["init-local", "modules-config", "résumé", "日本", "🐍", "datasource", "Azure"]
    for i in range(args.events):
        r = rng.random()
        if r < 0.25:
            # Sliced by cloud-init: plain ASCII, since it cuts the JSON
            # text of the message anywhere, escapes included.
            desc = "".join(rng.choice("abcdefghij klmnop") for _ in range(rng.randint(1200, 6000)))
        elif r < 0.6:
            desc = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        else:
            desc = "event %d" % i
        name = "%s/step-%d" % (rng.choice(("init-local", "init-network", "modules-final")), i)
        if rng.random() < 0.5:
            ev = events.ReportingEvent("start", name, desc, "cloudinit")
        else:
            ev = events.FinishReportingEvent(name, desc, rng.choice(("SUCCESS", "WARN", "FAIL")))
        handler.publish_event(ev)
        if rng.random() < 0.1:
            handler.flush()
        time.sleep(rng.uniform(0, 0.008))
    handler.flush()
    with open(args.out, "w") as f:
        json.dump(written, f, ensure_ascii=False)
    return 0


def host(args):
    import kvpsim

    rng = random.Random(args.seed)
    h = kvpsim.Host(args.control)
    enums, model, n = [], {0: {}, 3: {}}, 0
    while not os.path.exists(args.stop):
        a = h.kvp("enumerate", 1)
        enums.append(dict(status=a["status"], items=[[it["key"], it["value"]] for it in a["items"]]))
        for _ in range(rng.randint(1, 3)):
            pool = rng.choice((0, 3))
            key = "host-%d" % rng.randint(0, 30)
            value = "value %d " % n + "€" * rng.randint(0, 600)
            n += 1
            a = h.kvp("set", pool, key=key, value=value)
            if a["status"] != "HV_S_OK":
                print("FAIL: host SET to pool %d answered %s" % (pool, a["status"]))
                return 1
            model[pool][key] = value
    with open(args.out, "w") as f:
        json.dump(dict(enums=enums, model={str(p): list(m.items()) for p, m in model.items()}), f,
                  ensure_ascii=False)
    return 0


def check(args):
    import kvpsim

    written = json.load(open(args.published, encoding="utf-8"))
    hostlog = json.load(open(args.host, encoding="utf-8"))
    h = kvpsim.Host(args.control)
    errors = []
    a = h.kvp("enumerate", 1)
    final = [[it["key"], it["value"]] for it in a["items"]]
    seed_rec = final[:1]
    if a["status"] != "HV_S_CONT" or not seed_rec or seed_rec[0][0] != "host-first":
        errors.append("pool 1 does not start with the host's own record: %s" % str(final[:1])[:200])
    want = seed_rec + written
    if final != want:
        i = next((i for i, (x, y) in enumerate(zip(final, want)) if x != y), min(len(final), len(want)))
        errors.append("the final enumeration of pool 1 has %d records, cloud-init wrote %d (+1 of the host); "
                      "first difference at %d:\n  got:   %s\n  wrote: %s"
                      % (len(final), len(written), i, str(final[i:i + 1])[:300], str(want[i:i + 1])[:300]))
    for k, v in final[1:]:
        try:
            json.loads(v)
        except ValueError as e:
            errors.append("record %s: the value is not JSON: %s" % (k, e))
            break
    partial = 0
    for n, e in enumerate(hostlog["enums"]):
        if e["status"] != "HV_S_CONT":
            errors.append("enumeration %d ended with %s" % (n, e["status"]))
        if e["items"] != final[:len(e["items"])]:
            i = next(i for i, (x, y) in enumerate(zip(e["items"], final)) if x != y) \
                if len(e["items"]) <= len(final) else len(final)
            errors.append("enumeration %d during the appends is not a prefix of the final one: "
                          "record %d is %s" % (n, i, str(e["items"][i:i + 1])[:300]))
        elif 1 < len(e["items"]) < len(final):
            partial += 1
    try:
        recs = kvpsim.read_pool(os.path.join(args.state, ".kvp_pool_1"))
    except kvpsim.PoolError as e:
        errors.append(str(e))
        recs = None
    if recs is not None and [list(r) for r in recs] != want:
        errors.append("the pool 1 file (%d records) is not what cloud-init and the host wrote (%d)"
                      % (len(recs), len(want)))
    for p in (0, 3):
        got = [[it["key"], it["value"]] for it in h.kvp("enumerate", p)["items"]]
        exp = [list(x) for x in hostlog["model"][str(p)]]
        if got != exp:
            errors.append("pool %d: %d records, the host set %d" % (p, len(got), len(exp)))
    sliced = sum(1 for k, _ in written if k.count("|") == 5)
    print("# cloud-init wrote %d records (%d slices of long events); %d host enumerations of pool 1 "
          "ran during the appends, %d of them saw a part of it; pools 0/3 hold %d/%d host records"
          % (len(written), sliced, len(hostlog["enums"]), partial, len(hostlog["model"]["0"]),
             len(hostlog["model"]["3"])))
    for e in errors[:10]:
        print("FAIL: " + e)
    return 1 if errors else 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("publish")
    p.add_argument("--pool-file", required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    h = sub.add_parser("host")
    h.add_argument("--control", required=True)
    h.add_argument("--seed", type=int, required=True)
    h.add_argument("--stop", required=True)
    h.add_argument("--out", required=True)
    c = sub.add_parser("check")
    c.add_argument("--published", required=True)
    c.add_argument("--host", required=True)
    c.add_argument("--state", required=True)
    c.add_argument("--control", required=True)
    args = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    return dict(publish=publish, host=host, check=check)[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())

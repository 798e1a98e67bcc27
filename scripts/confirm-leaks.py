#!/usr/bin/env python3
"""Every leak of a per-test report checked by an independent plain loop:

    scripts/confirm-leaks.py [-j N] [--python PYTHON] [--exclude ID]... REPORT.json

REPORT.json is the --json report of `refhunt --per-test -m pytest ARGS...`
(run from the current directory). Its leaking tests are run again, N
chunks in parallel (default 2), by scripts/plainloop-pytest.py: the same
pytest arguments, each test six times in one plain pytest session, no
code of refhunt's. Prints a line for each leak as its loop ends: the
metrics and last three deltas of either side; then how many the loop
confirms (the same metrics leak), with the same deltas or not. Exits 1
when the loop does not call one of them a leak. References are compared
only where the report trusted them (no extension built for a release
interpreter).
--exclude leaves a test out (one too slow to run six times, say so):
it is counted as not run, not as confirmed.
"""
import argparse
import json
import os
import queue
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def plain_loops(python, args, ids, jobs, refs):
    """Yields the loop's JSON line of each of ids as its loop ends, from
    jobs processes."""
    chunks = [ids[k::jobs] for k in range(jobs) if ids[k::jobs]]
    procs = [subprocess.Popen(
        [python, os.path.join(HERE, "plainloop-pytest.py"), "--deltas"] +
        (["--refs"] if refs else []) + args + ["--"] + chunk,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        for chunk in chunks]
    lines = queue.Queue()

    def read(proc):
        for line in proc.stdout:
            lines.put(json.loads(line))
        proc.wait()
        lines.put(None)

    for proc in procs:
        threading.Thread(target=read, args=(proc,), daemon=True).start()
    running = len(procs)
    while running:
        r = lines.get()
        if r is None:
            running -= 1
        else:
            yield r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--python", default="python3-dbg")
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("report")
    opt = ap.parse_args()
    with open(opt.report) as f:
        report = json.load(f)
    argv = report["argv"]
    if not report.get("per_test") or argv[:1] != ["pytest"]:
        sys.exit("confirm-leaks: %s is not a --per-test report of -m pytest"
                 % opt.report)
    leaks = [t for t in report["tests"] if t["status"] == "leak"]
    refs = any("refs" in t["leaks"] and t["refs_trusted"] for t in leaks)
    by_id = {t["id"]: t for t in leaks}
    same = other = excluded = 0
    for t in leaks:
        if t["id"] in opt.exclude:
            excluded += 1
            print("%s: excluded, not run" % t["id"])
    run = [t["id"] for t in leaks if t["id"] not in opt.exclude]
    # each line as its loop ends: a run of hours shows its progress
    for theirs in plain_loops(opt.python, argv[1:], run, opt.j, refs):
        t = by_id[theirs["id"]]
        run.remove(t["id"])
        mine = [m for m in t["leaks"] if m != "refs" or t["refs_trusted"]]
        if not mine or not set(mine) <= set(theirs["leaks"]):
            verdict = "NOT CONFIRMED"
        elif all(t["deltas"][m] == theirs["deltas"][m] for m in mine):
            same += 1
            verdict = "confirmed, the same deltas"
        else:
            other += 1
            verdict = "confirmed, other deltas"
        print("%s: refhunt %s; plain loop %s: %s" % (
            t["id"],
            ", ".join("%s %s" % (m, t["deltas"][m]) for m in t["leaks"]),
            ", ".join("%s %s" % (m, d) for m, d in theirs["deltas"].items()),
            verdict), flush=True)
    for i in run:       # the loop never reached it (a crash)
        print("%s: plain loop did not run it: NOT CONFIRMED" % i)
    missing = len(leaks) - same - other - excluded
    print("%d leaks: %d confirmed with the same deltas, %d with other "
          "deltas, %d not confirmed, %d excluded" % (
              len(leaks), same, other, missing, excluded))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())

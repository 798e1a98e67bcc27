#!/usr/bin/env python3
"""Times shell commands interleaved: run 1 of each, then run 2 of each, ...,
so that a change of the machine's load falls on all of them alike. For
each command: the median wall time and the median CPU time (user + system
of it and all its children), in seconds.

    interleave.py [-w WARMUPS] [--json FILE] RUNS COMMAND ...

Prints one line per command (and its ratios to the first), and the load
average before and after; --json writes
{"load": [before, after], "results": [{"command", "wall", "cpu",
"walls", "cpus"}]}.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import time


def once(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(command, shell=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime -
                  before.ru_utime - before.ru_stime)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-w", "--warmups", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("runs", type=int)
    ap.add_argument("commands", nargs="+")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    for _ in range(a.warmups):
        for c in a.commands:
            once(c)
    walls = {c: [] for c in a.commands}
    cpus = {c: [] for c in a.commands}
    for _ in range(a.runs):
        for c in a.commands:
            w, u = once(c)
            walls[c].append(w)
            cpus[c].append(u)
    load1 = os.getloadavg()[0]
    results = [{"command": c, "wall": statistics.median(walls[c]),
                "cpu": statistics.median(cpus[c]), "walls": walls[c],
                "cpus": cpus[c]} for c in a.commands]
    first = results[0]
    for r in results:
        print("%8.0f ms wall %8.0f ms CPU  x%.2f wall x%.2f CPU  %s" % (
            r["wall"] * 1e3, r["cpu"] * 1e3, r["wall"] / first["wall"],
            r["cpu"] / first["cpu"], r["command"]))
    print("load average (1 min): %.2f before, %.2f after" % (load0, load1))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"load": [load0, load1], "results": results}, f)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Runs one build's test suite for scripts/matrix.sh:

    matrix_suite.py BUILD_DIR VERSION FAILURES_FILE

`meson test` with 2 processes (the fuzz suite left out), then each test
that failed once more, alone: a test that passes then was hurt by the
tests beside it or by the load, and counts as passed-on-rerun, not as
failed; one that fails again fails the build. Both kinds are written to
FAILURES_FILE with the end of what they printed the first time, because
CI keeps only matrix.sh's output, not build-matrix/. Prints the table's
cells: passed | failed | passed on a rerun | skipped. Exits 1 if any test
failed twice.
"""
import collections
import json
import os
import subprocess
import sys

build, version, failures_file = sys.argv[1:4]
log = open(build + ".log", "a")


def meson_test(*args):
    subprocess.call(["meson", "test", "-C", build, "--no-rebuild"] + list(args),
                    stdout=log, stderr=subprocess.STDOUT)
    with open(os.path.join(build, "meson-logs", "testlog.json")) as f:
        return [json.loads(line) for line in f]


def failed(r):
    return r["result"] not in ("OK", "EXPECTEDFAIL", "SKIP")


first = meson_test("--num-processes", "2", "--no-suite", "fuzz")
counts = collections.Counter(r["result"] for r in first)
reruns = twice = 0
with open(failures_file, "a") as out:
    for r in filter(failed, first):
        # "refhunt:e2e / timeout": suite e2e, test timeout
        suite, name = r["name"].split(":", 1)[1].split(" / ", 1)
        again = meson_test("--num-processes", "1", "--suite", suite, name)
        passed = bool(again) and not any(map(failed, again))
        reruns += passed
        twice += not passed
        out.write("## %s: %s %s (%.1f s)%s\n" % (
            version, r["name"], r["result"], r["duration"],
            "; passed when run again alone" if passed else "; failed again alone"))
        out.write("\n".join((r.get("stdout") or "").splitlines()[-25:]) + "\n")
ok = counts["OK"] + counts["EXPECTEDFAIL"]
print("%d | %d | %d | %d" % (ok, twice, reruns, counts["SKIP"]))
sys.exit(1 if twice else 0)

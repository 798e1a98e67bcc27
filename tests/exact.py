#!/usr/bin/env python3
"""Exact deltas in every mode, on every build (the free-threaded one too).

    exact.py --list                          the test names, one a line
    exact.py REFHUNT FIXTURES PYTHON NAME    run one test (exit 0, 1, or 77)

Targets that leak a known amount: tests/targets/incref.py leaks N new
objects a round through ctypes.pythonapi.Py_IncRef (1, 10, and 20 from 4
threads), and clean_work.py does json, decimal and argparse work (alone,
and json in a ThreadPoolExecutor) that keeps nothing. A leak of N objects
must read exactly N references (debug builds) and N memory blocks in every
tracked round, and the clean work clean (its deltas may move by a block
from round to round where threads run, as they do under regrtest). Threads matter on the
free-threaded build, which makes objects immortal when the first thread
starts unless refhunt suppresses that as regrtest does. With helpers of
e2e.py.
"""

import os
import subprocess
import sys

import e2e
from e2e import Skip, expect, expect_complete, expect_report_shape, refhunt, target

TESTS = {}
MODES = ("reinit", "subinterp", "loop")
LEAKS = {"leak1": ("incref.py", 1, 0), "leak10": ("incref.py", 10, 0),
         "leak20_threads": ("incref.py", 20, 4)}
CLEAN = {"clean_work": ("clean_work.py",), "clean_pool": ("clean_work.py", "pool")}


def version():
    out = subprocess.run([e2e.PYTHON, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split())


def can_run(mode, work):
    """Skips where the interpreter itself leaks what the targets import."""
    if mode != "loop" and version() < (3, 12):
        raise Skip("before 3.12, _ctypes and _decimal leak on every "
                   "initialization and subinterpreter by themselves "
                   "(3.11.2: import ctypes 4486 refs, 1444 blocks a round)")
    if mode != "loop" and version() == (3, 12):
        raise Skip("3.12's _ctypes refuses subinterpreters and, with "
                   "_decimal, aborts on a second initialization; its "
                   "subinterpreters keep blocks of json and decimal work "
                   "(3.12.1: 4188 a round)")


def objects_counted(r):
    """The objects counter: on release builds of 3.13+, and only there
    (the reference tracer counts them where no reference total does)."""
    j = r.json
    py = j["python"]
    want = not py["refs_available"] and version() >= (3, 13)
    got = j["deltas"]["objects"] is not None
    expect(got == want, "objects %s counted" % ("not" if want else "is"), r)
    return got


def hunt(mode, *args):
    r = refhunt("-q", "--no-import-share", "--mode", mode, *args)
    return r


def check_leak(mode, script, n, threads):
    can_run(mode, False)
    r = hunt(mode, target(script), str(n), str(threads))
    expect_report_shape(r, "leak", 1, mode)
    expect_complete(r)
    j = r.json
    want = [n] * j["tracked"]
    expect(j["deltas"]["blocks"] == want, "blocks deltas are not %s" % want, r)
    expect("blocks" in j["leaks"], "blocks not among the leaks", r)
    if j["python"]["refs_available"]:
        expect(j["refs_trusted"], "refs not trusted", r)
        expect(j["deltas"]["refs"] == want, "refs deltas are not %s" % want, r)
        expect("refs" in j["leaks"], "refs not among the leaks", r)
    if objects_counted(r):
        expect(j["deltas"]["objects"] == want, "objects deltas are not %s" % want, r)
        expect("objects" in j["leaks"], "objects not among the leaks", r)
    expect(j["deltas"]["fds"] == [0] * j["tracked"], "fds moved", r)


def check_clean(mode, args):
    can_run(mode, True)
    r = hunt(mode, target(args[0]), *args[1:])
    expect_report_shape(r, "clean", 0, mode)
    expect_complete(r)
    objects_counted(r)


def make(name, func, *args):
    TESTS[name] = lambda: func(*args)


for _mode in MODES:
    for _name, (_script, _n, _threads) in LEAKS.items():
        make("%s_%s" % (_name, _mode), check_leak, _mode, _script, _n, _threads)
    for _name, _args in CLEAN.items():
        make("%s_%s" % (_name, _mode), check_clean, _mode, _args)


def test_per_test():
    """--per-test: the same leaks and clean work, each test on its own."""
    r = refhunt("-q", "--per-test", "-m", "unittest", "test_ut_threads",
                cwd=os.path.join(e2e.HERE, "suites"), timeout=600)
    expect(r.rc == 1 and r.json is not None, "exit 1 with a report", r)
    tests = {t["id"].rsplit(".", 1)[-1]: t for t in r.json["tests"]}
    refs = r.json["python"]["refs_available"]
    for name, n in (("test_leak_one", 1), ("test_leak_threads", 20),
                    ("test_pool", 0), ("test_work", 0)):
        t = tests[name]
        expect(t["status"] == ("leak" if n else "clean"), "%s: %s" % (name, t["status"]), r)
        if not n:
            continue
        want = [n] * r.json["tracked"]
        expect(t["deltas"]["blocks"] == want, "%s: blocks not %s" % (name, want), r)
        if t["deltas"]["objects"] is not None:
            expect(t["deltas"]["objects"] == want, "%s: objects not %s" % (name, want), r)
        if refs:
            expect(t["deltas"]["refs"] == want, "%s: refs not %s" % (name, want), r)


TESTS["per_test"] = test_per_test


if __name__ == "__main__":
    sys.exit(e2e.main(sys.argv, TESTS))

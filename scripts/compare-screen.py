#!/usr/bin/env python3
"""--per-test's screen against the exact hunt: the same suite hunted twice,
as users run it and with --no-screen (every run measured with gc passes
over the whole heap), the verdicts and deltas of every test compared.

    scripts/compare-screen.py [--refhunt PATH] [--cwd DIR] RUNNER ARGS...
    e.g.  scripts/compare-screen.py -m pytest --pyargs \\
              numpy.core.tests.test_numeric -k TestSeterr

Prints each difference, then one line: tests, leaks, the tests the screen
measured again the exact way, and the CPU time of either hunt; exits 1
when a verdict or a delta differs.
"""
import json
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def hunt(refhunt, cwd, args, exact):
    """The report, the CPU seconds of refhunt and its children, and how
    many tests the screen measured again (REFHUNT_BENCH_FILE: the last
    worker's count)."""
    with tempfile.TemporaryDirectory() as tmp:
        report, bench = os.path.join(tmp, "r.json"), os.path.join(tmp, "b")
        env = dict(os.environ, REFHUNT_BENCH_FILE=bench)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([refhunt, "-q", "--json", report, "--per-test"] +
                       (["--no-screen"] if exact else []) + args, cwd=cwd,
                       env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime - before.ru_utime -
               before.ru_stime)
        again = 0
        if os.path.exists(bench):
            with open(bench) as f:
                again = json.load(f)["again"]
        with open(report) as f:
            return json.load(f), cpu, again


def main(argv):
    refhunt = os.path.join(HERE, "..", "build", "src", "refhunt")
    cwd = None
    while argv and argv[0] in ("--refhunt", "--cwd"):
        if argv[0] == "--refhunt":
            refhunt = argv[1]
        else:
            cwd = argv[1]
        argv = argv[2:]
    screened, cpu_s, again = hunt(refhunt, cwd, argv, False)
    exact, cpu_e, _ = hunt(refhunt, cwd, argv, True)
    tests_s = {t["id"]: t for t in screened["tests"]}
    tests_e = {t["id"]: t for t in exact["tests"]}
    differ = 0
    if set(tests_s) != set(tests_e):
        print("different tests: %s" % sorted(set(tests_s) ^ set(tests_e)))
        differ += 1
    for name in sorted(set(tests_s) & set(tests_e)):
        s, e = tests_s[name], tests_e[name]
        if s["status"] != e["status"] or s["deltas"] != e["deltas"]:
            print("%s: screened %s %s, exact %s %s" % (
                name, s["status"], s["deltas"], e["status"], e["deltas"]))
            differ += 1
    leaks = sum(t["status"] == "leak" for t in tests_e.values())
    print("%d tests, %d leak, %d differ; the screen measured %d again "
          "exactly; CPU %.1f s screened, %.1f s exact (%.2fx)" % (
              len(tests_e), leaks, differ, again, cpu_s, cpu_e,
              cpu_s / cpu_e if cpu_e else 0))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

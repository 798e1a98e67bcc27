#!/usr/bin/env python3
"""Verdicts and wall times of regrtest and refhunt on CPython's own tests.

    scripts/parity.py [--python python3.11-dbg] [--refhunt build/src/refhunt]
                      [--fixtures build/tests/fixtures] [test_x ...]

For each test module runs `PYTHON -m test -R 3:3 MOD` and
`refhunt --mode loop -R 3:3 -q -m unittest test.MOD`, and last the
injected-leak case (tests/parity/test_injected_leak.py, which leaks through
the leakref fixture extension), and prints a Markdown table. Needs Debian's
libpython3.11-testsuite (CPython's test package) and a debug build.
Exits 1 if any verdict differs.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Pure unittest modules that need no resource, pass regrtest's -R 3:3 on
# Debian's 3.11 debug build, and take seconds.
MODULES = """
test_abc test_augassign test_base64 test_binop test_bisect test_bool
test_colorsys test_contains test_copy test_dictviews test_difflib
test_fnmatch test_heapq test_int_literal test_keyword test_opcodes
test_operator test_pow test_reprlib test_shlex test_slice test_sort
test_string test_textwrap test_unary test_userlist test_userstring
""".split()


def cpu_of_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv, env, cwd, timeout=600):
    """Runs argv; (process or None, output, wall seconds, CPU seconds)."""
    start, cpu = time.monotonic(), cpu_of_children()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                              cwd=cwd, timeout=timeout, errors="replace")
        out = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired:
        proc, out = None, "timeout"
    return proc, out, time.monotonic() - start, cpu_of_children() - cpu


def regrtest_verdict(proc, output):
    if proc is None:
        return "timeout"
    if re.search(r"leaked \[[^]]*\] (references|memory blocks|file descriptors)", output) \
            and "(this is fine)" not in output.split("leaked")[-1][:80]:
        return "leak"
    if proc.returncode == 0 and "Tests result: SUCCESS" in output:
        return "clean"
    return "failed"


def refhunt_verdict(proc):
    if proc is None:
        return "timeout"
    return {0: "clean", 1: "leak"}.get(proc.returncode, "failed (%d)" % proc.returncode)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default="python3.11-dbg")
    ap.add_argument("--refhunt", default=os.path.join(ROOT, "build/src/refhunt"))
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "build/tests/fixtures"))
    ap.add_argument("modules", nargs="*", default=MODULES)
    args = ap.parse_args()

    env = dict(os.environ, PYTHONPATH=args.fixtures)
    env.pop("PYTHONHASHSEED", None)
    parity = os.path.join(ROOT, "tests", "parity")
    cases = [(m, [args.python, "-m", "test", "-R", "3:3", m],
              [args.refhunt, "--mode", "loop", "-R", "3:3", "-q", "-m",
               "unittest", "test." + m], None) for m in args.modules]
    cases.append(("test_injected_leak (fixture)",
                  [args.python, "-m", "test", "--testdir", parity, "-R", "3:3",
                   "test_injected_leak"],
                  [args.refhunt, "--mode", "loop", "-R", "3:3", "-q", "-m",
                   "unittest", "test_injected_leak"], parity))

    print("| module | regrtest -R 3:3 | refhunt --mode loop | regrtest wall s "
          "| refhunt wall s | regrtest CPU s | refhunt CPU s |")
    print("|---|---|---|---|---|---|---|")
    totals = [0.0, 0.0, 0.0, 0.0]
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, reg_argv, hunt_argv, cwd in cases:
            proc, out, wall_reg, cpu_reg = timed(reg_argv, env, cwd or tmp)
            reg = regrtest_verdict(proc, out)
            proc, _, wall_hunt, cpu_hunt = timed(hunt_argv, env, cwd or tmp)
            hunt = refhunt_verdict(proc)
            times = (wall_reg, wall_hunt, cpu_reg, cpu_hunt)
            totals = [a + b for a, b in zip(totals, times)]
            mark = "" if reg == hunt else " **differs**"
            mismatches += reg != hunt
            print("| %s | %s | %s%s | %.2f | %.2f | %.2f | %.2f |" % (
                (name, reg, hunt, mark) + times), flush=True)
    print("| **total** (%d modules, %d differ) | | | %.1f | %.1f | %.1f | %.1f |"
          % ((len(cases), mismatches) + tuple(totals)))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

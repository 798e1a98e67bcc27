#!/usr/bin/env python3
"""Verdicts and wall times of regrtest and refhunt on CPython's own tests.

    scripts/parity.py [--python python3.11-dbg] [--refhunt build/src/refhunt]
                      [--fixtures build/tests/fixtures] [test_x ...]

For each test module runs `PYTHON -m test -u all -R 3:3 MOD` and
`refhunt --mode loop -R 3:3 -q -m unittest test.MOD` (or, for a module with
a test_main(), which regrtest then runs, `-c "...; MOD.test_main()"`), and
last the injected-leak case (tests/parity/test_injected_leak.py, which
leaks through the leakref fixture extension), and prints a Markdown table:
each side's verdict with the metrics that leaked, and the times. Needs Debian's
libpython3.11-testsuite (CPython's test package) and a debug build, or
a build of scripts/get-cpython.sh (which installs the test package) with
--refhunt and --fixtures of a refhunt built against it.
Exits 1 if any verdict (clean, leak, failed, ...) differs; metrics that
differ inside the same verdict are marked, not counted, and so is a leak
of references alone that refhunt does not trust (a release-built
extension's inline reference counting) and calls clean on blocks.
Plain unittest enables every test resource, regrtest's -u all all but
tzdata and extralargefile: test_datetime then runs 3,500 tests under
refhunt (its complete zoneinfo tests) and 992 under regrtest (README).
"""
import argparse
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Pure unittest modules that need no resource and take seconds: the
# language and the pure-Python library.
EASY = """
test_abc test_augassign test_base64 test_binop test_bisect test_bool
test_colorsys test_contains test_copy test_dictviews test_difflib
test_fnmatch test_heapq test_int_literal test_keyword test_opcodes
test_operator test_pow test_reprlib test_shlex test_slice test_sort
test_string test_textwrap test_unary test_userlist test_userstring
""".split()

# What users run and what breaks a loop that is not regrtest's: modules
# that pickle (classes on __main__, copyreg reducers registered at import),
# register codecs, change warnings filters, register ABCs, run threads,
# and C-API-heavy ones (C accelerators, buffers, C types).
REAL = """
test_pickle test_pickletools test_copyreg test_re
test_codecs test_codeccallbacks test_charmapcodec test_unicode
test_warnings test_logging
test_collections test_typing test_array test_dataclasses test_enum
test_threading_local test_queue test_thread
test_struct test_bytes test_dict test_set test_json test_functools
test_itertools test_datetime test_decimal test_ctypes test_zlib
test_hashlib test_csv test_weakref test_descr test_exceptions
test_memoryio test_contextlib test_statistics
""".split()

MODULES = REAL + EASY

# --quick: 44 of them that take seconds each on a debug build, with the
# ones that run threads (what the free-threaded build changes).
QUICK = """
test_copyreg test_re test_codeccallbacks test_charmapcodec test_typing
test_array test_struct test_dict test_functools test_threading_local
test_thread test_contextlib test_memoryio test_ctypes test_zlib
test_enum test_dataclasses
""".split() + EASY

METRICS = (("references", "refs"), ("memory blocks", "blocks"),
           ("file descriptors", "fds"))


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
    """"leak (refs, blocks)", "clean", "failed" or "timeout"."""
    if proc is None:
        return "timeout"
    # regrtest prints a growth that is no leak by its rule too, marked
    # "(this is fine)": only the unmarked lines are leaks
    leaked = [key for noun, key in METRICS
              if re.search(r"leaked \[[^]]*\] %s, sum=-?\d+$" % noun, output,
                           re.M)]
    if leaked:
        return "leak (%s)" % ", ".join(leaked)
    if proc.returncode == 0 and "Tests result: SUCCESS" in output:
        return "clean"
    return "failed"


def refhunt_verdict(proc, report):
    if proc is None:
        return "timeout"
    if proc.returncode == 1 and report is not None:
        verdict = "leak (%s)" % ", ".join(report["leaks"])
    else:
        verdict = {0: "clean", 3: "failed", 4: "crashed", 5: "timeout"}.get(
            proc.returncode, "error (%d)" % proc.returncode)
    if report is not None and report.get("refs_trusted") is False:
        verdict += "; refs %s not trusted: %s" % (
            report["deltas"]["refs"], ", ".join(report["untrusted_refs"]))
    return verdict


def explained(reg, hunt):
    """A regrtest leak of references alone that refhunt does not trust
    (a release-built extension's inline reference counting drifts the
    total) and blocks call clean: regrtest's false positive, which refhunt
    names."""
    return reg == "leak (refs)" and hunt.startswith("clean; refs ")


def runner(python, module, env):
    """refhunt's target for a test module: -m unittest test.MOD, or, as
    regrtest does for a module that has one, its test_main() (test_decimal
    fails under plain unittest: it needs the contexts test_main sets up)."""
    probe = subprocess.run(
        [python, "-c", "import sys, test.%s as m; "
         "sys.exit(hasattr(m, 'test_main'))" % module],
        capture_output=True, env=env)
    if probe.returncode == 1:
        return ["-c", "from test import %s\n%s.test_main()" % (module, module)]
    return ["-m", "unittest", "test." + module]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--python", default="python3.11-dbg")
    ap.add_argument("--refhunt", default=os.path.join(ROOT, "build/src/refhunt"))
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "build/tests/fixtures"))
    ap.add_argument("--timeout", type=float, default=900,
                    help="seconds for one side of one module")
    ap.add_argument("--quick", action="store_true",
                    help="the %d modules of QUICK instead of all %d" % (
                        len(QUICK), len(MODULES)))
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    args.modules = args.modules or (QUICK if args.quick else MODULES)
    # the runs' working directory is a temporary one
    args.refhunt = os.path.abspath(args.refhunt)
    args.fixtures = os.path.abspath(args.fixtures)

    env = dict(os.environ, PYTHONPATH=args.fixtures)
    env.pop("PYTHONHASHSEED", None)
    parity = os.path.join(ROOT, "tests", "parity")
    cases = []
    for m in args.modules:
        target = runner(args.python, m, env)
        cases.append((m if target[0] == "-m" else m + " (its test_main)",
                      [args.python, "-m", "test", "-u", "all"], target, m,
                      None))
    cases.append(("test_injected_leak (fixture)",
                  [args.python, "-m", "test", "--testdir", parity],
                  ["-m", "unittest", "test_injected_leak"],
                  "test_injected_leak", parity))

    print("| module | regrtest -R 3:3 | refhunt --mode loop | regrtest wall s "
          "| refhunt wall s | regrtest CPU s | refhunt CPU s |")
    print("|---|---|---|---|---|---|---|")
    totals = [0.0, 0.0, 0.0, 0.0]
    mismatches = 0
    with tempfile.TemporaryDirectory() as tmp:
        reflog = os.path.join(tmp, "reflog.txt")    # not in the cwd
        report = os.path.join(tmp, "report.json")
        for name, reg_argv, names, module, cwd in cases:
            reg_argv = reg_argv + ["-R", "3:3:" + reflog, module]
            hunt_argv = [args.refhunt, "--mode", "loop", "-R", "3:3", "-q",
                         "--json", report] + names
            proc, out, wall_reg, cpu_reg = timed(reg_argv, env, cwd or tmp,
                                                 args.timeout)
            reg = regrtest_verdict(proc, out)
            if os.path.exists(report):
                os.unlink(report)
            proc, _, wall_hunt, cpu_hunt = timed(hunt_argv, env, cwd or tmp,
                                                 args.timeout)
            j = None
            if os.path.exists(report):
                with open(report) as f:
                    j = json.load(f)
            hunt = refhunt_verdict(proc, j)
            times = (wall_reg, wall_hunt, cpu_reg, cpu_hunt)
            totals = [a + b for a, b in zip(totals, times)]
            # the verdict is the status; which metrics leaked may differ
            # (3.11's regrtest subtracts sys._getquickenedcount() from the
            # blocks: see README)
            differs = reg.split(" (")[0] != hunt.split(" (")[0].split(";")[0]
            mark = " (regrtest's false positive: see README)" if \
                explained(reg, hunt) else " **differs**" if differs else \
                " (metrics differ)" if reg != hunt else ""
            mismatches += differs and not explained(reg, hunt)
            print("| %s | %s | %s%s | %.2f | %.2f | %.2f | %.2f |" % (
                (name, reg, hunt, mark) + times), flush=True)
    print("| **total** (%d modules, %d differ) | | | %.1f | %.1f | %.1f | %.1f |"
          % ((len(cases), mismatches) + tuple(totals)))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())

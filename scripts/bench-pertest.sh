#!/bin/sh
# What --per-test costs, measured: a generated pytest suite of 300 tests
# and CPython's test_json through unittest. For each suite:
#   - the per-test hunt (refhunt --per-test, -R 3:3: 6 runs a test);
#   - 6 plain runs of the suite in one interpreter, collected once (the
#     same test runs, without refhunt: no cleanup, no gc passes, no counters);
#   - a whole-module loop hunt (refhunt --mode loop, 6 rounds);
#   - the overhead per test run: (hunt - plain runs) / test runs, wall and
#     CPU;
#   - in the same hunt, what the configured gc passes alone cost per run on
#     that heap (timed around collect() in the worker), and the cleanup.
# Usage: sh scripts/bench-pertest.sh [BUILD_DIR]
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
refhunt=$(pwd)/$build/src/refhunt
python=$(sed -n 's/^Python [^,]*, //p' <<EOF
$("$refhunt" --version)
EOF
)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/suite"

# 10 modules of 30 tests: functions with a fixture, parametrized tests with
# a module fixture, methods of a class.
"$python" - "$tmp/suite" <<'EOF'
import os, sys
for m in range(int(os.environ.get("BENCH_MODULES", "10"))):
    with open(os.path.join(sys.argv[1], "test_gen_%02d.py" % m), "w") as f:
        f.write("import json, re\n\nimport pytest\n\n\n"
                "@pytest.fixture\ndef data():\n"
                "    return {'k': list(range(20))}\n\n\n"
                "@pytest.fixture(scope='module')\ndef shared():\n"
                "    return [str(i) for i in range(100)]\n\n\n")
        for i in range(10):
            f.write("def test_f%d(data):\n"
                    "    assert json.loads(json.dumps(data)) == data\n\n\n" % i)
        f.write("@pytest.mark.parametrize('n', range(10))\n"
                "def test_p(n, shared):\n"
                "    assert re.match(r'\\d+', shared[n])\n\n\n"
                "class TestC:\n")
        for i in range(10):
            f.write("    def test_m%d(self):\n"
                    "        assert sorted([3, 1, 2]) == [1, 2, 3]\n\n" % i)
EOF

"$python" - "$refhunt" "$python" "$tmp" <<'EOF'
import json, os, resource, subprocess, sys, time

refhunt, python, tmp = sys.argv[1:4]
RUNS = 6        # -R 3:3

PLAIN_PYTEST = r"""
import sys
import pytest
from _pytest.runner import runtestprotocol

class Plain:
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        items = session.items
        for _ in range(%d):
            for i, item in enumerate(items):
                runtestprotocol(item, log=False, nextitem=items[i + 1]
                                if i + 1 < len(items) else None)
        return True

sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "."], plugins=[Plain()]))
""" % RUNS

PLAIN_UNITTEST = r"""
import unittest
loader = unittest.TestLoader()
for _ in range(%d):
    loader.loadTestsFromName("test.test_json").run(unittest.TestResult())
""" % RUNS


def timed(argv, cwd, env=None):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    proc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc


def bench(name, runner_args, plain_code, cwd):
    bench_file = os.path.join(tmp, "bench.out")
    env = dict(os.environ, REFHUNT_BENCH_FILE=bench_file)
    hw, hc, hunt = timed([refhunt, "-q", "--per-test"] + runner_args, cwd, env)
    verdict = hunt.stdout.strip().splitlines()[-1]
    with open(bench_file) as f:
        stats = json.load(f)
    runs = int(stats["runs"])
    gc_run = float(stats["gc"]) / runs
    gc_cpu = float(stats["gc_cpu"]) / runs
    cleanup_run = float(stats["cleanup"]) / runs
    cleanup_cpu = float(stats["cleanup_cpu"]) / runs
    pw, pc, plain = timed([python, "-c", plain_code], cwd)
    lw, lc, loop = timed([refhunt, "-q", "--mode", "loop"] + runner_args, cwd)
    over_wall = (hw - pw) / runs
    over_cpu = (hc - pc) / runs
    print("## %s" % name)
    print(verdict)
    print("| measured | wall s | CPU s |")
    print("|---|---|---|")
    print("| per-test hunt (%d test runs) | %.1f | %.1f |" % (runs, hw, hc))
    print("| %d plain runs of the suite, one interpreter | %.1f | %.1f |"
          % (RUNS, pw, pc))
    print("| whole-module loop hunt (%d rounds) | %.1f | %.1f |" % (RUNS, lw, lc))
    print("| overhead per test run: (hunt - plain) / runs | %.1f ms | %.1f ms |"
          % (1000 * over_wall, 1000 * over_cpu))
    print("| gc passes alone, per run, in the hunt (the floor) | %.1f ms | %.1f ms |"
          % (1000 * gc_run, 1000 * gc_cpu))
    print("| cleanup per run, in the hunt (%s of %d runs moved the heap) | "
          "%.2f ms | %.2f ms |" % (stats["cleanups"], runs,
                                   1000 * cleanup_run, 1000 * cleanup_cpu))
    print("| overhead / floor | %.2f | %.2f |" % (over_wall / gc_run,
                                                  over_cpu / gc_cpu))
    print()


bench("generated pytest suite, %d tests" % (
    30 * int(os.environ.get("BENCH_MODULES", "10"))), ["-m", "pytest", "."],
      PLAIN_PYTEST, os.path.join(tmp, "suite"))
bench("CPython's test_json, unittest", ["-m", "unittest", "test.test_json"],
      PLAIN_UNITTEST, tmp)
EOF

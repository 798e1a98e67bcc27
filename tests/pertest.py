#!/usr/bin/env python3
"""End-to-end tests of --per-test, with the helpers of e2e.py.

    pertest.py --list                          the test names
    pertest.py REFHUNT FIXTURES PYTHON NAME    run one (exit 0, 1, or 77 skip)

The suites in suites/ say in their docstrings which of their tests leak,
fail, crash, skip or xfail; the verdicts must name exactly those. One test
checks the verdicts against a measurement of its own: each unittest test
run again and again in a plain python loop, with sys.gettotalrefcount().
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import ci
import e2e
from e2e import Skip, expect, refhunt

SUITES = os.path.join(e2e.HERE, "suites")
TESTS = {}

PT = "test_pt_suite.py::"
PT_LEAK = {PT + t for t in ("test_leaks", "test_leaky_fixture",
                             "test_param[1]", "TestGroup::test_b",
                             "test_after_crash")}
PT_CLEAN = {PT + t for t in ("test_clean", "test_param[0]", "test_param[2]",
                             "TestGroup::test_a", "test_last_clean")}
PT_OTHER = {PT + "test_fails": "failed", PT + "test_crash": "crashed",
            PT + "test_skipped": "skipped", PT + "test_hang": "skipped",
            PT + "test_xfail": "xfailed"}

UT = "test_ut_suite."
UT_LEAK = {UT + t for t in ("Leaky.test_x", "Other.test_after",
                             "Other.test_leak")}
UT_CLEAN = {UT + t for t in ("Clean.test_a", "Clean.test_subtests",
                              "Other.test_z_clean")}
UT_OTHER = {UT + "Other.test_fail": "failed", UT + "Other.test_crash":
            "crashed", UT + "Other.test_skip": "skipped",
            UT + "Other.test_xfail": "xfailed"}


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


def need_pytest():
    if subprocess.run([e2e.PYTHON, "-c", "import pytest"],
                      capture_output=True).returncode != 0:
        raise Skip("no pytest for %s" % e2e.PYTHON)


def per_test(*args, extra_env={}):
    return refhunt("--per-test", *args, cwd=SUITES, extra_env=extra_env,
                   timeout=600)


def refs_counted(r):
    """Whether the report's interpreter counts references (a debug build);
    a --bisect report says so in none of its fields: ask the interpreter."""
    return subprocess.run([e2e.PYTHON, "-c",
                           "import sys; sys.gettotalrefcount"],
                          capture_output=True).returncode == 0


def statuses(r):
    return {t["id"]: t["status"] for t in r.json["tests"]}


def expect_verdicts(r, leak, clean, other):
    """Exactly these tests leak, these are clean, the others have the
    status given; the JSON and the text agree."""
    got = statuses(r)
    expect(set(got) == leak | clean | set(other),
           "every collected test has a verdict: %s" % sorted(got), r)
    expect({t for t, s in got.items() if s == "leak"} == leak,
           "exactly the leaking tests leak: %s" % sorted(
               t for t, s in got.items() if s == "leak"), r)
    expect({t for t, s in got.items() if s == "clean"} == clean,
           "the clean tests are clean", r)
    for t, status in other.items():
        expect(got[t] == status, "%s is %s, not %s" % (t, status, got[t]), r)
    for t in r.json["tests"]:
        for key in ("id", "status", "leaks", "deltas", "message"):
            expect(key in t, "a test's JSON has %r" % key, r)
        if t["status"] == "leak":
            expect("blocks" in t["leaks"], "%s leaks blocks" % t["id"], r)
            line = re.search(r"^%s leaked \[(\d+(, \d+)*)\] memory blocks, "
                             r"sum=\d+$" % re.escape(t["id"]), r.out, re.M)
            expect(line, "regrtest's line for %s" % t["id"], r)
            expect([int(x) for x in line.group(1).split(", ")] ==
                   t["deltas"]["blocks"], "printed deltas are the JSON's", r)
        else:
            expect(not re.search(r"^%s leaked" % re.escape(t["id"]), r.out,
                                 re.M), "no leak line for %s" % t["id"], r)
    counts = {}
    for s in got.values():
        counts[s] = counts.get(s, 0) + 1
    summary = re.search(r"^refhunt: .*: (\d+) tests: (.*) (\d+) clean", r.out,
                        re.M)
    expect(summary and int(summary.group(1)) == len(got) and
           int(summary.group(3)) == counts.get("clean", 0), "the summary", r)
    for s in ("leak", "failed", "crashed", "skipped", "xfailed"):
        if counts.get(s):
            expect("%d %s," % (counts[s], s) in summary.group(2),
                   "the summary counts %s" % s, r)


@test
def test_pytest_verdicts():
    need_pytest()
    r = per_test("-q", "-m", "pytest", "test_pt_suite.py")
    expect(r.rc == 4, "a crashed test: exit 4", r)
    expect(r.json["per_test"] and r.json["mode"] == "loop", "loop mode", r)
    expect_verdicts(r, PT_LEAK, PT_CLEAN, PT_OTHER)
    # -q: pytest's own message for the failing test
    expect("assert [1, 2] == [1, 3]" in r.out and
           "FAILED test_pt_suite.py::test_fails" in r.out,
           "pytest's message for the failing test", r)
    crashed = [t for t in r.json["tests"] if t["status"] == "crashed"][0]
    expect("SIGSEGV" in crashed["message"] and "test_crash" in
           crashed["message"], "the crash, with the test's frame", r)


@test
def test_plain_loop_confirms_pytest_leaks():
    """scripts/confirm-leaks.py, README's check of a report's leaks by an
    independent plain pytest loop, confirms each of the suite's 5 with
    refhunt's deltas (one object a run)."""
    need_pytest()
    if not refs_counted(None):
        raise Skip("the plain loop reads sys.gettotalrefcount(): debug "
                   "builds only")
    r = per_test("-q", "-m", "pytest", "test_pt_suite.py")
    expect_verdicts(r, PT_LEAK, PT_CLEAN, PT_OTHER)
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        with open(report, "w") as f:
            json.dump(r.json, f)
        loop = subprocess.run(
            [sys.executable, os.path.join(os.path.dirname(e2e.HERE),
                                          "scripts", "confirm-leaks.py"),
             "--python", e2e.PYTHON, report],
            cwd=SUITES, capture_output=True, text=True, timeout=600,
            env=e2e.independent_env())
    expect(loop.returncode == 0 and "5 leaks: 5 confirmed with the same "
           "deltas, 0 with other deltas, 0 not confirmed" in loop.stdout,
           "the plain loop confirms every leak: %s%s" % (loop.stdout,
                                                          loop.stderr))
    for t in PT_LEAK:
        expect(re.search(r"^%s: refhunt .*blocks \[1, 1, 1\].*: confirmed"
                         % re.escape(t), loop.stdout, re.M),
               "%s: one block a run on both sides" % t, loop.stdout)


@test
def test_unittest_verdicts():
    r = per_test("-q", "-m", "unittest", "test_ut_suite.py")
    expect(r.rc == 4, "a crashed test: exit 4", r)
    expect_verdicts(r, UT_LEAK, UT_CLEAN, UT_OTHER)
    expect("AssertionError: Lists differ" in r.out, "unittest's message", r)


def kept_line(suite, needle, nth=1):
    """"suite.py:N", the nth line of the suite's source that has needle."""
    with open(os.path.join(SUITES, suite)) as f:
        found = [n for n, line in enumerate(f, 1) if needle in line]
    return "%s:%d" % (suite, found[nth - 1])


def python_version():
    out = subprocess.run([e2e.PYTHON, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split())


def expect_test_sites(r, where):
    """Each leaking test lists the one site its tracked runs kept a block
    at (the test's own line first), one block a run, an object on 3.13+
    (the reference tracer names it); every other test lists none."""
    typed = python_version() >= (3, 13)
    tracked = list(range(r.json["warmups"] + 1,
                         r.json["warmups"] + r.json["tracked"] + 1))
    for t in r.json["tests"]:
        if t["id"] not in where:
            expect(t["trace"] == [], "%s: no site: %r" % (t["id"], t["trace"]), r)
            continue
        mine = [x for x in t["trace"] if x["traceback"][0].endswith(where[t["id"]])]
        # (at least one: a run whose append moves the shared list's items
        # moves their block to this site too)
        expect([x["run"] for x in mine] == tracked and
               all(x["count"] >= 1 for x in mine),
               "%s: blocks in every tracked run at %s: %r" % (
                   t["id"], where[t["id"]], t["trace"]), r)
        want = [{"type": "object", "count": 1}] if typed else []
        expect(all(x["types"] == want for x in mine),
               "%s: types %r" % (t["id"], [x["types"] for x in mine]), r)
    expect(r.out.count("the tracked rounds kept blocks allocated at") == len(where),
           "the text lists the sites under each leaking test", r)


@test
def test_trace_blocks_per_test():
    """--trace-blocks with --per-test: per test, the sites of the blocks its
    tracked runs kept, the same verdicts and deltas as without it."""
    plain = per_test("-q", "-m", "unittest", "test_ut_suite.py")
    r = per_test("-q", "--trace-blocks", "-m", "unittest", "test_ut_suite.py")
    expect_verdicts(r, UT_LEAK, UT_CLEAN, UT_OTHER)
    expect({t["id"]: t["deltas"] for t in r.json["tests"]} ==
           {t["id"]: t["deltas"] for t in plain.json["tests"]},
           "the deltas are those without --trace-blocks", r)
    src = "test_ut_suite.py"
    expect_test_sites(r, {
        UT + "Leaky.test_x": kept_line(src, "_kept.append(object())", 1),
        UT + "Other.test_after": kept_line(src, "_kept.append(object())", 2),
        UT + "Other.test_leak": kept_line(src, "_kept.append(object())", 3)})


@test
def test_trace_blocks_per_test_pytest():
    need_pytest()
    r = per_test("-q", "--trace-blocks", "-m", "pytest", "test_pt_suite.py")
    expect_verdicts(r, PT_LEAK, PT_CLEAN, PT_OTHER)
    src = "test_pt_suite.py"
    expect_test_sites(r, {
        PT + "test_leaky_fixture": kept_line(src, "_kept.append(object())", 1),
        PT + "test_leaks": kept_line(src, "_kept.append(object())", 2),
        PT + "test_param[1]": kept_line(src, "_kept.append(object())", 3),
        PT + "TestGroup::test_b": kept_line(src, "_kept.append(object())", 4),
        PT + "test_after_crash": kept_line(src, "_kept.append(object())", 6)})
    # pytest's and pluggy's frames called the test: summed up as the
    # standard library's are, after the test's line
    for t in r.json["tests"]:
        for x in t["trace"]:
            lines = x["traceback"]
            expect(not any("-packages/" in line for line in lines) and
                   lines[-1].startswith("(+") and "_pytest" in lines[-1],
                   "%s: pytest's frames summed up: %r" % (t["id"], lines), r)


@test
def test_resume_keeps_verdicts():
    """The hunt goes on after the crash in a new worker: tests after it
    have verdicts, and without the crash the same verdicts come in one."""
    r = per_test("-v", "-m", "unittest", "test_ut_suite.py")
    expect("refhunt: 2 workers" in r.out, "a second worker after the crash",
           r)
    again = per_test("-v", "-m", "unittest", "test_ut_suite.py",
                     extra_env={"PERTEST_CRASH": "0"})
    expect(again.rc == 3, "a failed test, no crash: exit 3", again)
    expect("refhunt: 1 worker" in again.out, "one worker", again)
    before = statuses(r)
    after = statuses(again)
    expect(after.pop(UT + "Other.test_crash") == "clean", "no crash", again)
    before.pop(UT + "Other.test_crash")
    expect(before == after, "the same verdicts either way", again)


@test
def test_c_extension_leak():
    """A leak in C (the leakref fixture) names its test, not its module."""
    r = refhunt("-q", "--per-test", "-m", "unittest", "test_injected_leak",
                cwd=os.path.join(e2e.HERE, "parity"))
    expect(r.rc == 1, "a leak: exit 1", r)
    expect(statuses(r) == {
        "test_injected_leak.InjectedLeakTest.test_leaks_one_reference": "leak",
        "test_injected_leak.InjectedLeakTest.test_clean": "clean"},
        "the leaking test only", r)


@test
def test_untrusted_refs_per_test():
    """A release-built extension drifts the refs total: its test's refs
    do not decide (blocks do), a real block leak still leaks."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_ext.py"), "w") as f:
            f.write("import unittest\nimport releasebuilt\n\n"
                    "class Ext(unittest.TestCase):\n"
                    "    def test_drift(self):\n        releasebuilt.drift()\n\n"
                    "    def test_leak_block(self):\n"
                    "        releasebuilt.leak_block()\n")
        r = refhunt("-q", "--per-test", "-m", "unittest", "test_ext",
                    cwd=tmp)
    if not r.json["python"]["refs_available"]:
        raise Skip("no refs on a release build")
    expect(statuses(r) == {"test_ext.Ext.test_drift": "clean",
                           "test_ext.Ext.test_leak_block": "leak"},
           "the drift is no leak, the block leak is one", r)
    drift = [t for t in r.json["tests"] if t["id"].endswith("drift")][0]
    expect(drift["refs_trusted"] is False and
           drift["untrusted_refs"] == ["releasebuilt"] and
           all(d >= 1 for d in drift["deltas"]["refs"]),
           "refs shown, not trusted", r)
    expect("test_ext.Ext.test_drift: references [" in r.out and
           "not trusted: releasebuilt" in r.out, "the text says why", r)
    expect(drift["refs_unjudged_leak"] is True, "refs_unjudged_leak", r)
    expect("1 clean (1 with references not judged that would leak)" in r.out,
           "the summary does not call it a plain clean", r)


@test
def test_module_file_name_not_utf8():
    """A test file whose name is not UTF-8 (test_caf\\xe9.py): python -m
    unittest runs it, so does --per-test (its ids failed to encode), and
    --bisect tests; the JSON has the id with U+FFFD, the text its bytes."""
    name = b"test_caf\xe9.py"
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(os.fsencode(tmp), name), "w") as f:
            f.write("import unittest\n\nimport leakref\n\n"
                    "class T(unittest.TestCase):\n"
                    "    def test_clean(self):\n        pass\n\n"
                    "    def test_leak(self):\n"
                    "        leakref.leak(object())\n")
        plain = subprocess.run([e2e.PYTHON, "-m", "unittest", name], cwd=tmp,
                               capture_output=True,
                               env=e2e.independent_env())
        expect(plain.returncode == 0 and b"Ran 2 tests" in plain.stderr,
               "python -m unittest runs it: %r" % plain.stderr)
        r = refhunt("-q", "--per-test", "-m", "unittest", name, cwd=tmp)
        expect(r.rc == 1, "a leak: exit 1", r)
        expect(statuses(r) == {"test_caf\ufffd.T.test_clean": "clean",
                               "test_caf\ufffd.T.test_leak": "leak"},
               "each test its verdict", r)
        expect(re.search(r"^test_caf\ufffd\.T\.test_leak leaked \[1, 1, 1\] "
                         r"memory blocks", r.out, re.M), "the leak line", r)
        for mode in ("reinit", "loop"):
            if mode == "reinit" and e2e.reinit_keeps_py_imports():
                continue    # 3.9: every probe leaks, test_clean's too
            r = e2e.bisect("--bisect", "tests", "--mode", mode, "-m",
                           "unittest", name, cwd=tmp)
            expect(r.rc == 1 and [c["test"] for c in r.json["culprits"]] ==
                   ["test_caf\ufffd.T.test_leak"],
                   "%s: bisect tests names it" % mode, r)


@test
def test_timeout():
    need_pytest()
    r = per_test("-q", "--timeout", "3", "-m", "pytest", PT + "test_hang",
                 PT + "test_leaks", extra_env={"PERTEST_HANG": "1"})
    expect(r.rc == 5, "a test timed out: exit 5", r)
    got = statuses(r)
    expect(got == {PT + "test_hang": "timeout", PT + "test_leaks": "leak"},
           "the hang timed out, the next test was hunted", r)
    hang = r.json["tests"][0]
    expect("time.sleep" in hang["message"] or "test_hang" in
           hang["message"], "where it hung", r)


@test
def test_timeout_unittest():
    """The same without pytest: a hanging unittest test, then the next."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_hangs.py"), "w") as f:
            f.write("import time, unittest\nkept = []\n\n"
                    "class H(unittest.TestCase):\n"
                    "    def test_a_hang(self):\n        time.sleep(600)\n\n"
                    "    def test_b_leak(self):\n"
                    "        kept.append(object())\n")
        r = refhunt("-q", "--per-test", "--timeout", "3", "-m", "unittest",
                    "test_hangs.py", cwd=tmp)
    expect(r.rc == 5, "a test timed out: exit 5", r)
    expect(statuses(r) == {"test_hangs.H.test_a_hang": "timeout",
                           "test_hangs.H.test_b_leak": "leak"},
           "the hang timed out, the next test was hunted", r)
    expect("test_a_hang" in r.json["tests"][0]["message"],
           "the stuck frame is in the message", r)


@test
def test_collection_error():
    """-q still shows pytest's own message for a collection error."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_broken.py"), "w") as f:
            f.write("import no_such_module_here\n\ndef test_x():\n    pass\n")
        r = refhunt("-q", "--per-test", "-m", "pytest", "test_broken.py",
                    cwd=tmp)
        # and without --per-test: pytest's report is on stdout, which -q
        # captures; its last lines come with the verdict
        plain = refhunt("-q", "--mode", "loop", "-m", "pytest",
                        "test_broken.py", cwd=tmp)
    expect(plain.rc == 3 and "ERROR collecting test_broken.py" in plain.out
           and "No module named 'no_such_module_here'" in plain.out,
           "a plain -q hunt shows pytest's message too", plain)
    expect(r.rc == 3, "a collection error: exit 3", r)
    expect(r.json["status"] == "failed" and r.json["tests"] == [],
           "failed, no tests", r)
    expect("ERROR collecting test_broken.py" in r.out and
           "no_such_module_here" in r.out, "pytest's message", r)


# A module whose __getattr__ answers every name, as hypothesis.errors has.
ANSWERS_ALL = """import sys, types
answers = types.ModuleType("answers_all")
exec("def __getattr__(name):\\n    return name", answers.__dict__)
sys.modules["answers_all"] = answers
"""


@test
def test_module_getattr():
    """The cleanup reads a module's own __dict__: a module __getattr__
    that answers every name (hypothesis.errors) breaks no test."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_answers.py"), "w") as f:
            f.write(ANSWERS_ALL + "\nstash = []\n\n"
                    "def test_clean():\n    pass\n\n"
                    "def test_leaks():\n    stash.append(object())\n")
        r = refhunt("-q", "--per-test", "-m", "pytest", "test_answers.py",
                    cwd=tmp)
        loop = refhunt("-q", "--mode", "loop", "-c",
                       ANSWERS_ALL + "sys.modules['answers_all'].x = []",
                       cwd=tmp)
    expect(r.rc == 1, "a leak: exit 1", r)
    expect(statuses(r) == {"test_answers.py::test_clean": "clean",
                           "test_answers.py::test_leaks": "leak"},
           "each test its verdict", r)
    expect(loop.rc == 0 and loop.json["status"] == "clean",
           "a loop hunt of it is clean", loop)


@test
def test_own_cleanup_error():
    """An exception in refhunt's own cleanup is refhunt's error: its
    traceback, no verdict for the test under way, and no blame on it."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_breaks.py"), "w") as f:
            # the cleanup clears _strptime's cache; this one refuses
            f.write("import sys, types\n\n"
                    "class Refuses(dict):\n"
                    "    def clear(self):\n"
                    "        raise RuntimeError('no clearing')\n\n"
                    "def test_first():\n    pass\n\n"
                    "def test_breaks():\n"
                    "    sys.modules['_strptime'] = types.SimpleNamespace("
                    "_regex_cache=Refuses())\n\n"
                    "def test_after():\n    pass\n")
        r = refhunt("--per-test", "-m", "pytest", "test_breaks.py", cwd=tmp)
    expect(r.rc == 3, "refhunt's error: exit 3", r)
    expect(statuses(r) == {"test_breaks.py::test_first": "clean"},
           "the test under way has no verdict", r)
    expect("INTERNALERROR" not in r.out + r.err, "no pytest INTERNALERROR", r)
    expect("RuntimeError: no clearing" in r.err and "in _clear_module_caches"
           in r.err, "the traceback on stderr", r)
    expect(re.search(r"^refhunt: .*failed: refhunt's own cleanup failed "
                     r"after run 1 of test_breaks.py::test_breaks: an error "
                     r"in refhunt, not in the test; 1 test: 1 clean, 2 not "
                     r"run", r.out, re.M), "the report says whose error", r)
    expect("refhunt's own cleanup failed" in r.json["message"],
           "and the JSON", r)


SHUFFLED = {
    # as pytest-randomly: every process collects in an order of its own
    "conftest.py": "import os, random\n\n"
                   "def pytest_collection_modifyitems(items):\n"
                   "    random.Random(os.getpid()).shuffle(items)\n",
    "test_shuffled.py": "import ctypes\n\nstash = []\n\n" + "".join(
        "def test_clean_%d():\n    pass\n\n" % i for i in range(6)) +
        "def test_leaks():\n    stash.append(object())\n\n"
        "def test_crash():\n    ctypes.string_at(0)\n\n"
        "def test_crash_too():\n    ctypes.string_at(0)\n",
}


def write_files(tmp, files):
    for name, text in files.items():
        with open(os.path.join(tmp, name), "w") as f:
            f.write(text)


@test
def test_resume_by_id():
    """A new worker after a crash hunts the tests not hunted yet by id,
    whatever order it collects them in: each test once, and the report in
    the first worker's collection order."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        write_files(tmp, SHUFFLED)
        r = refhunt("-q", "-v", "--per-test", "-m", "pytest",
                    "test_shuffled.py", cwd=tmp)
    ids = [t["id"] for t in r.json["tests"]]
    expect(len(ids) == len(set(ids)) == 9, "each test once: %s" % ids, r)
    want = {"test_shuffled.py::test_clean_%d" % i: "clean" for i in range(6)}
    want.update({"test_shuffled.py::test_leaks": "leak",
                 "test_shuffled.py::test_crash": "crashed",
                 "test_shuffled.py::test_crash_too": "crashed"})
    expect(statuses(r) == want, "every verdict", r)
    # a worker after each crash, unless it was the last test left
    expect(re.search(r"^refhunt: [23] workers$", r.out, re.M),
           "a worker after a crash", r)
    expect(r.json["collected"] == 9, "all collected", r)


TEARDOWN = {
    "test_m1.py": "import ctypes, os, unittest\n\n"
                  "def tearDownModule():\n"
                  "    if os.environ.get('M1_TEARDOWN') == 'crash':\n"
                  "        ctypes.string_at(0)\n"
                  "    raise RuntimeError('tearDownModule of test_m1')\n\n"
                  "class A(unittest.TestCase):\n"
                  "    def test_a(self):\n        pass\n",
    "test_m2.py": "import unittest\n\nstash = []\n\n"
                  "class B(unittest.TestCase):\n"
                  "    def test_b_leak(self):\n"
                  "        stash.append(object())\n",
}


@test
def test_module_teardown_owner():
    """tearDownModule of test_m1 is charged to test_m1 (its last test, as
    pytest charges a module fixture's teardown), never to test_m2's first
    test, which keeps its verdict; plain unittest's name for it shows."""
    with tempfile.TemporaryDirectory() as tmp:
        write_files(tmp, TEARDOWN)
        r = refhunt("-q", "--per-test", "-m", "unittest", "test_m1",
                    "test_m2", cwd=tmp)
        crash = refhunt("-q", "--per-test", "-m", "unittest", "test_m1",
                        "test_m2", cwd=tmp,
                        extra_env={"M1_TEARDOWN": "crash"})
    expect(statuses(r) == {"test_m1.A.test_a": "failed",
                           "test_m2.B.test_b_leak": "leak"},
           "the exception is test_m1's", r)
    message = r.json["tests"][0]["message"]
    expect("tearDownModule (test_m1)" in message and
           "RuntimeError: tearDownModule of test_m1" in message,
           "unittest's words for it", r)
    expect(statuses(crash) == {"test_m1.A.test_a": "crashed",
                               "test_m2.B.test_b_leak": "leak"},
           "the crash is test_m1's", crash)


NEWLINE_IDS = {
    "test_nl.py": "import os, unittest\n\n"
                  "class T(unittest.TestCase):\n"
                  "    def id(self):\n"
                  "        return super().id() + '\\nsecond line'\n\n"
                  "    def test_fd(self):\n"
                  "        os.open(os.devnull, 0)\n\n"
                  "    def test_fails(self):\n"
                  "        raise ValueError('no')\n",
}


@test
def test_newline_in_test_id():
    """A test id with a newline is one line of the text, quoted as the
    text quotes a target's name ($'...\\n...'); the JSON keeps it as it
    is. Its leak line and its failure line were printed raw: two lines,
    the second beginning "second line"."""
    with tempfile.TemporaryDirectory() as tmp:
        write_files(tmp, NEWLINE_IDS)
        r = refhunt("-q", "-R", "1:2", "--per-test", "-m", "unittest",
                    "test_nl", cwd=tmp)
    fd = "test_nl.T.test_fd\nsecond line"
    fails = "test_nl.T.test_fails\nsecond line"
    expect(statuses(r) == {fd: "leak", fails: "failed"},
           "the ids in the JSON as they are", r)
    expect(re.search(r"^\$'test_nl\.T\.test_fd\\nsecond line' leaked "
                     r"\[1, 1\] file descriptors, sum=2$", r.out, re.M),
           "the leak line, the id quoted", r)
    expect(re.search(r"^\$'test_nl\.T\.test_fails\\nsecond line' failed "
                     r"in run 1: .*ValueError: no$", r.out, re.M),
           "the failure line, the id quoted", r)
    expect(not re.search(r"^second line", r.out, re.M),
           "no line begins with the id's second line", r)


EXT_LEAK = {"test_ext_kinds.Kinds." + t for t in (
    "test_ref", "test_block", "test_module_state", "test_nogc_cycle",
    "test_wrapper_cycle", "test_fd", "test_heap_walk_leak")}
EXT_CLEAN = {"test_ext_kinds.Kinds." + t for t in (
    "test_gc_cycle", "test_clean", "test_drops_old_cycles",
    "test_sees_whole_heap")}


@test
def test_screen_is_exact():
    """The screen (a frozen heap) and --no-screen give the same verdicts
    and deltas on C extensions with several kinds of leak: a test whose
    screened deltas could be a leak, or are not those of the exact way
    (test_drops_old_cycles frees cycles the frozen heap hid), is measured
    the exact way from the check's reading on: its 3 tracked runs again,
    not all 6; a test that asks for the whole heap gets it.
    Without a refs total (release builds) a reference the test drops
    changes no counter unless its object is freed, so a clean test whose
    screened deltas are all 0 may free what the frozen heap hid in the
    exact way (3.11.7: test_drops_old_cycles 0 screened, -2 blocks a run
    exact): there a clean test's screened deltas are at least the exact
    ones (the verdict is the same), and a leaking test's are the same."""
    with tempfile.TemporaryDirectory() as tmp:
        bench = os.path.join(tmp, "bench.json")
        screened = per_test("-q", "-m", "unittest", "test_ext_kinds",
                            extra_env={"REFHUNT_BENCH_FILE": bench})
        with open(bench) as f:
            stats = json.load(f)
    exact = per_test("-q", "--no-screen", "-m", "unittest", "test_ext_kinds")
    for r in (screened, exact):
        expect(r.rc == 1, "leaks: exit 1", r)
        expect(statuses(r) == {**{t: "leak" for t in EXT_LEAK},
                               **{t: "clean" for t in EXT_CLEAN}},
               "exactly the leaking tests leak", r)
    deltas = {t["id"]: t["deltas"] for t in screened.json["tests"]}
    exact_deltas = {t["id"]: t["deltas"] for t in exact.json["tests"]}
    refs = refs_counted(screened)
    for t in EXT_LEAK | EXT_CLEAN:
        if refs or t in EXT_LEAK:
            expect(deltas[t] == exact_deltas[t], "%s: the same deltas" % t,
                   screened)
            continue
        expect(all(a >= b for m in deltas[t] if deltas[t][m] is not None
                   for a, b in zip(deltas[t][m], exact_deltas[t][m])),
               "%s: %r at least the exact %r" % (t, deltas[t],
                                                  exact_deltas[t]), screened)
    # the gc passes and readings ("runs"): every test's 6; for each
    # measured the exact way, its 3 tracked runs' and the last warm-up's
    # again (no run), not 6; 6 for each screened again
    again = "test_ext_kinds.Kinds.test_heap_walk_leak"    # it thaws the heap
    expect(again in stats["again_ids"] and stats["runs"] ==
           6 * len(EXT_LEAK | EXT_CLEAN) + 4 * len(stats["again_ids"]) +
           6 * len(stats["screened_again_ids"]),
           "measured again from the check's reading: 3 runs more: %r"
           % stats, screened)
    kept = "refs" if refs else "blocks"     # leakref keeps an object()
    expect(deltas["test_ext_kinds.Kinds.test_ref"][kept] == [1, 1, 1] and
           deltas["test_ext_kinds.Kinds.test_fd"]["fds"] == [1, 1, 1],
           "one a run", screened)


TORN_DOWN_PYTEST = """import pytest

_kept = []


class Node:
    def __init__(self):
        self.me = self          # a cycle: only the gc frees it


@pytest.fixture(scope="class")
def nodes():
    return [Node() for _ in range(100)]


def test_leaks_first():
    _kept.append(object())


class TestUses:
    def test_first(self, nodes):
        assert nodes

    def test_second(self, nodes):
        assert nodes            # then the class fixture goes


class TestAfter:
    def test_leaks(self):
        _kept.append(object())

    def test_clean(self):
        pass
"""

TORN_DOWN_UNITTEST = """import unittest

_kept = []


class Node:
    def __init__(self):
        self.me = self          # a cycle: only the gc frees it


class Test1(unittest.TestCase):
    def test_leaks_first(self):
        _kept.append(object())


class Test2Uses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.nodes = [Node() for _ in range(100)]

    @classmethod
    def tearDownClass(cls):
        del cls.nodes

    def test_first(self):
        self.assertTrue(self.nodes)

    def test_second(self):
        self.assertTrue(self.nodes)     # then tearDownClass


class Test3After(unittest.TestCase):
    def test_clean(self):
        pass

    def test_leaks(self):
        _kept.append(object())
"""


@test
def test_screen_past_torn_down_fixtures():
    """Garbage older than a test's runs, in the frozen heap: what the
    suite's collection left when the heap was first frozen (which
    test_leaks_first's check finds), and fixtures torn down between two
    tests (the nodes, frozen from test_second on, which test_leaks's check
    finds). A test whose check finds such garbage has its runs screened
    again on the heap the check emptied, not measured again the exact way
    with gc passes over the whole heap (10 s a test over NumPy's heap, and
    most of the time of a batch of test_umath): the same verdicts and
    deltas as --no-screen. pytest (a class fixture) and unittest
    (setUpClass, tearDownClass)."""
    # the ids in order, the leaks marked
    runners = [("unittest", TORN_DOWN_UNITTEST, "test_torn.",
                ("+Test1.test_leaks_first", "Test2Uses.test_first",
                 "Test2Uses.test_second", "Test3After.test_clean",
                 "+Test3After.test_leaks"))]
    try:
        need_pytest()
        runners.append(("pytest", TORN_DOWN_PYTEST, "test_torn.py::",
                        ("+test_leaks_first", "TestUses::test_first",
                         "TestUses::test_second", "+TestAfter::test_leaks",
                         "TestAfter::test_clean")))
    except Skip:
        pass
    for runner, suite, prefix, names in runners:
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "test_torn.py"), "w") as f:
                f.write(suite)
            bench = os.path.join(tmp, "bench.json")
            args = ("-q", "--per-test", "-m", runner) + (
                ("-p", "no:cacheprovider", "test_torn.py")
                if runner == "pytest" else ("test_torn",))
            screened = refhunt(*args, cwd=tmp, timeout=600,
                               extra_env={"REFHUNT_BENCH_FILE": bench})
            with open(bench) as f:
                stats = json.load(f)
            exact = refhunt("--no-screen", *args, cwd=tmp, timeout=600)
        ids = [prefix + name.lstrip("+") for name in names]
        first, leaks = [prefix + name[1:] for name in names
                        if name.startswith("+")]
        for r in (screened, exact):
            expect(r.rc == 1 and [(t["id"], t["status"]) for t in
                                  r.json["tests"]] ==
                   [(t, "leak" if t in (first, leaks) else "clean")
                    for t in ids], "%s: the leaks, and only they" % runner,
                   r)
        expect([t["deltas"] for t in screened.json["tests"]] ==
               [t["deltas"] for t in exact.json["tests"]],
               "%s: the deltas of the exact way" % runner, screened)
        kept = "refs" if refs_counted(screened) else "blocks"
        expect([t["deltas"][kept] for t in screened.json["tests"]
                if t["status"] == "leak"] == [[1, 1, 1]] * 2,
               "%s: one object a run" % runner, screened)
        expect(stats["screened_again_ids"] == [first, leaks] and
               stats["again_ids"] == [],
               "%s: screened again, not measured the exact way: %r"
               % (runner, stats), screened)


SLOW_RUN_UNITTEST = """import gc
import time
import unittest

_kept = []


class Node:
    def __init__(self):
        self.me = self          # a cycle: only the gc frees it


_old = [Node()]


class Test1(unittest.TestCase):
    def test_slow(self):
        # 1.5 times what refhunt takes for not worth screening: 10 times
        # the 3 gc passes over the frozen heap, at 2 us an object (its
        # figure before it has timed a pass: this is the first test)
        time.sleep(1.5 * 10 * 3 * gc.get_freeze_count() * 2e-6)
        if _old:
            _old.pop()          # garbage the frozen heap hides
        _kept.append(object())


class Test2(unittest.TestCase):
    def test_fast(self):
        _kept.append(object())
"""


@test
def test_screen_left_by_slow_runs():
    """A test whose warm-up run takes at least 10 times what the exact
    way's gc passes over the whole heap would leaves the screen for the
    exact way from that run on: its tracked deltas are exact, and it is
    not measured again (NumPy's test_new_policy runs numpy.core's suite
    inside itself, 10 minutes a run: 12 runs, now 6). test_slow drops a
    cycle the frozen heap held: screened, a check finds that garbage and
    it runs 6 times again. A fast test stays on the screen."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_slow.py"), "w") as f:
            f.write(SLOW_RUN_UNITTEST)
        bench = os.path.join(tmp, "bench.json")
        args = ("-q", "--per-test", "-m", "unittest", "test_slow")
        screened = refhunt(*args, cwd=tmp, timeout=600,
                           extra_env={"REFHUNT_BENCH_FILE": bench})
        with open(bench) as f:
            stats = json.load(f)
        exact = refhunt("--no-screen", *args, cwd=tmp, timeout=600)
    ids = ["test_slow.Test1.test_slow", "test_slow.Test2.test_fast"]
    kept = "refs" if refs_counted(screened) else "blocks"
    for r in (screened, exact):
        expect(r.rc == 1 and [(t["id"], t["status"], t["deltas"][kept])
                              for t in r.json["tests"]] ==
               [(t, "leak", [1, 1, 1]) for t in ids],
               "both leak one object a run", r)
    expect([t["deltas"] for t in screened.json["tests"]] ==
           [t["deltas"] for t in exact.json["tests"]],
           "the deltas of the exact way", screened)
    expect(stats.get("left_screen_ids") == [ids[0]] and
           stats["again_ids"] == [] and
           ids[0] not in stats["screened_again_ids"],
           "the slow test left the screen, and ran 6 times: %r" % stats,
           screened)


@test
def test_jobs_in_suite():
    """-j 2 in one suite: workers share its tests from one queue, a crash
    hands the rest of a batch on, and the report is the one of -j 1, in
    collection order."""
    need_pytest()
    one = per_test("-q", "-m", "pytest", "test_pt_suite.py")
    two = per_test("-q", "-v", "-j", "2", "-m", "pytest", "test_pt_suite.py")
    expect(two.rc == one.rc == 4, "a crash: exit 4", two)
    expect([(t["id"], t["status"], t["deltas"]) for t in two.json["tests"]]
           == [(t["id"], t["status"], t["deltas"]) for t in
               one.json["tests"]], "the same report, in the same order", two)
    expect_verdicts(two, PT_LEAK, PT_CLEAN, PT_OTHER)
    workers = re.search(r"^refhunt: (\d+) workers$", two.out, re.M)
    expect(workers and int(workers.group(1)) >= 2, "workers shared it", two)
    ut = per_test("-q", "-j", "2", "-m", "unittest", "test_ut_suite.py")
    expect_verdicts(ut, UT_LEAK, UT_CLEAN, UT_OTHER)


@test
def test_jobs_past_collection_errors():
    """-j 2 with --continue-on-collection-errors: the tests that were
    collected are listed and shared (the list once failed on the error,
    and one worker hunted them all), and the error is not lost: the run
    fails with it (once passed over in silence, exit 1)."""
    need_pytest()
    names = ["test_%s.py" % n for n in ("one", "two", "three", "four",
                                        "five", "six")]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            with open(os.path.join(tmp, name), "w") as f:
                f.write("_kept = []\n\n\ndef test_leaks():\n"
                        "    _kept.append(object())\n\n\n"
                        "def test_clean():\n    pass\n")
        with open(os.path.join(tmp, "test_broken.py"), "w") as f:
            f.write("import no_such_module_here\n")
        r = refhunt("-q", "-v", "--per-test", "-j", "2", "-m", "pytest",
                    "--continue-on-collection-errors", "-p",
                    "no:cacheprovider", cwd=tmp, timeout=600)
    expect(r.rc == 3 and r.json["status"] == "failed" and
           "ERROR collecting test_broken.py" in r.json["message"],
           "the collection error fails the run, as it fails pytest's", r)
    # 6 units of 2 tests, a batch each: every batch's pytest reports
    # the error, and the batches after the first two still run (once the
    # first batch to end stopped the queue: NumPy's whole suite ran 12,113
    # of its 29,253 tests)
    want = {}
    for name in names:
        want[name + "::test_leaks"] = "leak"
        want[name + "::test_clean"] = "clean"
    expect({t["id"]: t["status"] for t in r.json["tests"]} == want,
           "the collected tests' verdicts, every one", r)
    expect(re.search(r"^refhunt: [3-9] workers$", r.out, re.M),
           "workers took the batches after the first two", r)


@test
def test_jobs_collect_only_their_files():
    """-j 2: a batch's pytest collects only its tests' files, and those
    that failed to collect (named by no test): each test module is
    imported twice, by the listing and by the one batch its tests are
    in, not by every batch (NumPy's whole suite took 126 s to collect
    for each). The broken module is collected by every batch, which
    reports its error."""
    need_pytest()
    names = ["test_%s.py" % n for n in ("one", "two", "three", "four",
                                        "five", "six")]
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "imports.log")
        for name in names + ["test_broken.py"]:
            with open(os.path.join(tmp, name), "w") as f:
                f.write("with open(%r, 'a') as _log:\n"
                        "    _log.write(__name__ + '\\n')\n" % log)
                f.write("import no_such_module_here\n"
                        if name == "test_broken.py" else
                        "\n\ndef test_a():\n    pass\n\n\n"
                        "def test_b():\n    pass\n")
        r = refhunt("-q", "-v", "--per-test", "-j", "2", "-m", "pytest",
                    "--continue-on-collection-errors", "-p",
                    "no:cacheprovider", cwd=tmp, timeout=600)
        with open(log) as f:
            imported = f.read().split()
    expect(r.rc == 3 and "ERROR collecting test_broken.py" in
           r.json["message"], "the collection error fails the run", r)
    expect(sorted(t["status"] for t in r.json["tests"]) == ["clean"] * 12,
           "every test hunted", r)
    batches = int(re.search(r"^refhunt: (\d+) workers$", r.out,
                            re.M).group(1))
    expect(batches >= 3, "the queue made several batches", r)
    expect({n: imported.count(n) for n in set(imported)} ==
           {**{n[:-3]: 2 for n in names}, "test_broken": batches + 1},
           "%r: each module imported by the listing and its batch" %
           sorted(imported), r)


CAPTURED = """import warnings

import pytest

_kept = []


def test_prints():
    print("some output")


def test_warns():
    warnings.warn("careful", UserWarning)


def test_prints_and_leaks():
    print("more output")
    _kept.append(object())


@pytest.mark.filterwarnings("error")
def test_warning_is_an_error():
    with pytest.raises(UserWarning):
        warnings.warn("now an error", UserWarning)
"""


@test
def test_captured_output_is_not_a_leak():
    """pytest keeps a run's captured output (print, warnings) in the item
    for its reports, and the warnings plugin each run's warnings for the
    summary; run again, each run kept one more (13 refs and 8 blocks a
    run: every test that printed or warned leaked). A test that prints
    and leaks one object leaks exactly that."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_out.py"), "w") as f:
            f.write(CAPTURED)
        r = refhunt("-q", "--per-test", "-m", "pytest", "test_out.py",
                    cwd=tmp, timeout=600)
    tests = {t["id"]: t for t in r.json["tests"]}
    expect(r.rc == 1, "one test leaks: exit 1", r)
    expect(tests["test_out.py::test_prints"]["status"] == "clean" and
           tests["test_out.py::test_warns"]["status"] == "clean",
           "printing and warning are clean", r)
    # the plugins that wrap pytest_runtest_protocol wrap each run: the
    # warnings plugin applies the test's filterwarnings mark (the test
    # failed, DID NOT RAISE, when refhunt ran it around the hook)
    expect(tests["test_out.py::test_warning_is_an_error"]["status"] ==
           "clean", "a filterwarnings mark applies", r)
    leak = tests["test_out.py::test_prints_and_leaks"]
    expect(leak["status"] == "leak" and
           leak["deltas"]["blocks"] == [1, 1, 1],
           "one object a run: [1, 1, 1] blocks", r)
    if leak["deltas"]["refs"] is not None:
        expect(leak["deltas"]["refs"] == [1, 1, 1], "and 1 reference", r)


@test
def test_junit_and_baseline():
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "r.xml")
        base = os.path.join(tmp, "base.txt")
        env = {"PERTEST_CRASH": "0"}
        r = per_test("-q", "--junit", junit, "--write-baseline", base, "-m",
                     "unittest", "test_ut_suite.py", extra_env=env)
        expect(r.rc == 3, "a failed test: exit 3", r)
        xml = open(junit).read()
        expect(xml.count("<testcase ") == 10, "one testcase a test", r)
        expect(xml.count("<skipped ") == 1, "the skipped test", r)
        expect('tests="10" failures="4"' in xml, "3 leaks + 1 failure", r)
        lines = open(base).read().splitlines()
        expect("mode loop" in lines, "the mode is recorded", r)
        entries = {l.split(" ", 2)[2] for l in lines if l[:4] in ("refs", "bloc")}
        expect(entries == UT_LEAK, "an entry per leaking test: %s" % entries, r)
        # the baseline accepts them; the failing test still fails
        with open(base, "a") as f:
            f.write("refs 5 test_ut_suite.Gone.test_gone\n")
        known = per_test("-q", "--baseline", base, "-m", "unittest",
                         "test_ut_suite.py", extra_env=env)
        expect(known.rc == 3, "the failure remains: exit 3", known)
        got = statuses(known)
        expect(all(got[t] == "clean" for t in UT_LEAK), "known leaks", known)
        expect("(known: the baseline allows" in known.out, "said known", known)
        expect("matched no leak of this run" in known.err and
               "test_gone" in known.err, "the entry that matched nothing",
               known)
        # an allowance too small: the line says what the baseline allowed
        with open(base, "w") as f:
            f.write("mode loop\nblocks 1 test_ut_suite.Leaky.test_x\n"
                    "refs 1 test_ut_suite.Leaky.test_x\n"
                    # (release builds of 3.13+ count objects too)
                    "objects 1 test_ut_suite.Leaky.test_x\n")
        tight = per_test("-q", "-R", "2:2", "--baseline", base, "-m",
                         "unittest", "test_ut_suite.Leaky",
                         extra_env=env)
        expect(tight.rc == 0, "within 1 block a run: clean", tight)
        with open(base, "w") as f:
            f.write("mode reinit\nblocks 1 test_ut_suite.Leaky.test_x\n"
                    "refs 1 test_ut_suite.Leaky.test_x\n")
        other = per_test("-q", "-R", "2:2", "--baseline", base, "-m",
                         "unittest", "test_ut_suite.Leaky", extra_env=env)
        expect(other.rc == 1, "an entry of another mode does not apply",
               other)
        expect("an entry for reinit mode" in other.err, "and says why", other)


@test
def test_baseline_names():
    """tests/test_x.py in a baseline is the module tests.test_x; a pytest
    id's :: is a dot; 'clean' under known lines says they are known."""
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.txt")
        with open(base, "w") as f:
            f.write("blocks 5 ./suites/test_ut_suite.py::Leaky::test_x\n"
                    "refs 5 suites/test_ut_suite.py::Leaky::test_x\n"
                    "objects 5 suites/test_ut_suite.py::Leaky::test_x\n")
        r = refhunt("-q", "--per-test", "--baseline", base, "-m", "unittest",
                    "suites.test_ut_suite.Leaky", cwd=e2e.HERE)
        expect(r.rc == 0 and statuses(r) == {
            "suites.test_ut_suite.Leaky.test_x": "clean"},
            "the path-like entries apply to the dotted id", r)
        expect("within the baseline" in r.out, "the summary says so", r)
        # a whole-module target: its file path is its module name
        with open(base, "w") as f:
            f.write("blocks 1000 -m unittest tests.suites.test_ut_suite\n"
                    "refs 1000 -m unittest tests.suites.test_ut_suite\n"
                    "objects 1000 -m unittest tests.suites.test_ut_suite\n")
        whole = refhunt("-q", "--mode", "loop", "--baseline", base, "-m",
                        "unittest", "tests/suites/test_ut_suite.py",
                        cwd=os.path.dirname(e2e.HERE),
                        extra_env={"PERTEST_CRASH": "0", "PERTEST_FAIL": "0"})
        expect(whole.rc == 0, "known leaks only: exit 0", whole)
        # a leak beyond its entry says what the baseline allowed
        with open(base, "w") as f:
            f.write("blocks 1 -c\n")
        grown = refhunt("-q", "--mode", "loop", "--baseline", base, "-c",
                        "import builtins\nbuiltins.__dict__.setdefault("
                        "'kept', []).extend([object(), object()])")
        expect(grown.rc == 1 and re.search(
            r"^-c '.*' leaked \[\d+(, \d+)*\] memory blocks, sum=\d+ \(more than the "
            r"baseline allows: 1 a round\)$", grown.out, re.M),
            "the line says what the baseline allowed", grown)
        expect("known leaks only" in whole.out and "no leak" not in whole.out,
               "no 'clean, no leak' under known leaks", whole)
        expect("(known: the baseline allows 1000 a round)" in whole.out,
               "the dotted entry applies to the path", whole)


@test
def test_bisect_pytest():
    need_pytest()
    r = e2e.bisect("--bisect", "tests", "-m", "pytest", "test_pt_suite.py",
                   cwd=SUITES)
    expect(r.rc == 1, "culprits: exit 1", r)
    expect({c["test"] for c in r.json["culprits"]} == PT_LEAK,
           "the same tests as --per-test: %s" % [c["test"] for c in
                                                 r.json["culprits"]], r)
    expect(r.json["mode"] == "loop", "pytest probes in loop mode", r)
    expect({f["test"] for f in r.json["failures"]} ==
           {PT + "test_fails", PT + "test_crash"},
           "the failing and crashing tests fail on their own", r)


TOGETHER = """_kept = []
_x = None


def test_a():
    global _x
    _x = object()           # replaced every run: no leak on its own


def test_b():
    global _x
    if _x is not None:      # what test_a left, kept: once, on its own
        _kept.append(_x)
        _x = None


def test_clean():
    assert [1] * 2 == [1, 1]
"""


@test
def test_bisect_pytest_together():
    """--bisect tests in loop mode starts with a per-test pass; when no
    test leaks on its own but the suite does, the search finds the group
    (test_b keeps what test_a made: each run of both leaks one object)."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_together.py"), "w") as f:
            f.write(TOGETHER)
        per = refhunt("-q", "--per-test", "-m", "pytest", "test_together.py",
                      cwd=tmp)
        expect(per.rc == 0, "no test leaks on its own", per)
        r = e2e.bisect("--bisect", "tests", "-m", "pytest",
                       "test_together.py", cwd=tmp)
    expect(r.rc == 1, "the suite leaks: exit 1", r)
    groups = [set(c["group"]) | {c["test"]} for c in r.json["culprits"]]
    expect(groups == [{"test_together.py::test_a",
                       "test_together.py::test_b"}],
           "the group named: %s" % groups, r)


@test
def test_bisect_pytest_elsewhere():
    """A suite given by its absolute path, from another directory: pytest
    names tests from its rootdir (the suite's directory), probes pass them
    back from refhunt's directory, so refhunt names them as pytest takes
    them there (here by absolute path): every probe ran no test before."""
    need_pytest()
    with tempfile.TemporaryDirectory() as tmp, \
            tempfile.TemporaryDirectory() as elsewhere:
        suite = os.path.join(os.path.realpath(tmp), "test_together.py")
        with open(suite, "w") as f:
            f.write(TOGETHER)
        r = e2e.bisect("--bisect", "tests", "-m", "pytest", suite,
                       cwd=elsewhere)
    expect(r.rc == 1, "the suite leaks: exit 1", r)
    groups = [set(c["group"]) | {c["test"]} for c in r.json["culprits"]]
    expect(groups == [{suite + "::test_a", suite + "::test_b"}],
           "the group named by absolute path: %s" % groups, r)
    expect(not r.json["failures"], "no test fails on its own", r)


@test
def test_bisect_unittest_path():
    """unittest names as python -m unittest takes them: a file path too."""
    r = e2e.bisect("--bisect", "tests", "--mode", "loop", "-m", "unittest",
                   "test_ut_suite.py", cwd=SUITES)
    expect(r.rc == 1, "culprits: exit 1", r)
    found = {c["test"] for c in r.json["culprits"]}
    if refs_counted(r):
        expect(found == UT_LEAK, "the same tests as --per-test", r)
    else:
        # measured on 3.9 release: probes of 1 warm-up and 2 tracked
        # rounds that count blocks only see some one-block leaks in a
        # group as noise ([3, 1] alone, flat in a group)
        expect(found and found <= UT_LEAK, "leaking tests only", r)
    bad = e2e.bisect("--bisect", "tests", "-m", "unittest", "no_such.py",
                     cwd=SUITES)
    expect(bad.rc == 3 and "cannot list the tests" in bad.out and
           "first run" not in bad.out, "a name that does not load", bad)


@test
def test_each():
    """--each --per-test: every operand a suite, -j at a time."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = os.path.join(tmp, "r.xml")
        r = refhunt("--each", "-j", "2", "--per-test", "-q", "--junit", junit,
                    "-m", "unittest", UT + "Leaky", UT + "Clean", cwd=SUITES)
        xml = open(junit).read()
    expect(r.rc == 1, "a leak: exit 1", r)
    expect([[t["id"] for t in target["tests"]] for target in
            r.json["targets"]] == [[UT + "Leaky.test_x"],
                                   [UT + "Clean.test_a",
                                    UT + "Clean.test_subtests"]],
           "each suite's tests, in order", r)
    expect('tests="3" failures="1"' in xml and xml.count("<testcase ") == 3,
           "JUnit counts the tests", r)
    # a suite whose worker crashes goes on in a new one, beside the others
    r = refhunt("--each", "-j", "2", "--per-test", "-m", "unittest",
                UT + "Leaky", "test_ut_suite.py", cwd=SUITES)
    expect(r.rc == 4, "a crash: exit 4", r)
    second = {t["id"]: t["status"] for t in r.json["targets"][1]["tests"]}
    expect(second == {**{t: "leak" for t in UT_LEAK},
                      **{t: "clean" for t in UT_CLEAN}, **UT_OTHER},
           "every test of the crashing suite has its verdict", r)


@test
def test_progress_line():
    """On a terminal, the progress line names the test under way."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_slow.py"), "w") as f:
            f.write("import time, unittest\n\n"
                    "class Slow(unittest.TestCase):\n"
                    "    def test_nap(self):\n        time.sleep(0.1)\n")
        proc, seen = ci.on_terminal(["-q", "--per-test", "-R", "1:2", "-m",
                                     "unittest", "test_slow"], cwd=tmp)
    expect(proc.returncode == 0, "exit 0")
    expect(re.search(r"refhunt: test_slow\.Slow\.test_nap: run 3/3, [\d.]+ s",
                     seen), "the test and its run: %r" % seen)


@test
def test_usage():
    for args, words in ((["--per-test", "x.py"], "needs a test runner"),
                        (["--per-test", "-m", "json"], "needs a test runner"),
                        (["--per-test", "--mode", "reinit", "-m", "unittest"],
                         "loop mode"),
                        (["--per-test", "--bisect", "tests", "-m",
                          "unittest"], "does not go with")):
        r = refhunt(*args, json_report=False)
        expect(r.rc == 2 and words in r.err, "usage error: %s" % words, r)


# The independent measurement: every test of the unittest suite run again
# and again in a plain loop of the debug interpreter, regrtest's rule.
LOOP = r"""
import gc, sys, unittest
sys.path.insert(0, sys.argv[1])
loader = unittest.TestLoader()
leaks, classes = [], set()
for name in sys.argv[2:]:
    case = list(loader.loadTestsFromName(name))[0]
    cls = type(case)
    if not classes:
        sys.modules[cls.__module__].setUpModule()
    if cls not in classes:
        classes.add(cls)
        cls.setUpClass()
    # no list growth between readings, and no immortal 0 to replace: from
    # 3.12 on the total leaves immortal objects out, so each of the six
    # first readings would show +1
    counts = [sys.gettotalrefcount()] * 6
    for i in range(6):
        case.run(unittest.TestResult())
        for _ in range(3):
            gc.collect()
        counts[i] = sys.gettotalrefcount()
    deltas = [b - a for a, b in zip(counts[2:], counts[3:])]
    if all(d >= 1 for d in deltas):
        leaks.append(name)
print("\n".join(leaks))
"""


@test
def test_matches_plain_loop():
    if not refs_counted(None):
        raise Skip("a release build: no sys.gettotalrefcount")
    names = sorted(UT_LEAK | UT_CLEAN)
    plain = subprocess.run([e2e.PYTHON, "-c", LOOP, SUITES] + names,
                           capture_output=True, text=True, timeout=300)
    expect(plain.returncode == 0, "the plain loop ran: %s" % plain.stderr)
    r = per_test("-q", "-m", "unittest", *names)
    expect(r.rc == 1, "leaks: exit 1", r)
    ours = {t for t, s in statuses(r).items() if s == "leak"}
    theirs = set(plain.stdout.split())
    expect(ours == theirs, "refhunt %s, the plain loop %s" % (
        sorted(ours), sorted(theirs)), r)


if __name__ == "__main__":
    sys.exit(e2e.main(sys.argv, TESTS))

#!/usr/bin/env python3
"""Loop mode as regrtest runs it, and the names, baselines and options
that real use showed wrong (issue 10, items 3 and 6).

    truth_loop.py --list                          the test names, one a line
    truth_loop.py REFHUNT FIXTURES PYTHON NAME    run one test (exit 0, 1, or 77)

The regrtest_* cases run CPython's own test modules both ways, regrtest
(`PYTHON -m test -R 3:3`) and `refhunt --mode loop -m unittest`, and want
the same verdict; they need a debug build and CPython's test package
(Debian: libpython3.11-testsuite), and are skipped without them. The
helpers are e2e.py's.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

import e2e
from e2e import Skip, expect, expect_complete, expect_report_shape, \
    refhunt, target

TESTS = {}
ROOT = os.path.dirname(e2e.HERE)


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


def run_in(cwd, *args):
    """refhunt ARGS in cwd, with a JSON report; the result."""
    return refhunt(*args, cwd=cwd)


# ------------------------------------------------- loop mode as regrtest's

@test
def test_loop_keeps_import_time_state():
    """What the first run's imports registered (a copyreg reducer, an ABC
    registration, a warnings filter, a class put on __main__) serves every
    later run: regrtest snapshots after the import. Before, round 2 failed."""
    for what in ("copyreg", "abc", "warnings", "main"):
        r = refhunt("--mode", "loop", target("import_time_state.py"), what)
        expect_report_shape(r, "clean", 0, mode="loop")
        expect_complete(r)
    # re registers re.Pattern's reducer in copyreg when it is imported
    r = refhunt("--mode", "loop", "-c", "import pickle, re\n"
                "pickle.loads(pickle.dumps(re.compile('x')))")
    expect_report_shape(r, "clean", 0, mode="loop")


@test
def test_per_test_keeps_import_time_state():
    """--per-test runs each test again after its first run: what importing
    the suite registered (re.Pattern's reducer, array as a
    MutableSequence) stays. Before, every test after the first run failed."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_registered.py"), "w") as f:
            # array registers itself from 3.10 on; on 3.9 the module does
            f.write("import array, collections.abc, pickle, re, unittest\n"
                    "collections.abc.MutableSequence.register(array.array)\n"
                    "class T(unittest.TestCase):\n"
                    "    def test_pattern(self):\n"
                    "        pickle.loads(pickle.dumps(re.compile('x')))\n"
                    "    def test_array(self):\n"
                    "        self.assertIsInstance(array.array('b'),\n"
                    "            collections.abc.MutableSequence)\n")
        r = run_in(tmp, "-q", "--per-test", "-m", "unittest",
                   "test_registered")
        tests = {t["id"]: t["status"] for t in r.json["tests"]}
        expect(r.rc == 0 and tests == {
            "test_registered.T.test_pattern": "clean",
            "test_registered.T.test_array": "clean"}, "both clean", r)


@test
def test_loop_main_is_fresh_for_the_target():
    """The target's own names on __main__ do not outlive its run, what an
    import set there does; a leak through __main__ attributes still shows."""
    code = ("import sys\nmain = sys.modules['__main__']\n"
            "assert 'mine' not in globals(), 'a name of the last run'\n"
            "mine = object()\n")
    r = refhunt("--mode", "loop", "-c", code)
    expect_report_shape(r, "clean", 0, mode="loop")
    grows = ("import sys, itertools\nmain = sys.modules['__main__']\n"
             "n = sum(1 for k in dir(main) if k.startswith('kept'))\n"
             "setattr(main, 'kept%d' % n, object())")
    r = refhunt("--mode", "loop", "-c", grows)
    expect_report_shape(r, "leak", 1, mode="loop")
    e2e.expect_object_leak(r)


def regrtest_parity(module):
    """The verdict of regrtest and of refhunt on one CPython test module."""
    probe = subprocess.run(
        [e2e.PYTHON, "-c", "import sys, test.%s; "
         "sys.exit(not hasattr(sys, 'gettotalrefcount'))" % module],
        capture_output=True)
    if probe.returncode != 0:
        raise Skip("%s: needs a debug build with CPython's test package "
                   "(Debian: libpython3.11-testsuite)" % e2e.PYTHON)
    spec = importlib.util.spec_from_file_location(
        "parity", os.path.join(ROOT, "scripts", "parity.py"))
    parity = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(parity)
    with tempfile.TemporaryDirectory() as tmp:
        proc, out, wall, _ = parity.timed(
            [e2e.PYTHON, "-m", "test", "-u", "all", "-R", "3:3", module],
            e2e.env(), tmp)
        theirs = parity.regrtest_verdict(proc, out)
        r = run_in(tmp, "--mode", "loop", "-q", "-m", "unittest",
                   "test." + module)
    ours = r.json["status"] if r.json else "no report"
    print("%s: regrtest %s (%.1f s), refhunt %s" % (module, theirs, wall, ours))
    expect(ours == theirs, "%s: refhunt %s, regrtest %s" % (module, ours,
                                                            theirs), r)


@test
def test_regrtest_test_re():
    """Pickles compiled patterns: failed in round 2 before."""
    regrtest_parity("test_re")


@test
def test_regrtest_test_array():
    """array registers with MutableSequence at import: failed in round 2."""
    regrtest_parity("test_array")


@test
def test_regrtest_test_copyreg():
    regrtest_parity("test_copyreg")


# --------------------------------------------------- names and baselines

@test
def test_target_names_quoted():
    """Targets named as a shell quotes them; -c code on one short line."""
    r = refhunt("-R", "1:1", "-c", "import os\nos.open(os.devnull, 0)")
    expect(r.json["target"] == "-c 'import os; os.open(os.devnull, 0)'",
           "the -c code in quotes, on one line: %r" % r.json["target"], r)
    e2e.expect_leak(r, "fds")
    r = refhunt("-R", "1:1", "-c", "pass", "-k", "add or greet", "it's")
    expect(r.json["target"] == "-c pass -k 'add or greet' 'it'\\''s'",
           "arguments quoted: %r" % r.json["target"], r)
    r = refhunt("-R", "1:1", "-c", "x = 1  # " + "long " * 20)
    expect(re.fullmatch(r"-c 'x = 1  # long long [a-z ]*\.\.\.'",
                        r.json["target"]), "long code shortened: %r"
           % r.json["target"], r)
    expect(len(r.json["target"]) < 60, "short enough for a line", r)
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "argmod.py"), "w") as f:
            f.write("import sys\nassert sys.argv[1:] == ['-k', 'add or greet']\n")
        # loop mode: 3.9 leaks blocks on every initialization with runpy;
        # 2 warm-ups: the free-threaded 3.13 keeps one object more in the
        # second run of -m (measured: then 0)
        r = run_in(tmp, "--mode", "loop", "-R", "2:1", "-m", "argmod", "-k",
                   "add or greet")
        expect_report_shape(r, "clean", 0, mode="loop")
        expect(r.json["target"] == "-m argmod -k 'add or greet'",
               "-m with a quoted argument: %r" % r.json["target"], r)
        expect("refhunt: -m argmod -k 'add or greet': clean" in r.out,
               "the text report names it so", r)


def write_then_read(args, cwd=None):
    """--write-baseline, then --baseline with what it wrote: the second run
    accepts every leak of the first. The lines written."""
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "known.txt")
        r = refhunt("--write-baseline", base, *args, cwd=cwd)
        expect(r.rc == 1, "the first run leaks", r)
        lines = [l for l in open(base) if not l.startswith("#") and
                 not l.startswith("mode ") and l != "names escaped\n"]
        r2 = refhunt("--baseline", base, *args, cwd=cwd)
        expect(r2.rc == 0 and r2.json["status"] == "clean",
               "the written baseline reads back and accepts: %r" % lines, r2)
        expect(set(r2.json["known"]) == set(r.json["leaks"]),
               "every leak known", r2)
    return lines


@test
def test_baseline_round_trip():
    # descriptors that go down every round: MAX 0 was written, then refused
    lines = write_then_read(["--mode", "loop", target("closes_fd.py")])
    expect(lines == ["fds 1 %s\n" % target("closes_fd.py")],
           "fds written with MAX 1: %r" % lines)
    # names with quotes and blanks, on one line each
    lines = write_then_read(["-R", "1:2", "-c",
                             "import os\nos.open(os.devnull, 0)", "a b"])
    expect(lines == ["fds 1 -c $'import os\\nos.open(os.devnull, 0)' 'a b'\n"],
           "the quoted name, its whole code, written: %r" % lines)
    lines = write_then_read(["--mode", "loop", "-R", "1:2", "-c",
                             "import sys\nsys.__dict__.setdefault('_l', [])"
                             ".append(object())", "x\ny"])
    expect(all(l.count("\n") == 1 for l in lines) and
           any("$'x\\ny'" in l for l in lines), "a newline escaped: %r" % lines)


ODD_IDS = """import os, unittest

class T(unittest.TestCase):
    def id(self):
        return super().id() + {"test_nl": "\\nsecond line",
                               "test_long": "x" * 300000,
                               "test_blank": " \\\\x41 "}.get(
                                   self._testMethodName, "")

    def test_nl(self):
        os.open(os.devnull, 0)

    def test_long(self):
        os.open(os.devnull, 0)

    def test_blank(self):
        os.open(os.devnull, 0)
"""


@test
def test_baseline_odd_test_ids():
    """Test ids with a newline, over 250 kB, with a backslash (as in \\x41)
    and a blank at the end: each entry one line, and refhunt reads its own file back,
    every leak known (it wrote them raw and refused the file)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_odd.py"), "w") as f:
            f.write(ODD_IDS)
        base = os.path.join(tmp, "known.txt")
        r = refhunt("-q", "--per-test", "--write-baseline", base, "-m",
                    "unittest", "test_odd", cwd=tmp)
        expect(r.rc == 1 and len(r.json["tests"]) == 3, "three leaks", r)
        lines = open(base).read().split("\n")
        expect(len([l for l in lines if l.startswith("fds 1 ")]) == 3 and
               len(lines) == 7, "one line each: %r" % [l[:60] for l in lines])
        r = refhunt("-q", "--per-test", "--baseline", base, "-m", "unittest",
                    "test_odd", cwd=tmp)
        expect(r.rc == 0 and all(t["status"] == "clean" and t["known"] ==
                                 {"fds": 1} for t in r.json["tests"]),
               "every leak known", r)
        expect("matched no leak" not in r.err, "every entry used", r)


@test
def test_baseline_keys_unambiguous():
    """a/b.py and a.b.py are two targets; so are two -c programs that
    begin alike (their names, cut at 40 bytes, were one entry). A file
    written before names were escaped, with the cut name, still applies."""
    leak = "import os\nos.open(os.devnull, 0)\n"
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "a"))
        for name in ("a/b.py", "a.b.py"):
            with open(os.path.join(tmp, name), "w") as f:
                f.write(leak)
        base = os.path.join(tmp, "known.txt")
        r = run_in(tmp, "--write-baseline", base, "-R", "1:1", "a/b.py")
        expect(r.rc == 1, "a/b.py leaks", r)
        r = run_in(tmp, "--baseline", base, "-R", "1:1", "a.b.py")
        expect(r.rc == 1 and r.json["leaks"] == ["fds"],
               "a.b.py is not a/b.py: its leak is new", r)
        r = run_in(tmp, "--baseline", base, "-R", "1:1", "a/b.py")
        expect(r.rc == 0, "a/b.py's entry is its own", r)
        one = "# " + "the same beginning " * 3 + "\n" + leak
        other = one + "x = 1\n"
        r = run_in(tmp, "--write-baseline", base, "-R", "1:1", "-c", one)
        r = run_in(tmp, "--baseline", base, "-R", "1:1", "-c", other)
        expect(r.rc == 1 and r.json["leaks"] == ["fds"],
               "another program that begins alike: its leak is new", r)
        r = run_in(tmp, "--baseline", base, "-R", "1:1", "-c", one)
        expect(r.rc == 0, "the program's own entry", r)
        with open(base, "w") as f:      # as refhunt wrote it before
            f.write("mode reinit\nfds 1 %s\n" % r.json["target"])
        r = run_in(tmp, "--baseline", base, "-R", "1:1", "-c", one)
        expect(r.rc == 0 and r.json["known"] == {"fds": 1},
               "the shortened name of an older file still applies", r)


@test
def test_baseline_shards():
    """Each --shard uses the entries of its own targets and says nothing
    of the other shards' (each warned about the others')."""
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "known.txt")
        targets = [target("fdleak.py"), target("closes_fd.py")]
        r = refhunt("--each", "--write-baseline", base, "-R", "1:1", *targets)
        expect(r.rc == 1, "both leak", r)
        for k in (1, 2):
            r = refhunt("--each", "--shard", "%d/2" % k, "--baseline", base,
                        "-R", "1:1", *targets)
            expect(r.rc == 0, "shard %d/2: its leak known" % k, r)
            expect("matched no leak" not in r.err,
                   "shard %d/2: no word of the other's entry" % k, r)
        with open(base, "a") as f:
            f.write("fds 1 gone.py\n")
        r = refhunt("--each", "--shard", "1/2", "--baseline", base, "-R",
                    "1:1", *targets)
        expect("gone.py' matched no leak" in r.err,
               "an entry of no target is still named", r)


@test
def test_baseline_old_names_match():
    """Baselines written before names were quoted still match."""
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "known.txt")
        with open(base, "w") as f:
            f.write("fds 1 -c\nfds 1 -m argmod -k add or greet\n")
        r = refhunt("--baseline", base, "-R", "1:1", "-c",
                    "import os\nos.open(os.devnull, 0)")
        expect(r.rc == 0 and r.json["known"] == {"fds": 1},
               "'-c' matches the -c target", r)
        with open(os.path.join(tmp, "argmod.py"), "w") as f:
            f.write("import os\nos.open(os.devnull, 0)\n")
        r = run_in(tmp, "--baseline", base, "--mode", "loop", "-R", "2:1",
                   "-m", "argmod", "-k", "add or greet")
        expect(r.rc == 0 and r.json["known"] == {"fds": 1},
               "the unquoted arguments match", r)


# --------------------------------------------------------------- options

@test
def test_quiet_and_verbose():
    """-q -v: the round table, without the target's output."""
    r = refhunt("-q", "-v", "-R", "1:2", "-c", "print('from', 'the target')")
    expect_report_shape(r, "clean", 0)
    expect("from the target" not in r.out + r.err, "output captured", r)
    expect(re.search(r"^\s+3 tracked\s", r.out, re.M), "the round table", r)
    with tempfile.TemporaryDirectory() as tmp:
        r = refhunt("--each", "-q", "-v", "-R", "1:1", target("clean.py"),
                    target("fdleak.py"), cwd=tmp)
        expect(r.rc == 1, "--each: exit 1 for the leak", r)
        expect(re.search(r"^\s+2 tracked\s", r.out, re.M),
               "--each: the round tables", r)


@test
def test_optional_number_as_next_word():
    for option in ("--show-growth", "--trace-blocks", "--explain"):
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run([e2e.REFHUNT, "--mode", "loop", option, "5",
                                   target("clean.py")], capture_output=True,
                                  text=True, cwd=tmp, env=e2e.env())
            expect(proc.returncode == 2, "exit 2: %r" % proc.stderr)
            expect("%s takes its number as %s=5" % (option, option)
                   in proc.stderr, "says how: %r" % proc.stderr)
            # a script that is named 5 runs (its verdict is not the point:
            # 3.9's tracemalloc keeps blocks of its own)
            with open(os.path.join(tmp, "5"), "w") as f:
                f.write("pass\n")
            r = run_in(tmp, "--mode", "loop", "-R", "1:1", option, "5")
            expect(r.rc in (0, 1) and r.json["target"] == "5" and
                   r.json["status"] in ("clean", "leak"), "script 5 hunted", r)


if __name__ == "__main__":
    if sys.argv[1:] != ["--list"] and len(sys.argv) < 5:
        raise SystemExit(__doc__)
    sys.exit(e2e.main(sys.argv, TESTS))

#!/usr/bin/env python3
"""End-to-end tests of --bisect imports and of the import-time share of a
reinit leak, on real modules and fixtures, each compared with an
independent measurement: tests/indep/reinit.c, a reinit loop that shares
no code with refhunt (initialize, run, finalize, read the counters).

    bisect_e2e.py --list                          the test names
    bisect_e2e.py REFHUNT FIXTURES PYTHON NAME    run one (exit 0, 1, 77)

The helpers are e2e.py's.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

import e2e
from e2e import Skip, bisect, expect, refhunt, target

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "examples")
TESTS = {}


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


# ---------------------------------------------------------------- the loop


def reinit_growth(code, cwd=None):
    """What `code` leaves behind per reinit cycle, measured by
    tests/indep/reinit.c (initialize, run, finalize; no code of refhunt's):
    [(refs, blocks)] for cycles 3 to 5 (refs None on a release build), or
    None where it cannot count blocks after finalization (3.12+)."""
    if cwd is not None:     # an embedded interpreter has no script dir
        code = "import sys\nsys.path.insert(0, '.')\n" + code
    helper = os.path.join(os.path.dirname(e2e.FIXTURES), "indep_reinit")
    proc = subprocess.run([helper, e2e.PYTHON, code, "5"], capture_output=True,
                          text=True, env=e2e.env(), cwd=cwd, timeout=120)
    if proc.returncode == e2e.SKIP:
        return None
    expect(proc.returncode == 0, "the reinit loop ran %r: %s" %
           (code, proc.stderr[-2000:]))
    rows = json.loads(proc.stdout)
    return [(b[0] - a[0] if b[0] is not None else None, b[1] - a[1])
            for a, b in zip(rows[1:], rows[2:])]


def leaks(code, cwd=None):
    """Whether the loop sees `code` leak: more than an empty cycle does in
    every cycle (release 3.9 leaks blocks by itself); None where it
    cannot count blocks after finalization (3.12+ exports no counter)."""
    grown, empty = reinit_growth(code, cwd), reinit_growth("pass", cwd)
    if grown is None:
        return None
    for k in (0, 1):
        if grown[0][k] is not None and \
                min(g[k] for g in grown) > max(e[k] for e in empty):
            return True
    return False


def loop_says(code, leaking, cwd=None):
    """The independent measurement agrees (or cannot measure here)."""
    seen = leaks(code, cwd)
    if seen is None:
        # said, not passed as if it agreed
        print("%r: not compared (no independent measurement here)" % code)
        return
    expect(seen == leaking, "the reinit loop says %r %s"
           % (code, "leaks" if seen else "does not leak"))


def culprit_names(r):
    return sorted(c["module"] for c in r.json["culprits"] if not c["group"])


def expect_summary(r, culprits, groups=0):
    line = re.search(r"bisect imports: (\d+) modules, (\d+) culprits?"
                     r"(, (\d+) leaking groups?)? \((\d+) probes, (\d+) "
                     r"rounds, [\d.]+ s\)", r.out)
    expect(line, "the summary line", r)
    expect(int(line.group(2)) == culprits, "%d culprits counted" % culprits, r)
    expect(int(line.group(4) or 0) == groups, "%d groups counted" % groups, r)
    expect(int(line.group(5)) == r.json["probes"], "probes as in JSON", r)


# ---------------------------------------------------------------- bisect

# A leak in the target's own code, of a hundred objects: more than the
# calibration of release 3.12/3.13 can hide.
OWN_LEAK = "import leakref, json\nleakref.leak([object() for _ in range(100)])"


@test
def test_mutual_imports_name_the_accelerator():
    """markupsafe and markupsafe._speedups import each other: the
    accelerator completes first and is named (it was 0 culprits, exit 0)."""
    if subprocess.run([e2e.PYTHON, "-c", "import markupsafe._speedups"],
                      capture_output=True).returncode != 0:
        raise Skip("no markupsafe._speedups for this Python")
    if not leaks("import markupsafe._speedups"):
        raise Skip("markupsafe._speedups does not leak here")
    blocks = reinit_growth("import markupsafe._speedups")[-1][1] - \
        reinit_growth("pass")[-1][1]
    r = bisect("--bisect", "imports", os.path.join(EXAMPLES, "render_page.py"))
    expect(r.rc == 1, "a culprit: exit 1", r)
    expect(culprit_names(r) == ["markupsafe._speedups"], "the accelerator", r)
    c = r.json["culprits"][0]
    expect(c["through"] == ["markupsafe"], "markupsafe leaks through it", r)
    expect("blocks" in c["leaks"], "its leak", r)
    expect(abs(c["deltas"]["blocks"][-1] - blocks) <= blocks // 10,
           "about what the loop measured (%d blocks)" % blocks, r)
    expect(re.search(r"^markupsafe\._speedups leaked \[\d+, \d+\] ", r.out,
                     re.M), "regrtest's line for it", r)
    expect_summary(r, 1)


@test
def test_bisect_app_names_decimal():
    if not leaks("import _decimal"):
        raise Skip("_decimal does not leak on this Python")
    loop_says("import json, pathlib, textwrap", False)
    r = bisect("--bisect", "imports", os.path.join(EXAMPLES, "bisect_app.py"))
    expect(r.rc == 1, "exit 1", r)
    expect("_decimal" in culprit_names(r), "_decimal named", r)
    through = [c for c in r.json["culprits"] if c["module"] == "_decimal"][0]
    expect({"decimal", "statistics"} <= set(through["through"]),
           "statistics leaks through it", r)
    for c in r.json["culprits"]:
        loop_says("import " + c["module"], True)


@test
def test_two_independent_culprits():
    cwd = e2e.TARGETS
    loop_says("import stash", True, cwd)
    r = bisect("--bisect", "imports", "two_leaks.py", cwd=cwd)
    expect(r.rc == 1, "exit 1", r)
    expect(culprit_names(r) == ["opens_fd", "stash"], "both named", r)
    expect(r.json["failures"] == [] and r.json["additions"] == [],
           "nothing else", r)
    expect_summary(r, 2)


@test
def test_no_single_culprit_reports_the_group():
    """pair_b leaks only after pair_a: the two are reported, exit 1."""
    cwd = e2e.TARGETS
    if leaks("import pair_a", cwd):
        # measured on 3.9.18: importing any module from a source file
        # leaves 1287 blocks behind on every re-initialization
        raise Skip("on this Python, pair_a alone leaks: no group to find")
    loop_says("import pair_b", False, cwd)
    loop_says("import pair_a, pair_b", True, cwd)
    r = bisect("--bisect", "imports", "leaks_together.py", cwd=cwd)
    expect(r.rc == 1, "a leak: exit 1, never 0 culprits and 0", r)
    groups = [c for c in r.json["culprits"] if c["group"]]
    expect(len(groups) == 1 and groups[0]["module"] == "pair_b" and
           groups[0]["group"] == ["pair_a"], "the group: pair_a, pair_b", r)
    expect("pair_b leaks only together with 1 module before it" in r.out,
           "said in words", r)
    expect_summary(r, 0, groups=1)


@test
def test_own_code_leak_is_not_zero_culprits():
    """No import leaks, the target does: exit 1, and where it leaks."""
    code = OWN_LEAK
    loop_says(code, True)
    loop_says("import leakref, json", False)
    r = bisect("--bisect", "imports", "-c", code)
    expect(r.rc == 1, "exit 1", r)
    expect(r.json["own_code"] is not None and r.json["own_code"]["leaks"],
           "own_code", r)
    expect("leaks in its own code" in r.out, "said", r)
    expect_summary(r, 0)


@test
def test_own_code_leak_beside_an_import_leak():
    """An import leaks (stash) and so does the target's own code, 71
    references (a list of 70 objects) and a descriptor: the report names
    the import and says what it does not account for, every metric, in
    text and JSON (it said nothing of the 71 and the descriptor)."""
    if e2e.reinit_keeps_py_imports():
        raise Skip("3.9 keeps 1287 blocks every interpreter that imports "
                   "wraps_stash.py, as any Python module from a path: "
                   "wraps_stash leaks by itself there (e2e.reinit_keeps_py_imports)")
    cwd = e2e.TARGETS
    imports = "import wraps_stash, os, leakref"
    code = imports + ("\nleakref.leak([object() for _ in range(70)])"
                      "\nos.open('/dev/null', os.O_RDONLY)")
    grown, base = reinit_growth(code, cwd), reinit_growth(imports, cwd)
    r = bisect("--bisect", "imports", "-c", code, cwd=cwd)
    expect(r.rc == 1 and culprit_names(r) == ["stash"], "stash named", r)
    own = r.json["own_code"]
    expect(own is not None, "own_code is not null", r)
    expect("fds" in own["leaks"] and own["deltas"]["fds"] == [1, 1],
           "the descriptor is its own code's", r)
    expect("blocks" in own["leaks"], "so are the objects", r)
    expect(own["target"]["deltas"]["fds"] == [1, 1], "the whole, too", r)
    if grown is not None:
        # the independent reinit loop: the target less its imports
        for k, m in ((0, "refs"), (1, "blocks")):
            if grown[0][k] is None:
                continue
            expect(own["deltas"][m][-1] == grown[-1][k] - base[-1][k],
                   "%s as the loop measures: %d" % (
                       m, grown[-1][k] - base[-1][k]), r)
    expect(re.search(r"^  of which \[1, 1\] file descriptors are not "
                     r"accounted for by importing its modules$", r.out, re.M),
           "said for the descriptor", r)
    expect("leaks in its own code too" in r.out, "and in words", r)
    expect_summary(r, 1)


@test
def test_failing_module_left_out_with_its_importers():
    """needs_app fails on its own; app_helpers, which imports it, is left
    out with it at no cost of its own, and the search goes on."""
    r = bisect("--bisect", "imports", "fails_through.py", cwd=e2e.TARGETS)
    expect(r.rc == 1 and culprit_names(r) == ["opens_fd"], "opens_fd", r)
    expect([(f["module"], f["with"]) for f in r.json["failures"]] ==
           [("needs_app", ["app_helpers"])], "needs_app, with app_helpers", r)
    expect("left out with it (they import it): app_helpers" in r.out, "said", r)


@test
def test_unnamed_modules_left_out_quietly():
    """A module in sys.modules without a spec (Cython's cython_runtime) or
    under another name (os.path) is not bisected, nor reported."""
    code = ("import sys, types\n"
            "sys.modules['cython_runtime'] = types.ModuleType('cython_runtime')\n"
            "sys.modules['json_alias'] = __import__('json')\n")
    r = bisect("--bisect", "imports", "-c", code)
    expect(r.rc == 0 and r.json["failures"] == [], "nothing fails", r)
    expect("cython_runtime" not in r.out + r.err, "not named", r)
    expect(r.json["items"] > 0, "json and what it imports are there", r)


@test
def test_discovery_traceback_as_python():
    """Watching imports adds no frame to the target's traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "app.py"), "w") as f:
            f.write("import json\nimport broken\n")
        with open(os.path.join(tmp, "broken.py"), "w") as f:
            f.write("x = 1\nraise ValueError('boom')\n")
        r = bisect("--bisect", "imports", "app.py", cwd=tmp)
        python = subprocess.run([e2e.PYTHON, "app.py"], cwd=tmp,
                                capture_output=True, text=True)
    expect(r.rc == 3 and "ValueError: boom" in r.err, "the target failed", r)
    frames = re.findall(r'^  File "([^"]+)"', r.err, re.M)
    expect(frames == re.findall(r'^  File "([^"]+)"', python.stderr, re.M),
           "the frames python shows: %r" % python.stderr, r)


@test
def test_pytest_run_three_culprits():
    """The benchmark's case (scripts/bench-bisect.sh): a pytest run of
    three tests, about 270 modules; on 3.11 _socket, _datetime, _decimal
    leak. At most 40 probes."""
    proc = subprocess.run([e2e.PYTHON, "-c", "import pytest"],
                          capture_output=True)
    if proc.returncode != 0:
        raise Skip("no pytest for this Python")
    expected = sorted(m for m in ("_socket", "_datetime", "_decimal")
                      if leaks("import " + m))
    r = bisect("--bisect", "imports", "-m", "pytest", "-q", "-p",
               "no:cacheprovider", os.path.join(EXAMPLES, "test_services.py"))
    expect(r.json["items"] > 150, "pytest's modules listed", r)
    expect(r.json["failures"] == [], "each importable by name (rootdir)", r)
    if expected:
        expect(r.rc == 1, "exit 1", r)
    for m in expected:
        expect(m in culprit_names(r), "%s named" % m, r)
    for c in r.json["culprits"]:
        loop_says("import " + c["module"], True)
    expect(r.json["probes"] <= 40, "at most 40 probes", r)


def loop_test_growth(test_id, cwd):
    """The refs one run of a unittest test leaves behind, by a plain
    python3-dbg loop in one interpreter (no code of refhunt's): the deltas
    of runs 3 to 5."""
    code = ("import gc, sys, unittest\n"
            "t = unittest.defaultTestLoader.loadTestsFromName(%r)\n"
            "seen = []\n"
            "for _ in range(5):\n"
            "    t.run(unittest.TestResult()); gc.collect()\n"
            "    seen.append(sys.gettotalrefcount())\n"
            "print([b - a for a, b in zip(seen[2:], seen[3:])])\n" % test_id)
    proc = subprocess.run([e2e.PYTHON, "-c", code], capture_output=True,
                          text=True, env=e2e.env(), cwd=cwd)
    if proc.returncode != 0:
        return None         # a release build: no reference total
    return json.loads(proc.stdout)


@test
def test_bisect_tests_suite_import_leak():
    """The suite's import leaks in every new interpreter (stash's C
    static); one test leaks one reference a run. Reinit probes charged the
    import to the first test probed and showed the leaking one 1 + the
    import; now every probe loads the whole suite, the suite loaded with
    no test run is the floor, and only the leaking test is named, with
    its own delta."""
    cwd = e2e.TARGETS
    loop_says("import stash", True, cwd)
    suite = "test_import_leak_suite"
    one = loop_test_growth(suite + ".A.test_leak", cwd)
    expect(one in (None, [1, 1]), "the plain loop: one reference a run")
    expect(loop_test_growth(suite + ".A.test_a", cwd) in (None, [0, 0]),
           "the plain loop: test_a is clean")
    for mode in ("reinit", "loop"):
        if mode == "reinit" and e2e.reinit_keeps_py_imports():
            continue    # 3.9: every probe leaks, test_a's as test_leak's
        r = bisect("--bisect", "tests", "--mode", mode, "-m", "unittest",
                   suite, cwd=cwd)
        expect(r.rc == 1, "%s: exit 1" % mode, r)
        expect([c["test"] for c in r.json["culprits"]] ==
               [suite + ".A.test_leak"], "%s: only the leaking test" % mode, r)
        deltas = r.json["culprits"][0]["deltas"]
        if one is not None:
            expect(deltas["refs"] == [1, 1], "%s: its own reference" % mode, r)
            expect(re.search(r"^%s\.A\.test_leak leaked \[1, 1\] references"
                             % suite, r.out, re.M), "regrtest's line", r)
        floor = r.json["suite_loaded"]
        if mode == "loop":
            expect(floor is None, "loop: the imports happen once", r)
            continue
        expect(floor is not None and "blocks" in floor["leaks"],
               "reinit: the suite's import leak measured", r)
        expect("loading the suite alone leaks" in r.out and
               "charged to no test" in r.out, "and said", r)


# ---------------------------------------------------------------- share


def share_where(r):
    """Where the report says the share's 1 round ran: in the last warm-up's
    place (import_share_round), or after the hunt's rounds."""
    n = r.json["import_share_round"]
    return "in place of warm-up %d" % n if n else "after the hunt's"


def share_line(r, noun):
    """The line under a leak line with the import share's 1 round."""
    return re.search(r"^  of which \[(-?\d+)\] %s come from importing its "
                     r"modules alone \(1 round importing only them, %s; "
                     r"--bisect imports names them\)$"
                     % (noun, re.escape(share_where(r))), r.out, re.M)


def own_code(r):
    return ("none of which comes from importing its modules alone (1 round "
            "importing only them, %s): the leak is in its own code"
            % share_where(r))


def rounds_independent(r):
    """Where refhunt puts the share in the last warm-up's place (probe.c,
    probe_rounds_independent): 3.10 and later."""
    return e2e.python_version(r) >= (3, 10)


@test
def test_import_share_of_an_import_leak():
    """All of the leak comes from importing: the share says so."""
    cwd = e2e.TARGETS
    loop_says("import wraps_stash, opens_fd", True, cwd)
    r = refhunt("two_leaks.py", cwd=cwd)
    expect(r.rc == 1 and r.json["status"] == "leak", "a leak", r)
    share = r.json["import_deltas"]
    expect(share is not None, "import_deltas measured", r)
    for m in r.json["leaks"]:
        expect(len(share[m]) == 1 and (share[m][0] >= 1 if m != "fds" else
               share[m] == r.json["deltas"][m][:1]), "%s: from imports" % m,
               r)
        noun = {"refs": "references", "blocks": "memory blocks",
                "fds": "file descriptors", "objects": "objects"}[m]
        expect(share_line(r, noun), "the share printed", r)
    expect("own code" not in r.out, "not its own code", r)


@test
def test_import_share_script_dir():
    """The share imports from where the target imported (the script's
    directory), from any working directory."""
    r = refhunt(target("two_leaks.py"), cwd="/")
    expect(r.rc == 1, "a leak", r)
    expect(r.json["import_deltas"]["fds"] == [1] and
           r.json["deltas"]["fds"] == [1, 1, 1], "opens_fd found from /", r)


@test
def test_import_share_with_each():
    """--each: the share is a follow-up hunt run beside the others; each
    target's report, in order, has its own."""
    r = refhunt("--each", "-j", "2", target("two_leaks.py"),
                target("clean.py"), target("two_leaks.py"))
    expect(r.rc == 1, "a leak", r)
    reports = r.json["targets"]
    expect([t["status"] for t in reports] == ["leak", "clean", "leak"],
           "in order", r)
    for t in reports[0], reports[2]:
        expect(t["import_deltas"] is not None and
               t["import_deltas"]["fds"] == t["deltas"]["fds"][:1],
               "the share measured for each leak", r)
    expect(reports[1]["import_deltas"] is None, "none for a clean one", r)
    expect(len(re.findall(r"come from importing its modules alone", r.out))
           >= 2, "printed under each leak", r)


@test
def test_no_import_share():
    """--no-import-share: the same verdict, without the extra hunt."""
    r = refhunt("--no-import-share", target("two_leaks.py"))
    expect(r.rc == 1 and r.json["status"] == "leak", "a leak", r)
    expect(r.json["import_deltas"] is None, "no share measured", r)
    expect("importing its modules alone" not in r.out, "no share line", r)


@test
def test_import_share_of_own_code():
    """None of the leak comes from importing: the share says that too."""
    code = OWN_LEAK
    loop_says("import leakref, json", False)
    r = refhunt("-c", code)
    expect(r.rc == 1 and r.json["leaks"], "a leak", r)
    share = r.json["import_deltas"]
    metric = "blocks"
    expect(share is not None and metric in r.json["leaks"] and
           share[metric] == [0], "no %s from imports" % metric, r)
    expect(own_code(r) in r.out, "said", r)
    expect(not share_line(r, {"blocks": "memory blocks", "refs": "references"}[metric]),
           "no import share line", r)


COUNTED = """import os
with open(os.environ["REFHUNT_TEST_COUNT"], "a") as f:
    f.write("imported\\n")
"""


def imports_counted(body, counted=COUNTED):
    """Hunts a script that imports `counted` (which notes each import in a
    file) and then runs body: the result, and how many times an
    interpreter imported `counted` (the hunt's rounds and its share's)."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "counted.py"), "w") as f:
            f.write(counted)
        with open(os.path.join(tmp, "opens_fd.py"), "w") as f:
            f.write(open(target("opens_fd.py")).read())
        with open(os.path.join(tmp, "t.py"), "w") as f:
            f.write("import counted\n" + body)
        count = os.path.join(tmp, "count")
        r = refhunt(os.path.join(tmp, "t.py"),
                    extra_env={"REFHUNT_TEST_COUNT": count})
        with open(count) as f:
            return r, len(f.read().splitlines())


def share_imports(r):
    """The imports of a leaking hunt and its share: 6 rounds, one of them
    the share's in warm-up 3's place; or 6 rounds and 1 after them, and
    after calibration rounds 1 more, unmeasured, before it."""
    if r.json["import_share_round"] == 3:
        return 6
    return 7 + (r.json["calibration"] is not None)


@test
def test_import_share_clean_pays_nothing():
    """A clean hunt runs no import share round: only its own 6 rounds
    import anything. A leaking one that grows from warm-up 2 imports the
    modules alone in warm-up 3 (3.10+: no round more), and measures
    exactly what importing leaks: opens_fd's 1 descriptor an import, or
    none for a descriptor the target's own code opens."""
    if e2e.reinit_keeps_py_imports():
        raise Skip("3.9 keeps 1287 blocks every interpreter that imports "
                   "counted.py, as any Python module from a path: no target "
                   "here is clean in reinit mode (e2e.reinit_keeps_py_imports)")
    r, n = imports_counted("")
    expect(r.rc == 0 and r.json["import_deltas"] is None, "clean", r)
    expect(n == 6, "no share ran: %d imports" % n, r)
    r, n = imports_counted("import opens_fd\n")
    expect(r.rc == 1 and r.json["deltas"]["fds"] == [1, 1, 1] and
           r.json["import_deltas"]["fds"] == [1], "an import's fd", r)
    expect(share_line(r, "file descriptors").group(1) == "1", "printed", r)
    expect(r.json["import_share_round"] == (3 if rounds_independent(r) else
           None), "in warm-up 3's place where rounds are independent", r)
    expect(n == share_imports(r), "the share ran 1 round: %d imports" % n, r)
    r, n = imports_counted("import os\nos.open(os.devnull, os.O_RDONLY)\n")
    expect(r.rc == 1 and r.json["deltas"]["fds"] == [1, 1, 1] and
           r.json["import_deltas"]["fds"] == [0], "its own fd", r)
    expect(own_code(r) in r.out, "said", r)
    expect(n == share_imports(r), "the share ran 1 round: %d imports" % n, r)


@test
def test_import_share_after_the_hunt():
    """With fewer than 3 warm-ups (-R 2:3), or a leak that shows only in
    the tracked rounds, the share runs after the hunt's rounds; the same
    figure as in warm-up 3's place."""
    r2 = refhunt("-R", "2:3", target("two_leaks.py"))
    r3 = refhunt(target("two_leaks.py"))
    expect(r2.rc == 1 and r2.json["import_share_round"] is None and
           "after the hunt's" in r2.out, "-R 2:3: after the hunt", r2)
    expect(r3.rc == 1 and r2.json["import_deltas"] == r3.json["import_deltas"],
           "the same share either way", r3)
    with tempfile.TemporaryDirectory() as tmp:
        r = refhunt(target("roundwise.py"), os.path.join(tmp, "n"),
                    "leak-from", "4")
    expect(r.rc == 1 and r.json["deltas"]["blocks"] == [1, 1, 1] and
           r.json["import_share_round"] is None and
           r.json["import_deltas"]["blocks"] == [0], "a leak from round 4", r)
    expect(own_code(r) in r.out, "said", r)


@test
def test_import_share_crash_keeps_the_hunt():
    """A module that crashes when imported alone (sys.argv[0] is "-c" in
    the share's round only): in warm-up 3's place (3.10+), the worker runs
    the round in a child and runs the warm-up itself when the child dies;
    after the hunt's rounds, the crash loses the share, said, never the
    hunt's own verdict."""
    crashes = COUNTED + ("import signal, sys\n"
                         "if sys.argv[0] == '-c':\n"
                         "    os.kill(os.getpid(), signal.SIGSEGV)\n")
    r, n = imports_counted("import opens_fd\n", crashes)
    expect(r.rc == 1 and r.json["status"] == "leak" and
           r.json["deltas"]["fds"] == [1, 1, 1], "the hunt's leak", r)
    expect([x["status"] for x in r.json["rounds"]] == ["ok"] * 6,
           "every round of the hunt ran", r)
    expect(n == (8 if rounds_independent(r) else 7),
           "crashed in warm-up 3's place, and after the hunt: %d imports"
           % n, r)
    expect(r.json["import_deltas"] is None and
           "SIGSEGV" in r.json["import_share_lost"], "the share lost", r)
    expect("is not known: the import share after the hunt's rounds "
           "failed (the worker was killed by SIGSEGV" in r.out, "said", r)


@test
def test_import_share_not_for_a_clean_end():
    """Warm-ups that grow, and a hunt that ends clean all the same: it
    runs no share, and reports none."""
    with tempfile.TemporaryDirectory() as tmp:
        r = refhunt(target("roundwise.py"), os.path.join(tmp, "n"),
                    "leak-before", "4")
    expect(r.rc == 0 and r.json["status"] == "clean", "clean", r)
    expect(r.json["import_deltas"] is None and "of which" not in r.out,
           "no share reported", r)


@test
def test_import_share_only_when_it_matters():
    r = refhunt("-c", "import json")
    expect(r.rc == 0 and r.json["import_deltas"] is None, "clean: no share", r)
    r = refhunt("--mode", "loop", "-c",
                "import sys\nsys.__dict__.setdefault('_k', []).append([])")
    expect(r.rc == 1 and r.json["import_deltas"] is None,
           "loop mode: no share", r)


if __name__ == "__main__":
    sys.exit(e2e.main(sys.argv, TESTS))

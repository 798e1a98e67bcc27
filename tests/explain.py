#!/usr/bin/env python3
"""End-to-end tests of the finders: --explain, --trace-blocks, --show-growth.

    explain.py --list                          the test names
    explain.py REFHUNT FIXTURES PYTHON NAME    run one test

Each --explain case has a known answer and asserts the holder or the cycle
it names (never addresses or counts). The other cases assert that a finder
leaves the verdict and the deltas as they are without it. The helpers are
e2e.py's.
"""

import os
import subprocess
import sys
import tempfile

import e2e
import pertest
from e2e import expect, refhunt, target

TESTS = {}


def test(func):
    TESTS[func.__name__[len("test_"):]] = func
    return func


def explained(script, *extra):
    """Runs script in loop mode with --explain; the report and its
    explained objects."""
    r = refhunt("--mode", "loop", "--explain", *extra, target(script))
    e2e.expect_report_shape(r, "leak", 1, mode="loop")
    ex = r.json["explain"]
    expect(ex is not None, "no explain in the JSON report", r)
    expect(ex["note"] == "complete", "explain did not finish: %r" % ex["note"], r)
    expect(ex["after_round"] == r.json["warmups"] + r.json["tracked"],
           "explained after the last tracked round", r)
    expect("the last tracked run left behind (computed after it" in r.out,
           "explanation printed", r)
    return r, ex["objects"]


def finding(r, objects, name):
    """The explained object called name."""
    for o in objects:
        if o["object"] == name:
            return o
    raise AssertionError("no explanation of %s in %r\n%r" % (
        name, [o["object"] for o in objects], r))


@test
def test_explain_module_list():
    """An object kept in a module-level list: the chain from the module."""
    r, objects = explained("explain_list.py")
    o = finding(r, objects, "object")
    expect(o["chain"] and o["chain"].startswith("explain_keep.kept (list) \u2192 [")
           and o["chain"].endswith("] object"), "chain from the module: %r"
           % o["chain"], r)
    expect(o["outside_gc"] == 0 and o["cycle"] is None,
           "a list the GC sees: nothing else to say", r)
    expect("chain: explain_keep.kept (list) \u2192 [" in r.out, "chain printed", r)


@test
def test_explain_c_static():
    """An object only a C static holds (the stash fixture): no chain, and
    a reference outside the GC's view."""
    r, objects = explained("explain_stash.py")
    o = finding(r, objects, "explain_keep.Payload")
    expect(o["chain"] is None, "no chain from a root: %r" % o["chain"], r)
    expect(o["outside_gc"] >= 1, "references outside the GC's view", r)
    expect("held outside the GC's view (a C static, a struct member without "
           "tp_traverse, or a leaked Py_INCREF)" in r.out, "named in the text", r)


@test
def test_explain_untracked_dict():
    """Strings in a dict the GC does not track (only ints and strings in
    it): the chain through it (it was "no new object of a type that
    grew"), and no reference counted outside the GC's view."""
    r, objects = explained("explain_untracked.py")
    o = finding(r, objects, "str")
    expect(o["chain"] is not None and
           o["chain"].startswith("sys._untracked_cache (dict) \u2192 [") and
           o["outside_gc"] == 0, "chain through the dict: %r" % o["chain"], r)


@test
def test_untracked_leak_said():
    """A leak of objects the GC does not track and that no container
    holds where it looks (an int kept by C): --show-growth in loop mode
    and --explain say what is known and point to --trace-blocks (they
    printed nothing, and "no new object of a type that grew")."""
    code = "import stash\nstash.keep(int('7' * 30))"
    r = refhunt("--mode", "loop", "--explain", "--show-growth", "-c", code)
    expect(r.rc == 1 and "blocks" in r.json["leaks"], "a leak of blocks", r)
    expect("--show-growth: no type whose objects the GC tracks grew" in r.out,
           "--show-growth says why nothing grew", r)
    expect(r.json["explain"]["objects"] == [] and
           "what leaked is out of its view" in r.out and
           "--trace-blocks shows where the blocks were allocated" in r.out,
           "--explain points to --trace-blocks", r)


@test
def test_explain_uncollectable_cycle():
    """A cycle through cycles.NoGC (no tp_traverse) leaks; its twin through
    cycles.WithGC is collected and never named."""
    r, objects = explained("explain_cycles.py")
    o = finding(r, objects, "cycles.NoGC")
    expect(o["cycle"] and o["cycle"].startswith(
        "cycles.NoGC \u2192 list \u2192 cycles.NoGC; cycles.NoGC does not report "
        "its references to the GC"), "the cycle and the type: %r" % o["cycle"], r)
    expect("WithGC" not in r.out, "the collectable twin is not named", r)


@test
def test_explain_invisible_self_cycle():
    """n.ref = n through cycles.NoGC: nothing the GC tracks refers to the
    instance, so only its class's references show it; the WithGC twin is
    collected."""
    code = ("import cycles\n"
            "n = cycles.NoGC()\nn.ref = n\n"
            "w = cycles.WithGC()\nw.ref = w")
    r = refhunt("--mode", "loop", "--explain", "-c", code)
    e2e.expect_report_shape(r, "leak", 1, mode="loop")
    o = finding(r, r.json["explain"]["objects"], "instances of cycles.NoGC")
    expect("cycles.NoGC does not report its references to the GC" in
           (o["cycle"] or ""), "the type named: %r" % o["cycle"], r)
    expect(o["outside_gc"] >= 1, "references outside the GC's view", r)
    expect("WithGC" not in r.out, "the collectable twin is not named", r)
    same_deltas("--explain", "-c", code)


@test
def test_explain_closure_cycle():
    """nanobind's pattern: a bound type holding a callback its tp_traverse
    forgets, the callback a closure over the instance."""
    r, objects = explained("explain_closure.py")
    o = finding(r, objects, "cycles.Wrapper")
    cycle = o["cycle"] or ""
    for part in ("cycles.Wrapper \u2192 function make.<locals>.callback",
                 "\u2192 cell \u2192 cycles.Wrapper;",
                 "cycles.Wrapper does not report its references to the GC "
                 "(its tp_traverse leaves out value)"):
        expect(part in cycle, "cycle names %r: %r" % (part, cycle), r)
    expect(o["chain"].startswith("1 reference outside the GC's view \u2192 "
                                 "function make.<locals>.callback"),
           "held by the callback, itself held outside the GC's view", r)


@test
def test_explain_globals_cycle():
    """nanobind's guide: Wrapper -> function -> globals -> Wrapper."""
    r, objects = explained("explain_globals.py")
    o = finding(r, objects, "cycles.Wrapper")
    expect((o["cycle"] or "").startswith(
        "cycles.Wrapper \u2192 function f \u2192 dict (globals of __main__) "
        "\u2192 cycles.Wrapper; cycles.Wrapper does not report its references"),
        "the cycle through the globals: %r" % o["cycle"], r)


@test
def test_explain_typing_stash():
    """The typing seed's scenario: a C static keeps a function whose
    annotation, a typing construct, keeps a class alive. (refhunt clears
    typing's own caches after every run in loop mode, so the chain goes
    through the annotation; see test_explain_lru_cache for a cache.)"""
    r, objects = explained("explain_typing.py")
    o = finding(r, objects, "class __main__.make.<locals>.A")
    chain = o["chain"] or ""
    expect(chain.startswith("1 reference outside the GC's view \u2192 function "
                            "make.<locals>.test"), "held by the stashed "
           "function: %r" % chain, r)
    expect("typing._UnionGenericAlias \u2192 .__args__ tuple \u2192 [0] class "
           "__main__.make.<locals>.A" in chain, "through Optional[A]", r)


@test
def test_explain_lru_cache():
    """A class kept by a functools.lru_cache: named, with its cleanup."""
    r, objects = explained("explain_lru.py")
    o = finding(r, objects, "class __main__.A")
    expect((o["chain"] or "").startswith("explain_keep.lookup (functools."),
           "chain from the cached function: %r" % o["chain"], r)
    expect(o["cache"] == "functools.lru_cache of explain_keep.lookup: "
           "explain_keep.lookup.cache_clear() clears it", "the cache named", r)


@test
def test_explain_stdlib_lru_cache():
    """Real code: fnmatch caches every pattern it compiles in an
    lru_cache; a new pattern a run leaks until the cache is full."""
    code = ("import fnmatch, sys\n"
            "n = sys.__dict__.setdefault('_n', [0]); n[0] += 1\n"
            "fnmatch.fnmatch('x', 'p%d*' % n[0])")
    r = refhunt("--mode", "loop", "--explain", "-c", code)
    e2e.expect_report_shape(r, "leak", 1, mode="loop")
    caches = [o["cache"] for o in r.json["explain"]["objects"]]
    expect("functools.lru_cache of fnmatch._compile_pattern: "
           "fnmatch._compile_pattern.cache_clear() clears it" in caches,
           "fnmatch's cache named: %r" % caches, r)


@test
def test_explain_needs_loop():
    r = refhunt("--explain", "-c", "pass")
    expect(r.rc == 2 and "--explain needs --mode loop" in r.err,
           "usage error: %r" % r.err, r)
    r = refhunt("--mode", "loop", "--explain=0", "-c", "pass")
    expect(r.rc == 2 and "--explain" in r.err, "N out of range", r)
    r = refhunt("--help", json_report=False)
    expect(r.rc == 0 and "--explain[=N]" in r.out, "--help names it", r)


@test
def test_explain_clean():
    r = refhunt("--mode", "loop", "--explain", "-c", "pass")
    e2e.expect_report_shape(r, "clean", 0, mode="loop")
    expect(r.json["explain"]["objects"] == [], "nothing to explain", r)
    expect("--explain: the last tracked run left no new object" in r.out,
           "says so", r)


def same_deltas(option, *args, mode="loop"):
    """A finder leaves the verdict and the deltas as they are without it."""
    plain = refhunt("--mode", mode, *args)
    found = refhunt("--mode", mode, option, *args)
    for r in (plain, found):
        expect(r.json is not None and r.json["status"] == "leak",
               "the target leaks", r)
    expect(found.rc == plain.rc and found.json["leaks"] == plain.json["leaks"],
           "%s changed the verdict" % option, found)
    expect(found.json["deltas"] == plain.json["deltas"],
           "%s changed the deltas: %r, without it %r" % (
               option, found.json["deltas"], plain.json["deltas"]), found)
    return found


LEAK_ONE = "import sys; sys.__dict__.setdefault('_k', []).append(object())"


@test
def test_trace_blocks_keeps_deltas():
    r = same_deltas("--trace-blocks", "-R", "2:3", "-c", LEAK_ONE)
    expect("<string>:1" in r.out, "the site is shown", r)
    same_deltas("--trace-blocks", "-R", "2:3", target("grows.py"))


@test
def test_trace_blocks_user_frames_first():
    """The target's frames before unittest's, which are summed up."""
    r = refhunt("--mode", "loop", "-q", "--trace-blocks=3", "-m", "unittest",
                "test_grows_suite", cwd=e2e.TARGETS)
    e2e.expect_report_shape(r, "leak", 1, mode="loop")
    sites = [t["traceback"] for rd in r.json["rounds"][r.json["warmups"]:]
             for t in rd.get("trace", [])]
    mine = [s for s in sites if s[0].endswith("test_grows_suite.py:13")]
    expect(mine, "the test's line first: %r" % sites, r)
    expect(any(line.startswith("(+") and "unittest" in line for line in mine[0]),
           "unittest's frames summed up in one line: %r" % mine[0], r)
    expect(r.out.count("test_grows_suite.py:13") == 1,
           "each site printed once, not every round", r)


def sites(r):
    """Every site of the tracked rounds, as its list of lines."""
    return [t["traceback"] for rd in r.json["rounds"][r.json["warmups"]:]
            for t in rd.get("trace", [])]


def expect_site(r, first, *then):
    """A site whose first line has every string of first, and whose next
    lines end with those of then, in order."""
    for lines in sites(r):
        if all(x in lines[0] for x in first) and len(lines) > len(then) and \
                all(lines[1 + i].endswith(t) for i, t in enumerate(then)):
            return lines
    raise AssertionError("no site %r then %r in %r\n%r" % (first, then,
                                                         sites(r), r))


MODES = ("reinit", "subinterp", "loop")


def source_line(fixture, needle):
    """"fixture.c:N", N the line of the fixture's source that has needle:
    what addr2line must name, read from the source itself."""
    with open(os.path.join(e2e.HERE, "fixtures", fixture)) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return "%s:%d" % (fixture, n)
    raise AssertionError("%s has no %r" % (fixture, needle))


@test
def test_trace_blocks_every_mode_names_c_function():
    """A C function that leaks a block: its name and line (the fixture is
    built with debug information), then the Python line that called it;
    the deltas are the same without the option. (3.9's subinterpreters
    keep a varying number of blocks by themselves: there it leaks more a
    round, e2e.leaks_per_round.)"""
    for mode in MODES:
        r = same_deltas("--trace-blocks", "-c",
                        "import leakblock\nfor _ in range(%d): leakblock.leak()"
                        % e2e.leaks_per_round(mode), mode=mode)
        expect_site(r, ("leak at ", source_line("leakblock.c", "PyMem_Malloc"),
                        "leakblock.cpython"),
                    "<string>:2")


@test
def test_trace_blocks_incref_leak_names_function_and_test_line():
    """A Py_INCREF leak in a C function that builds its result: the
    function, then the test's line that called it, in every mode (more
    than one a round where 3.9's subinterpreters drown it,
    e2e.leaks_per_round)."""
    for mode in MODES:
        r = same_deltas("--trace-blocks", target("leaks_new_ref.py"),
                        str(e2e.leaks_per_round(mode)), mode=mode)
        expect_site(r, ("leak_new at ", source_line(
                        "leakref.c", "PyBytes_FromStringAndSize")),
                    "leaks_new_ref.py:6", "leaks_new_ref.py:9")


def python_version():
    out = subprocess.run([e2e.PYTHON, "-c", "import sys; print(*sys.version_info[:2])"],
                         capture_output=True, text=True, check=True).stdout
    return tuple(int(x) for x in out.split())


def site_types(r, lines):
    """The types said of a site, per tracked round."""
    return [t["types"] for rd in r.json["rounds"][r.json["warmups"]:]
            for t in rd.get("trace", []) if t["traceback"] == lines]


@test
def test_trace_blocks_types():
    """3.13+: a site says the types of the live objects among its kept
    blocks (the reference tracer names them), and an object a free list
    gives out is placed where it is made again, as tracemalloc does since
    3.13 (incref.py's empty lists). Before 3.13 no type is said."""
    typed = python_version() >= (3, 13)
    for mode in ("reinit", "loop"):
        r = same_deltas("--trace-blocks", target("leaks_new_ref.py"), mode=mode)
        lines = expect_site(r, ("leak_new at ",), "leaks_new_ref.py:6")
        want = [{"type": "bytes", "count": 1}] if typed else []
        expect(site_types(r, lines) == [want] * r.json["tracked"],
               "%s: types %r, wanted %r a round" % (mode, site_types(r, lines), want), r)
        expect(("(objects: bytes [1, 1, 1]):" in r.out) == typed,
               "%s: the text says the type" % mode, r)
    if typed:
        r = same_deltas("--trace-blocks", target("incref.py"), mode="loop")
        lines = expect_site(r, ("incref.py:17",), "incref.py:21")
        expect(site_types(r, lines) == [[{"type": "list", "count": 1}]] * 3,
               "incref.py's recycled lists: %r" % site_types(r, lines), r)


@test
def test_trace_blocks_stash_names_init_function():
    """A reference stashed in a C static at init: the extension's init
    function (reinit; subinterp where single-phase modules load)."""
    for mode in ("reinit", "subinterp"):
        r = refhunt("--mode", mode, "--trace-blocks", "-c", "import stash")
        if mode == "subinterp" and r.json["status"] == "failed":
            continue    # 3.12+: single-phase modules refuse to load
        e2e.expect_report_shape(r, "leak", 1, mode=mode)
        expect_site(r, ("PyInit_stash at ", source_line(
                        "stash.c", "escape_cache = Py_BuildValue")), "<string>:1")


def loads_in(mode, code):
    """Whether code runs in mode (3.12+'s subinterpreters refuse
    single-phase extension modules: the hunt fails)."""
    r = refhunt("--mode", mode, "-R", "1:1", "-c", code)
    return r.json is not None and r.json["status"] != "failed"


@test
def test_trace_blocks_tail_init_names_extension():
    """An init function that ends in a tail call to PyModule_Create
    (tailinit, built with -O2: a jump; on the free-threaded build a
    multi-phase module that CPython makes) has no frame of its own on the
    C stack while the module is made: the site names the extension being
    initialized, its init function and .so, then the target's line, and
    is listed first (it names C code outside CPython). An init that
    imports another extension (nestinit imports tailinit, which keeps
    itself) names the innermost. The deltas are those without the
    option."""
    for mode in ("reinit", "subinterp"):
        if not loads_in(mode, "import tailinit"):
            continue    # 3.12+: single-phase modules refuse to load
        r = same_deltas("--trace-blocks", "-c",
                        "import tailinit; tailinit.keep()", mode=mode)
        lines = expect_site(r, ("PyInit_tailinit, initializing tailinit (",
                                "/tailinit.cpython", ".so)"), "<string>:1")
        expect(sites(r)[0] == lines, "%s: listed first: %r" % (mode, sites(r)), r)
        if not loads_in(mode, "import nestinit"):
            continue    # single-phase on the free-threaded build too
        r = same_deltas("--trace-blocks", "-c", "import nestinit", mode=mode)
        expect_site(r, ("PyInit_tailinit, initializing tailinit (",),
                    "<string>:1")


@test
def test_trace_blocks_packages_called_shown_callers_summed():
    """Frames of installed packages (a site-packages directory): one that
    the target called is shown, before the target's line (the library
    whose code made the block); one that called the target, as pytest
    calls a test, is summed up after it, as the standard library's are.
    The deltas are those without the option."""
    with tempfile.TemporaryDirectory() as tmp:
        packages = os.path.join(tmp, "site-packages")
        os.mkdir(packages)
        with open(os.path.join(packages, "callee.py"), "w") as f:
            f.write("kept = []\ndef leak():\n    kept.append(object())\n")
        with open(os.path.join(packages, "runner.py"), "w") as f:
            f.write("def run(test):\n    test()\n")
        script = os.path.join(tmp, "uses_packages.py")
        with open(script, "w") as f:
            f.write("import sys; sys.path.insert(0, %r)\n"
                    "import callee, runner\n"
                    "def test():\n    callee.leak()\n"
                    "runner.run(test)\n" % packages)
        r = same_deltas("--trace-blocks", script)
        lines = expect_site(r, ("site-packages/callee.py:3",),
                            "uses_packages.py:4", "uses_packages.py:5")
        expect(lines[3:] == ["(+1 in runner)"],
               "the caller's frame summed up: %r" % lines, r)


@test
def test_trace_blocks_clean_lists_nothing():
    """What CPython leaves by itself is not listed: a clean target lists
    no site, in any mode. Not in 3.9's subinterpreters, which keep blocks
    of their own (5 to 14 each with -c pass) and 3 a subinterpreter made
    by _json's scanner_new (3.9.18): there the target is not clean."""
    for mode in MODES:
        if e2e.leaks_per_round(mode) != 1:
            continue
        r = refhunt("--mode", mode, "--trace-blocks", "-c",
                    "import json\njson.dumps({'a': [1, 2]})")
        e2e.expect_report_shape(r, "clean", 0, mode=mode)
        expect(sites(r) == [] and "kept blocks allocated at" not in r.out,
               "%s: no site listed" % mode, r)


@test
def test_trace_blocks_markupsafe_import_line():
    """README's example: the blocks markupsafe keeps are made by its
    package's code, imported from render_page.py's import line, and by
    CPython while _speedups is initialized (its init function, its .so);
    reinit and subinterp."""
    if subprocess.run([e2e.PYTHON, "-c", "import markupsafe._speedups"],
                      capture_output=True).returncode != 0:
        raise e2e.Skip("markupsafe's _speedups not installed for %s" % e2e.PYTHON)
    # MarkupSafe 3's accelerator (only _escape_inner; pip's 3.0.3 in
    # pyenv's 3.11.7) keeps no state in C statics: nothing leaks
    if subprocess.run([e2e.PYTHON, "-c", "import markupsafe._speedups as s; "
                       "assert hasattr(s, 'escape')"],
                      capture_output=True).returncode != 0:
        raise e2e.Skip("the markupsafe loaded by %s is MarkupSafe 3, whose "
                       "_speedups keeps nothing (README's example is "
                       "Debian's 2.1)" % e2e.PYTHON)
    for mode in ("reinit", "subinterp"):
        r = refhunt("--mode", mode, "--trace-blocks",
                    os.path.join(e2e.HERE, "examples", "render_page.py"))
        e2e.expect_report_shape(r, "leak", 1, mode=mode)
        mine = [s for s in sites(r) if "/markupsafe/" in s[0]]
        expect(mine and any(line.endswith("render_page.py:8") for line in mine[0]),
               "markupsafe's lines, then render_page.py's import line", r)
        # its init function tail-calls PyModule_Create: named as the
        # extension being initialized, listed first (C code of the target's)
        first = sites(r)[0]
        expect(first[0].startswith("PyInit__speedups, initializing "
                                   "markupsafe._speedups (") and
               "/markupsafe/_speedups." in first[0] and
               any(line.endswith("render_page.py:8") for line in first),
               "%s: _speedups named first: %r" % (mode, first), r)


@test
def test_show_growth_keeps_deltas():
    same_deltas("--show-growth", "-c", LEAK_ONE)


@test
def test_explain_keeps_deltas():
    same_deltas("--explain", "-c", LEAK_ONE)
    same_deltas("--explain", target("explain_closure.py"))


@test
def test_show_growth_outside_loop_says_why():
    """reinit and subinterp: what leaks outlives the interpreter, where no
    GC counts it; refhunt says so and points to loop mode."""
    for mode in ("reinit", "subinterp"):
        r = refhunt("--mode", mode, "--show-growth", "-c",
                    "import cycles\nn = cycles.NoGC()\nn.ref = n")
        e2e.expect_report_shape(r, "leak", 1, mode=mode)
        expect("--show-growth: no type grew inside the" in r.out and
               "--mode loop" in r.out, "%s: says why, suggests loop" % mode, r)


# ---- --per-test --explain: each leaking test's explanation

def per_test_explained(runner, suite, *extra):
    """--per-test --explain on a suite of suites/: the report, and each
    test's JSON object by id."""
    r = refhunt("-q", "--per-test", *extra, "-m", runner, suite,
                cwd=pertest.SUITES, timeout=600)
    expect(r.json is not None and r.json["per_test"], "a per-test report", r)
    return r, {t["id"]: t for t in r.json["tests"]}


def text_of(r, test_id, ids):
    """The report's lines about one test: from its first line to the
    first line of another test or the summary."""
    lines, inside = [], False
    for line in r.out.splitlines():
        starts = [i for i in ids if line.startswith(i + " ")]
        if starts or line.startswith("refhunt: "):
            inside = starts == [test_id]
        if inside:
            lines.append(line)
    return "\n".join(lines)


def expect_per_test_explained(runner, suite, prefix, module):
    """The list leak and the C static named for their tests, nothing for
    the others; the text says it under each leaking test."""
    r, tests = per_test_explained(runner, suite, "--explain")
    expect(r.rc == 1, "leaks: exit 1", r)
    status = {i: t["status"] for i, t in tests.items()}
    leak, clean = [prefix + "test_list", prefix + "test_stash"], \
        [prefix + "test_clean", prefix + "test_stops"]
    expect(status == dict([(i, "leak") for i in leak] +
                          [(i, "clean") for i in clean]),
           "the verdicts: %r" % status, r)
    for i in leak:
        ex = tests[i]["explain"]
        expect(ex is not None and ex["note"] == "complete" and
               ex["after_round"] == r.json["warmups"] + r.json["tracked"],
               "%s explained after its last run: %r" % (i, ex), r)
    lst = finding(r, tests[leak[0]]["explain"]["objects"], module + ".Item")
    expect(lst["chain"] and lst["chain"].startswith(
        module + "._kept (list) \u2192 [") and lst["chain"].endswith(
        "] " + module + ".Item") and lst["outside_gc"] == 0,
        "the module-level list named: %r" % lst, r)
    st = finding(r, tests[leak[1]]["explain"]["objects"], module + ".Payload")
    expect(st["chain"] is None and st["outside_gc"] >= 1,
           "the C static: no chain, a reference outside the GC's view: %r"
           % st, r)
    for i in clean:
        expect(tests[i]["explain"] is None, "%s: no explanation" % i, r)
    ids = list(tests)
    text = text_of(r, leak[0], ids)
    expect("the last tracked run left behind (computed after it" in text and
           "chain: %s._kept (list) \u2192 [" % module in text,
           "the list under %s: %r" % (leak[0], text), r)
    text = text_of(r, leak[1], ids)
    expect("1 reference held outside the GC's view (a C static" in text and
           "Item" not in text, "the C static under %s: %r" % (leak[1], text),
           r)
    for i in clean:
        expect("what holds" not in text_of(r, i, ids) and
               "--explain" not in text_of(r, i, ids),
               "nothing under %s" % i, r)
    expect(r.out.count("what holds") == 2, "two explanations", r)
    return r


def expect_same_per_test(runner, suite):
    """--explain leaves every test's verdict and deltas as they are."""
    plain, tests = per_test_explained(runner, suite)
    found, with_explain = per_test_explained(runner, suite, "--explain")
    expect(found.rc == plain.rc, "--explain changed the exit status", found)
    for i, t in tests.items():
        u = with_explain[i]
        expect((u["status"], u["leaks"], u["deltas"]) ==
               (t["status"], t["leaks"], t["deltas"]),
               "%s: --explain changed %r to %r" % (
                   i, (t["status"], t["deltas"]), (u["status"], u["deltas"])),
               found)
        expect(t["explain"] is None, "no --explain, no explanation", plain)


@test
def test_explain_per_test_pytest():
    pertest.need_pytest()
    expect_per_test_explained("pytest", "test_pt_explain.py",
                              "test_pt_explain.py::", "test_pt_explain")


@test
def test_explain_per_test_pytest_own_objects():
    """A test that leaks a plain list under pytest: the list in the
    module is explained, not the lists pytest and refhunt's driver make
    anew in every run (LogCaptureHandler.records, the run's reports),
    which it explained before."""
    pertest.need_pytest()
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_lst.py"), "w") as f:
            f.write("_kept = []\n\n\ndef test_list():\n"
                    "    _kept.append([])\n")
        r = refhunt("-q", "--per-test", "--explain", "-m", "pytest", "-p",
                    "no:cacheprovider", "test_lst.py", cwd=tmp, timeout=600)
    expect(r.rc == 1, "a leak", r)
    objects = r.json["tests"][0]["explain"]["objects"]
    chains = [o["chain"] or "" for o in objects]
    expect(chains and chains[0].startswith("test_lst._kept (list) \u2192 [")
           and chains[0].endswith("] list"), "the test's list first: %r"
           % chains, r)
    expect(not any("_pytest" in c or "_PytestTest" in c for c in chains),
           "none of pytest's own: %r" % chains, r)


@test
def test_explain_per_test_unittest():
    expect_per_test_explained("unittest", "test_ut_explain.py",
                              "test_ut_explain.Leaks.", "test_ut_explain")


@test
def test_explain_per_test_keeps_deltas():
    expect_same_per_test("unittest", "test_ut_explain.py")
    expect_same_per_test("unittest", "test_ut_suite.py")


@test
def test_explain_per_test_keeps_deltas_pytest():
    pertest.need_pytest()
    expect_same_per_test("pytest", "test_pt_explain.py")
    expect_same_per_test("pytest", "test_pt_suite.py")


@test
def test_explain_per_test_untrusted_refs():
    """A release-built extension: its drift of the refs total is no leak
    and gets no explanation (refs do not decide, so the worker does not
    look); with --trust-refs refs decide, and the test is explained. An
    object it keeps is explained either way: blocks leak too."""
    with tempfile.TemporaryDirectory() as tmp:
        with open(os.path.join(tmp, "test_ext.py"), "w") as f:
            f.write("import unittest\nimport releasebuilt\n\n"
                    "class Ext(unittest.TestCase):\n"
                    "    def test_drift(self):\n        releasebuilt.drift()\n\n"
                    "    def test_object(self):\n"
                    "        releasebuilt.leak_object()\n")
        runs = [refhunt("-q", "--per-test", "--explain", *trust, "-m",
                        "unittest", "test_ext", cwd=tmp)
                for trust in ([], ["--trust-refs"])]
    if not runs[0].json["python"]["refs_available"]:
        raise e2e.Skip("no refs on a release build")
    for r, drift_status in zip(runs, ("clean", "leak")):
        tests = {t["id"]: t for t in r.json["tests"]}
        drift, obj = tests["test_ext.Ext.test_drift"], \
            tests["test_ext.Ext.test_object"]
        expect(drift["status"] == drift_status and obj["status"] == "leak",
               "the verdicts", r)
        expect((drift["explain"] is None) == (drift_status == "clean"),
               "the drift explained only when refs decide", r)
        held = [o for o in obj["explain"]["objects"] if o["object"] == "list"]
        expect(held and held[0]["outside_gc"] >= 1,
               "the kept list, held outside the GC's view: %r" %
               obj["explain"], r)


if __name__ == "__main__":
    sys.exit(e2e.main(sys.argv, TESTS))

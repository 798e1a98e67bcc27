"""refhunt --per-test: every test of a pytest or unittest suite, run again
and again in one interpreter, each with its own verdict.

The worker (pertest_worker.c) runs this file in glue.py's namespace, after
loop_setup(), and calls hunt(). The suite is collected once; then each test
runs `rounds` times in a row. After each run come loop mode's cleanup() and
collect(), then send(MEASURE, ...) reads the counters in C, allocating
nothing. Function-scoped fixtures and setUp/tearDown run every time; class,
module and session fixtures (setUpClass, setUpModule) stay set up across the
runs of a test and are torn down when the suite moves on, as usual.

Between two counter readings the loop below runs the same code with the same
objects alive, so that what stays is what the test left behind.
"""

import time

# What send(code, number, text) says; the numbers are pertest_worker.c's.
(_TEST, _BEGIN, _RUN, _COLLECT, _MEASURE, _END, _MOVED, _SUSPECT,
 _AGAIN) = range(9)
# aborted: refhunt stopped the test for an error of its own
_OUTCOMES = ("passed", "failed", "skipped", "xfailed", "aborted")


class _Stop(Exception):
    """The record channel is gone: stop at once."""


class _OwnError(Exception):
    """refhunt's own code between two runs failed: the hunt stops, and the
    report says whose error it is, with its traceback."""


def _send(send, code, number, text=None):
    if send(code, number, text):
        raise _Stop


# scripts/bench-pertest.sh: REFHUNT_BENCH_FILE names a file for the time
# the cleanup and the gc passes took (None: not measured).
_bench = None


def _timed(func, key, *args):
    """func(*args), its wall and CPU time added to _bench[key]."""
    wall, cpu = _bench["clock"], _bench["cpu_clock"]
    t, c = wall(), cpu()
    func(*args)
    _bench[key] += wall() - t
    _bench[key + "_cpu"] += cpu() - c


def _between_runs(passes, send):
    """What the loop does between a run and its reading: the cleanup undoes
    what a run put in caches (nothing to undo when refs and blocks are
    where the last reading left them), then the gc passes."""
    if _bench is None:
        if send(_MOVED, 0, None):
            cleanup()
        collect(passes)
    else:
        if send(_MOVED, 0, None):
            _timed(cleanup, "cleanup")
            _bench["cleanups"] += 1
        _timed(collect, "gc", passes)
        _bench["runs"] += 1


# The screen: a test's runs measured on a frozen heap (gc.freeze()), so that
# the gc passes walk only what its runs made, not the suite, the modules and
# what the tests before it left. What the screen keeps alive that the exact
# way frees is garbage the frozen heap hides from the gc, which it never
# frees: its deltas are never below the exact ones, and the verdict's rule is
# monotonic. A test whose screened deltas are not all 0 (send SUSPECT) gets a
# gc pass over the thawed heap: if it finds no garbage, the screen hid none
# and its deltas are the exact ones. If it does, the garbage may be the runs'
# (the exact way would have freed it) or older: fixtures torn down after the
# freeze, which the runs never touched. Where the frozen heap may hold such
# (old_garbage), the test's runs are screened again on a heap the gc passes
# just emptied (send AGAIN 1), and a second pass decides; else, or if it
# finds garbage again, the test is measured the exact way from there (send
# AGAIN with the last warm-up's number): that pass emptied the heap as the
# exact way's gc passes after a warm-up do, so the screened runs were its
# warm-ups; its last warm-up runs again and the tracked runs follow, with
# the gc passes over the whole heap, and decide (4 runs more, not 6). Either
# way the runs that decide are the same as the exact way's. All 0: a refs
# total sees a dropped reference, so they are exact; on a release build a
# clean test may free the exact way what the screen hid, and its deltas stay
# the screen's 0, above the exact ones. A test that asks the gc for the whole
# heap (gc.get_objects(), gc.get_referrers()) gets it: the heap thaws, and
# its last warm-up and tracked runs run again too.
#
# A test whose warm-up run takes at least _SCREEN_PAYS times what the exact
# way's gc passes over the whole heap are thought to cost (passes x the
# last check's pass over the thawed heap; before one, 2 us an object of the
# heap first frozen) leaves the screen for the exact way from that run on: the screen would save it
# less than a tenth of its time, and a check that finds garbage would cost
# all its runs again (NumPy's test_new_policy runs numpy.core's whole
# suite, 10 minutes a run). The last warm-up's reading is then the exact
# way's, so its tracked deltas are exact: no check, no runs again.
#
# "frozen": whether refhunt froze the heap and has not thawed it since,
# kept here because gc.get_freeze_count() walks the whole frozen heap (10 ms
# a million objects). "full_pass": the seconds a pass over the whole heap
# is thought to take.
_screen = {"on": False, "thawed": False, "old_garbage": True,
           "frozen": False, "full_pass": None, "warmups": 0}
_SCREEN_PAYS = 10


def _thawing(func):
    """gc's func, which sees the whole heap when the screen froze it."""
    def whole_heap(*args, **kwargs):
        if _screen["frozen"]:
            _thaw()
            _screen["thawed"] = True
        return func(*args, **kwargs)
    whole_heap.__name__ = func.__name__
    whole_heap.__qualname__ = func.__qualname__
    whole_heap.__doc__ = func.__doc__
    return whole_heap


def _thaw():
    gc.unfreeze()
    _screen["frozen"] = False


def _screen_start(warmups):
    _screen["on"] = True
    _screen["warmups"] = warmups
    for name in ("get_objects", "get_referrers"):
        setattr(gc, name, _thawing(getattr(gc, name)))


def _screen_hid_garbage(passes, send):
    """Whether the screen's deltas could differ from the exact ones: they
    are not all 0, and the gc passes over the thawed heap find garbage. A
    first pass that finds none ends them when no other thread and no
    gc.callbacks could run code after it: nothing changed, so the next
    would find none either. Either way no garbage is left."""
    if not send(_SUSPECT, 0, None):
        return False
    if _bench is not None:
        _bench["checks"] += 1
    _thaw()
    _screen["old_garbage"] = False
    started = time.perf_counter()
    found = gc.collect()
    _screen["full_pass"] = time.perf_counter() - started
    if not found and not gc.callbacks and len(sys._current_frames()) == 1:
        return False
    for _ in range(passes - 1):
        found += gc.collect()
    return found > 0


def _screened_runs(test, rounds, passes, send):
    """The test's runs on the frozen heap, screened again once if the gc
    found garbage that may be older than its runs; the outcome of the last
    run, and whether those runs decide (else they run the exact way)."""
    old_garbage = _screen["old_garbage"]
    outcome, text, screened = _runs(test, rounds, passes, send, True)
    if outcome != "passed" or not screened:
        return outcome, text, True
    if _screen["thawed"]:
        return outcome, text, False
    if not _screen_hid_garbage(passes, send):
        return outcome, text, True
    if not old_garbage:
        return outcome, text, False
    _send(send, _AGAIN, 1)
    if _bench is not None:
        _bench["screened_again"] += 1
        _bench["screened_again_ids"].append(test.id)
    outcome, text, screened = _runs(test, rounds, passes, send, True)
    return outcome, text, outcome != "passed" or not screened or not (
        _screen["thawed"] or _screen_hid_garbage(passes, send))


def _exact_tracked_runs(test, rounds, passes, send):
    """After screened runs that could hide garbage: the heap was just
    emptied by gc passes over all of it (the check's, or those after the
    last run of a test that thawed it), as the exact way's are after a
    warm-up. The screened runs were warm-ups: the last warm-up runs again
    the exact way, and the tracked runs follow (all its runs again without
    warm-ups). Not a reading of that heap without a run: the first tracked
    run of some tests kept 2 blocks more than the others after it (NumPy's
    test_ccompiler_opt.py), what a run the exact way settles."""
    first = max(_screen["warmups"], 1)
    _send(send, _AGAIN, first)
    return _runs(test, rounds, passes, send, False, first)


def _runs(test, rounds, passes, send, screened, first=1):
    """The test's runs from run `first`; the outcome of the last, and
    whether they ended on the screen (else the exact way's gc passes read
    the last warm-up)."""
    outcome, text = "passed", ""
    if screened:
        # what the tests before left: the garbage goes (the gc passes walk
        # only what is not frozen yet; none over a heap not yet frozen,
        # which would walk it all), the rest is frozen with the heap; it
        # stays frozen until a test needs the whole heap
        _screen["thawed"] = False
        if _screen["frozen"]:
            collect(passes)
        gc.freeze()
        _screen["frozen"] = True
        if _screen["full_pass"] is None:
            _screen["full_pass"] = gc.get_freeze_count() * 2e-6
    else:
        _thaw()
        _screen["old_garbage"] = False     # the gc passes walk it all
    for r in range(first, rounds + 1):
        _send(send, _RUN, r)
        started = time.perf_counter()
        outcome, text = test.run()
        if outcome != "passed":
            break       # a failure, a skip or an xfail ends its runs
        if screened and r < _screen["warmups"] and (
                time.perf_counter() - started >
                _SCREEN_PAYS * passes * _screen["full_pass"]):
            _thaw()
            _screen["old_garbage"] = screened = False
            if _bench is not None:
                _bench["left_screen_ids"].append(test.id)
        _send(send, _COLLECT, r)
        try:
            _between_runs(passes, send)
        except Exception:
            import traceback
            _send(send, _END, _OUTCOMES.index("aborted"))
            raise _OwnError("%srefhunt's own cleanup failed after run %d "
                            "of %s: an error in refhunt, not in the test"
                            % (traceback.format_exc(), r, test.id))
        _send(send, _MEASURE, r)
    return outcome, text, screened


def _hunt_tests(tests, only, rounds, passes, send):
    """Runs the tests whose ids are in `only` (None: all), each `rounds`
    times. A test is an object with id, run() -> (outcome, text) and
    finish(next_test) -> text or None. The supervisor names tests by id:
    a new worker may collect them in another order (pytest-randomly)."""
    hunted = [(index, test) for index, test in enumerate(tests)
              if only is None or test.id in only]
    del tests
    for k, (index, test) in enumerate(hunted):
        _send(send, _BEGIN, index, test.id)
        if _screen["on"]:
            outcome, text, decided = _screened_runs(test, rounds, passes,
                                                    send)
        else:
            outcome, text, _ = _runs(test, rounds, passes, send, False)
            decided = True
        if not decided:
            if _bench is not None:
                _bench["again"] += 1
                _bench["again_ids"].append(test.id)
            outcome, text, _ = _exact_tracked_runs(test, rounds, passes,
                                                   send)
        # the runner reports the run that ended the test, as if it ran once
        test.log()
        # higher-scope fixtures the next test does not share go now,
        # after the last reading
        more = test.finish(hunted[k + 1][1] if k + 1 < len(hunted)
                           else None)
        if more and outcome in ("passed", "xfailed"):
            outcome, text = "failed", more
        _send(send, _END, _OUTCOMES.index(outcome), text)
        hunted[k] = test = None


# ---- pytest


def _pytest_id(item):
    """The item's node id as pytest takes it from the directory refhunt
    runs in: a bisect probe passes ids back as arguments, and pytest reads
    an argument from there, not from its rootdir (to which node ids are
    relative). Where they differ, the file part is relative to this
    directory when below it, else absolute; the same everywhere a test is
    named (reports, -j queues, probes)."""
    import os
    nodeid = item.nodeid
    config = item.config
    invocation = str(config.invocation_params.dir)
    root = str(getattr(config, "rootpath", None) or config.rootdir)
    if os.path.samefile(root, invocation):
        return nodeid
    file_part, sep, rest = nodeid.partition("::")
    path = os.path.normpath(os.path.join(root, file_part))
    if not os.path.exists(path):
        return nodeid       # not a path (a plugin's own items)
    rel = os.path.relpath(path, invocation)
    return (path if rel.split(os.sep)[0] == os.pardir else rel) + sep + rest


# The test whose run the driver's pytest_runtest_protocol makes.
_running = [None]


class _PytestTest:
    def __init__(self, item, runner, own_dir):
        self.item = item
        self.id = _pytest_id(item)
        self.runner = runner
        self.own_dir = own_dir
        self.kept = None
        self.reports = None
        self.warned = None

    def run(self):
        # nextitem: the item's parent keeps class, module and session
        # fixtures up, and tears the function's down; log=False: pytest
        # hears of the last run only (log())
        self._forget_earlier_runs()
        self._new_instance()
        # through the hook, so that the plugins that wrap it wrap each run
        # (the warnings plugin: filterwarnings marks, -W; faulthandler's
        # timeout); the driver's own implementation runs it
        _running[0] = self
        try:
            self.item.ihook.pytest_runtest_protocol(
                item=self.item, nextitem=self.item.parent)
        finally:
            _running[0] = None
        self._prune()
        return _pytest_outcome(self.reports)

    def _new_instance(self):
        """Each run a new instance of the test's class, as pytest makes
        one for each item it runs (Function._getobj): setup_method and
        the test keep their state in it, which a run again would find
        (NumPy's TestF2cmapOption pops a file name from self.sources in
        setup_method: it failed in run 2). Not by resetting item.obj,
        which adds the item's marks again. pytest 8.2+ keeps the instance
        in item._instance too (what request.instance returns there);
        TestCaseFunction (unittest) makes its own in setup."""
        item = self.item
        if (getattr(item, "_obj", None) is None or
                hasattr(item, "_testcase") or
                not hasattr(item.parent, "newinstance") or
                not hasattr(item, "originalname")):
            return
        instance = item.parent.newinstance()
        if "_instance" in vars(item):
            item._instance = instance
        item._obj = getattr(instance, item.originalname)

    def log(self):
        """What pytest's own loop reports of a test: its terminal line,
        its failure in the summary, --junitxml."""
        ihook, item = self.item.ihook, self.item
        ihook.pytest_runtest_logstart(nodeid=item.nodeid,
                                      location=item.location)
        for rep in self.reports:
            ihook.pytest_runtest_logreport(report=rep)
        ihook.pytest_runtest_logfinish(nodeid=item.nodeid,
                                       location=item.location)
        self.reports = None

    def _forget_earlier_runs(self):
        """What pytest keeps of a run, for its reports and its summary,
        that a run again would add to (pytest runs an item once): the
        captured output (print, warnings, log) in item._report_sections,
        which each phase's report copies (NumPy's tests that warn leaked 8
        blocks a run through it), and the warnings plugin's records in the
        terminal reporter's stats and in pytest_warning_recorded's call
        history (a historic hook). Each run starts with none of the
        former and with what was there before the test's first run of
        the latter: one run's worth is kept, as after pytest's one run."""
        sections = getattr(self.item, "_report_sections", None)
        if sections:
            del sections[:]
        config = self.item.config
        history = getattr(config.hook.pytest_warning_recorded,
                          "_call_history", None)
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        stats = getattr(reporter, "stats", {}).get("warnings")
        if self.warned is None:
            self.warned = (len(history or ()), len(stats or ()))
            return
        if history:
            del history[self.warned[0]:]
        if stats:
            del stats[self.warned[1]:]

    def _finalizer_lists(self):
        lists = [entry[0] for node, entry in
                 getattr(self.item.session._setupstate, "stack", {}).items()
                 if node is not self.item]
        info = getattr(self.item, "_fixtureinfo", None)
        for defs in getattr(info, "name2fixturedefs", {}).values():
            lists.extend(d._finalizers for d in defs
                         if d.scope != "function")
        return lists

    def _prune(self):
        """Every time a test requests a fixture of a higher scope, pytest
        registers that fixture's finish() once more, on the session,
        module or class node and on the fixtures it depends on: dozens of
        references a run that pytest itself keeps until the scope ends.
        Those of the first run stay (they do the teardown); what pytest
        adds again in later runs goes. A finalizer of the test's own code
        stays: that is the test's leak."""
        lists = self._finalizer_lists()
        if self.kept is None:
            self.kept = {id(lst): (lst, len(lst)) for lst in lists}
            return
        for lst in lists:
            n = self.kept.get(id(lst), (None, None))[1]
            if n is not None and len(lst) > n:
                lst[n:] = [f for f in lst[n:] if not self._own(f)]

    def _own(self, f):
        f = getattr(f, "func", f)           # functools.partial
        f = getattr(f, "__func__", f)       # a bound method
        code = getattr(f, "__code__", None)
        return code is not None and code.co_filename.startswith(self.own_dir)

    def finish(self, next_test):
        # what pytest's teardown with the real next item does
        state = self.item.session._setupstate
        up = len(getattr(state, "stack", ()))
        try:
            state.teardown_exact(
                next_test.item if next_test is not None else None)
        except Exception:
            import traceback
            return "error at teardown of %s\n%s" % (self.id,
                                                     traceback.format_exc())
        finally:
            # what it tore down may be garbage in the frozen heap
            if len(getattr(state, "stack", ())) < up or not up:
                _screen["old_garbage"] = True
        return None


def _pytest_outcome(reports):
    for rep in reports:
        if rep.failed:
            # pytest's report, and its short summary line last
            crash = getattr(getattr(rep.longrepr, "reprcrash", None),
                            "message", "").split("\n")[0]
            return "failed", "%s\n%s %s%s" % (
                rep.longreprtext, "FAILED" if rep.when == "call" else
                "ERROR at %s of" % rep.when, rep.nodeid,
                " - " + crash if crash else "")
        if rep.skipped:
            if hasattr(rep, "wasxfail"):
                return "xfailed", rep.wasxfail or "xfail"
            reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) \
                else str(rep.longrepr)
            return "skipped", reason
    return "passed", ""


class _PytestDriver:
    """A pytest plugin that replaces the test loop."""

    def __init__(self, only, rounds, passes, send):
        self.only, self.rounds, self.passes, self.send = (
            only, rounds, passes, send)
        self.errors = []
        self.failure = None
        self.own_error = None

    def pytest_collectreport(self, report):
        if report.failed:
            self.errors.append("ERROR collecting %s\n%s" % (
                report.nodeid, report.longreprtext))

    def pytest_runtestloop(self, session):
        if session.testsfailed and not \
                session.config.option.continue_on_collection_errors:
            self.failure = "\n".join(self.errors) or \
                "%d errors during collection" % session.testsfailed
            return True
        if session.config.option.collectonly:
            return True
        import os
        import _pytest
        from _pytest import runner
        own_dir = os.path.dirname(_pytest.__file__) + os.sep
        tests = [_PytestTest(item, runner, own_dir) for item in session.items]
        for test in tests:
            _send(self.send, _TEST, 0, test.id)
        try:
            _hunt_tests(tests, self.only, self.rounds, self.passes,
                        self.send)
        except _OwnError as e:
            self.own_error = e      # past pytest's INTERNALERROR
        return True


class _SkipFiles:
    """A pytest plugin: the files named (as test ids name them) are not
    collected. A batch of -j N's queue collects only its tests' files,
    not the suite's: NumPy's whole suite takes 126 s to collect, and its
    heap is what each exact measure's gc passes walk. A package's
    __init__.py always is: pytest collects its package through it. The
    files that failed to collect are named by no test id: every batch
    collects them, and reports their errors as a whole run does."""

    def __init__(self, files):
        self.paths = {os.path.normpath(os.path.abspath(f)) for f in files}

    def pytest_ignore_collect(self, collection_path, config):
        if collection_path.name != "__init__.py" and \
                str(collection_path) in self.paths:
            return True
        return None


def _hunt_pytest(args, only, skip, rounds, passes, send):
    import pytest

    class Driver(_PytestDriver):
        @pytest.hookimpl(tryfirst=True)     # this loop, not pytest's
        def pytest_runtestloop(self, session):
            return _PytestDriver.pytest_runtestloop(self, session)

        @pytest.hookimpl(tryfirst=True)     # a run, not pytest's logged one
        def pytest_runtest_protocol(self, item, nextitem):
            test = _running[0]
            if test is None or test.item is not item:
                return None
            test.reports = test.runner.runtestprotocol(
                item, log=False, nextitem=nextitem)
            return True

    driver = Driver(only, rounds, passes, send)
    plugins = [driver]
    if skip and int(pytest.__version__.split(".")[0]) >= 7:
        plugins.append(_SkipFiles(skip))    # collection_path: pytest 7
    code = pytest.main(list(args) + ["-p", "no:cacheprovider"],
                       plugins=plugins)
    if driver.own_error is not None:
        raise driver.own_error
    if driver.failure is not None:
        return driver.failure
    if driver.errors:       # --continue-on-collection-errors: pytest fails
        return "\n".join(driver.errors)    # the run for them all the same
    if code == 5:
        return "pytest collected no tests (exit status 5)"
    if code not in (0, 1):      # 1: a test failed, as the verdicts say
        return "pytest exited with status %d" % code
    return None


# ---- unittest


def _unittest_names(names):
    """The names as `python -m unittest` takes them: file paths too."""
    import sys
    main = sys.modules["unittest.main"]
    return [main._convert_name(n) for n in names if not n.startswith("-")]


def _unittest_cases(names):
    import unittest
    loader = unittest.TestLoader()
    names = _unittest_names(names)
    suite = loader.loadTestsFromNames(names) if names else loader.discover(".")
    cases = []

    def walk(test):
        if isinstance(test, unittest.TestSuite):
            for t in test:
                walk(t)
        elif isinstance(test, unittest.loader._FailedTest):
            raise test._exception     # a name that does not load
        else:
            cases.append(test)
    walk(suite)
    return cases


class _UnittestTest:
    def __init__(self, case, result, unittest):
        self.case = case
        self.id = case.id()
        self.result = result
        self.unittest = unittest

    def run(self):
        # a suite of this one test, in a run that goes on: setUpModule and
        # setUpClass when the test's module or class changes, as in a run
        # of the whole suite
        result = self.result
        self.unittest.TestSuite((self.case,)).run(result)
        return _unittest_outcome(result)

    def log(self):
        pass    # the report is refhunt's

    def finish(self, next_test):
        """What the next test does not share goes now, after this test's
        last reading, and its errors are this test's (as pytest's module
        fixtures are the last test's): tearDownClass, tearDownModule. The
        next test's first run would otherwise do it, and take the blame."""
        result = self.result
        previous = getattr(result, "_previousTestClass", None)
        following = next_test.case if next_test is not None else None
        if previous is None or type(following) is previous:
            return None
        _screen["old_garbage"] = True   # what goes may be frozen garbage
        suite = self.unittest.TestSuite()
        suite._tearDownPreviousClass(following, result)
        module = previous.__module__
        # in its place, a class of the same module with nothing to tear
        # down, so that the next run does not tear down again
        result._previousTestClass = type("torn down", (), {
            "__module__": module, "__unittest_skip__": True})
        if following is None or type(following).__module__ != module:
            suite._handleModuleTearDown(result)
            result._previousTestClass = None
        outcome, text = _unittest_outcome(result)
        return text if outcome == "failed" else None


def _unittest_outcome(result):
    """The outcome of the run that just ended; result's lists emptied."""
    outcome, text = "passed", ""
    if result.errors or result.failures:
        outcome = "failed"
        failures = [(kind, test, trace)
                    for kind, entries in (("ERROR", result.errors),
                                          ("FAIL", result.failures))
                    for test, trace in entries]
        text = "\n".join("%s: %s\n%s" % f for f in failures)
        # last, a summary line: the first failure's exception
        kind, test, trace = failures[0]
        exc = [line for line in trace.splitlines()
               if line and not line[0].isspace() and
               not line.startswith("Traceback")]
        text += "\n%s: %s%s" % (kind, test, " - " + exc[0] if exc else "")
    elif result.unexpectedSuccesses:
        outcome, text = "failed", "unexpected success"
    elif result.skipped:
        outcome, text = "skipped", result.skipped[0][1]
    elif result.expectedFailures:
        outcome, text = "xfailed", "expected failure"
    # 3.12+ also keeps every test's duration
    for entries in (result.errors, result.failures, result.skipped,
                    result.expectedFailures, result.unexpectedSuccesses,
                    getattr(result, "collectedDurations", [])):
        del entries[:]
    return outcome, text


def _hunt_unittest(names, only, rounds, passes, send):
    import unittest
    try:
        cases = _unittest_cases(names)
    except Exception as e:
        return _report(e)
    result = unittest.TestResult()
    result._testRunEntered = True       # one run of many suites
    tests = [_UnittestTest(case, result, unittest) for case in cases]
    for test in tests:
        _send(send, _TEST, 0, test.id)
    if not tests:
        return "unittest found no tests"
    _hunt_tests(tests, only, rounds, passes, send)
    return None


# ---- the entry point


def hunt(runner, args, only, skip, rounds, warmups, passes, screen,
         safe_path, dump_fd, dump_signal, send):
    """Collects the suite, but for pytest the files in `skip`, hunts the
    tests whose ids are in `only` (None: all), screened first if `screen`;
    None, or why the whole run failed (a collection error, say)."""
    import sys
    _prepend_sys_path0("module", runner, safe_path)
    sys.argv[:] = [runner] + list(args)
    # the timeout's traceback goes to the real stderr, which pytest's
    # capture may have replaced by then
    faulthandler.register(dump_signal, file=dump_fd, all_threads=True)
    if screen:
        _screen_start(warmups)
    global _bench
    if os.environ.get("REFHUNT_BENCH_FILE"):
        _bench = {"clock": time.perf_counter, "cpu_clock": time.process_time,
                  "cleanup": 0.0, "gc": 0.0, "cleanup_cpu": 0.0,
                  "gc_cpu": 0.0, "runs": 0, "cleanups": 0, "checks": 0,
                  "again": 0, "screened_again": 0, "again_ids": [],
                  "screened_again_ids": [], "left_screen_ids": []}
    try:
        if runner == "pytest":
            return _hunt_pytest(args, only, skip, rounds, passes, send)
        return _hunt_unittest(args, only, rounds, passes, send)
    except _Stop:
        return None
    except _OwnError as e:
        sys.stderr.write("refhunt: %s\n" % e)
        sys.stderr.flush()
        return str(e)
    except SystemExit as e:
        status, text = _exit_status(e.code)
        return text or "the runner exited with status %d" % status
    except BaseException as e:
        return _report(e)
    finally:
        _thaw()             # the interpreter's end sees the whole heap
        faulthandler.unregister(dump_signal)
        if _bench is not None:
            import json
            _bench["full_pass"] = _screen["full_pass"]
            with open(os.environ["REFHUNT_BENCH_FILE"], "w") as f:
                json.dump({k: v for k, v in _bench.items()
                           if "clock" not in k}, f)


def list_ids(runner, args, safe_path):
    """--bisect tests: the ids of the suite's tests, in order."""
    import sys
    _prepend_sys_path0("module", runner, safe_path)
    sys.argv[:] = [runner] + list(args)
    if runner == "unittest":
        return [case.id() for case in _unittest_cases(args)]
    import pytest

    class Lister:
        ids, errors = [], []
        keep_going = False

        def pytest_collectreport(self, report):
            if report.failed:
                self.errors.append("ERROR collecting %s\n%s" % (
                    report.nodeid, report.longreprtext))

        def pytest_collection_finish(self, session):
            # as the hunt's own run does (_PytestDriver): the tests that
            # were collected are hunted
            self.keep_going = \
                session.config.option.continue_on_collection_errors
            self.ids.extend(_pytest_id(item) for item in session.items)

    lister = Lister()
    code = pytest.main(list(args) + ["--collect-only", "-q", "-p",
                                     "no:cacheprovider"], plugins=[lister])
    if lister.keep_going and code == 1:
        code = 0            # "tests failed": the collection errors
    elif lister.errors:
        code = -1
    if code not in (0, 5):
        raise RuntimeError("\n".join(lister.errors) or
                           "pytest exited with status %d" % code)
    return lister.ids

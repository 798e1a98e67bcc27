"""An independent check of per-test leaks, with no code of refhunt's: each
named pytest test run six times in a row in one plain pytest session,
its fixtures (of every scope) set up and torn down with each run, and
after each regrtest's clear_caches() (re's pattern cache, typing's,
linecache...) and three gc.collect(), then sys.getallocatedblocks() and the
open descriptors read (refs too, when no extension module makes them
untrusted: --refs); regrtest's rule on the last three deltas. Prints the
ids of the tests that leak; with --deltas, every named test it ran as a
JSON line of its id, the metrics that leak and the last three deltas of
each (scripts/confirm-leaks.py compares them with a report's).

    python3-dbg scripts/plainloop-pytest.py [--refs] [--deltas] PYTEST ARGS... -- ID...
"""
import gc
import json
import os
import sys

import pytest
from _pytest.runner import runtestprotocol


def clear_caches():
    """regrtest's utils.clear_caches() and type cache, less what a pytest
    suite never loads; the warning registries read from each module's own
    __dict__: hasattr() is true for a module whose __getattr__ answers
    every name (hypothesis.errors), and del then fails."""
    for mod in list(sys.modules.values()):
        namespace = getattr(mod, "__dict__", None)
        if type(namespace) is dict:
            namespace.pop("__warningregistry__", None)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    mods = sys.modules
    if "re" in mods:
        mods["re"].purge()
    if "_strptime" in mods:
        mods["_strptime"]._regex_cache.clear()
    if "urllib.parse" in mods:
        mods["urllib.parse"].clear_cache()
    if "linecache" in mods:
        mods["linecache"].clearcache()
    if "struct" in mods:
        mods["struct"]._clearcache()
    if "typing" in mods:
        for f in mods["typing"]._cleanups:
            f()
    sys._clear_type_cache()


class OnlyTheirFiles:
    """Python files not among the ids' are not collected (a package's
    __init__.py and conftest.py are): NumPy's whole suite makes a heap of
    4 GB for each gc.collect() to walk, and 2 minutes to collect. An
    id's file is relative to the rootdir or, outside it, to the argument
    it was found under (--pyargs numpy): a file is kept when its path
    ends with one (a namesake elsewhere is only collected for nothing)."""

    def __init__(self, ids):
        self.ends = tuple(os.sep + os.path.normpath(i.partition("::")[0])
                          for i in ids)

    def pytest_ignore_collect(self, collection_path):
        if collection_path.suffix != ".py" or \
                collection_path.name in ("__init__.py", "conftest.py"):
            return None
        return None if str(collection_path).endswith(self.ends) else True


def fds():
    return len(os.listdir("/proc/self/fd"))


class Loop:
    def __init__(self, ids, refs):
        self.ids = set(ids)
        self.refs = refs
        self.leaks = []
        self.ran = []       # (id, metrics that leak, {metric: deltas})
        self.out = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        items = session.items
        for i, item in enumerate(items):
            if item.nodeid not in self.ids:
                continue
            # only the last reading is kept, and the deltas (small ints,
            # which CPython caches): a tuple and two large ints kept for
            # each reading were 3 blocks a run in every test
            last = None
            deltas = [[0] * 5 for _ in range(3)]
            for r in range(6):
                # pytest keeps a run's captured output in the item, for
                # its reports; it runs an item once: each run starts with
                # none, or every run that warns or prints keeps one more
                del item._report_sections[:]
                # pytest makes a new instance of a test's class for each
                # item it runs; the same instance again would hold the
                # last run's state (setup_method's)
                if (isinstance(item.parent, pytest.Class) and
                        not hasattr(item, "_testcase")):
                    item._obj = getattr(item.parent.newinstance(),
                                        item.originalname)
                # nextitem=None: every fixture torn down after each run
                # (kept up, pytest registers a class or module fixture's
                # finalizer again each run: a FixtureRequest, partials and
                # closures a run that a single pytest run never makes)
                runtestprotocol(item, log=False, nextitem=None)
                clear_caches()
                for _ in range(3):
                    gc.collect()
                now = (sys.gettotalrefcount(), sys.getallocatedblocks(), fds())
                if last is not None:
                    for m in range(3):
                        deltas[m][r - 1] = now[m] - last[m]
                last = now
            leaking = []
            for m in (0, 1, 2) if self.refs else (1, 2):
                d = deltas[m][2:]
                if any(d) if m == 2 else all(x >= 1 for x in d):
                    leaking.append(("refs", "blocks", "fds")[m])
            if leaking:
                self.leaks.append(item.nodeid)
            self.ran.append((item.nodeid, leaking, {
                name: deltas[m][2:] for m, name in enumerate(
                    ("refs", "blocks", "fds")) if m or self.refs}))
            if self.out is not None:     # --deltas: each as it ends
                i, l, d = self.ran[-1]
                self.out.write(json.dumps({"id": i, "leaks": l,
                                           "deltas": d}) + "\n")
                self.out.flush()
        return True


def main():
    argv = sys.argv[1:]
    flags = set()
    while argv[:1] in (["--refs"], ["--deltas"]):
        flags.add(argv.pop(0))
    cut = argv.index("--")
    loop = Loop(argv[cut + 1:], "--refs" in flags)
    # pytest's own lines go to stderr: stdout is the result
    stdout, sys.stdout = sys.stdout, sys.stderr
    if "--deltas" in flags:
        loop.out = stdout
    pytest.main(argv[:cut] + ["-q", "-p", "no:cacheprovider"],
                plugins=[loop, OnlyTheirFiles(loop.ids)])
    if "--deltas" not in flags:
        stdout.write("".join("%s\n" % t for t in loop.leaks))


if __name__ == "__main__":
    main()

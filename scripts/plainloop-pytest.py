"""An independent check of per-test leaks, with no code of refhunt's: each
named pytest test run six times in a row in one plain pytest session,
its fixtures (of every scope) set up and torn down with each run, and
three gc.collect() after each, then sys.getallocatedblocks() and the
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


def fds():
    return len(os.listdir("/proc/self/fd"))


class Loop:
    def __init__(self, ids, refs):
        self.ids = set(ids)
        self.refs = refs
        self.leaks = []
        self.ran = []       # (id, metrics that leak, {metric: deltas})

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
    pytest.main(argv[:cut] + ["-q", "-p", "no:cacheprovider"], plugins=[loop])
    if "--deltas" in flags:
        stdout.write("".join(json.dumps({"id": i, "leaks": l, "deltas": d}) +
                             "\n" for i, l, d in loop.ran))
    else:
        stdout.write("".join("%s\n" % t for t in loop.leaks))


if __name__ == "__main__":
    main()

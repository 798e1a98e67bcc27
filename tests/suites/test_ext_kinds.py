"""A unittest suite over the C fixtures (tests/fixtures) with several kinds
of leak, for --per-test's screen: its verdicts and deltas must be those of
--no-screen.

Leak: test_ref (leakref: a reference never released), test_block
(leakblock: a memory block), test_module_state (stash: a C static list),
test_nogc_cycle (cycles.NoGC: a cycle the gc cannot see),
test_wrapper_cycle (cycles.Wrapper: a traverse that forgets a callback),
test_fd (a descriptor), test_heap_walk_leak (keeps the count of
gc.get_objects(), a new int: a bool, as it kept before, is immortal from
3.12 and leaked nothing there). Clean: everything else, among them test_gc_cycle
(cycles.WithGC), test_drops_old_cycles (drops cycles made at import: the
screen keeps them alive, the exact runs free them), test_sees_whole_heap
(gc.get_referrers() finds the old sys.modules dict).
"""
import gc
import os
import sys
import unittest

import cycles
import leakblock
import leakref
import stash

fds = []
# made at import, under the frozen heap of a screen: dropping one frees
# it only in a gc pass over the whole heap
old_cycles = []
for _ in range(100):
    node = [None]
    node[0] = node
    old_cycles.append(node)
del node
found = []


class Kinds(unittest.TestCase):
    def test_ref(self):
        leakref.leak(object())

    def test_block(self):
        leakblock.leak()

    def test_module_state(self):
        stash.keep(object())

    def test_nogc_cycle(self):
        n = cycles.NoGC()
        n.ref = n

    def test_wrapper_cycle(self):
        w = cycles.Wrapper()
        w.value = lambda: w

    def test_fd(self):
        os.open(os.devnull, os.O_RDONLY)

    def test_gc_cycle(self):
        n = cycles.WithGC()
        n.ref = n

    def test_clean(self):
        self.assertEqual(sorted([3, 1, 2]), [1, 2, 3])

    def test_drops_old_cycles(self):
        old_cycles.pop()

    def test_sees_whole_heap(self):
        self.assertTrue(any(r is sys.modules for r in
                            gc.get_referrers(unittest)))

    def test_heap_walk_leak(self):
        found.append(len(gc.get_objects()))


if __name__ == "__main__":
    unittest.main()

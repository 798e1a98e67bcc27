"""A unittest suite for --per-test --explain (tests/explain.py drives it).

Leak: Leaks.test_list (an Item into the module-level list _kept),
Leaks.test_stash (a Payload into a C static: the stash fixture). Clean:
Leaks.test_clean, Leaks.test_stops (it leaks in every run but the last:
it looks leaky until then, and gets no explanation).
"""
import unittest

import stash

_kept = []
_runs = {"stops": 0}


class Item:
    pass


class Payload:
    pass


class Leaks(unittest.TestCase):
    def test_clean(self):
        data = [Item() for _ in range(10)]
        self.assertEqual(len(data), 10)

    def test_list(self):
        _kept.append(Item())

    def test_stash(self):
        stash.keep(Payload())

    def test_stops(self):
        _runs["stops"] += 1
        if _runs["stops"] < 6:      # -R 3:3: runs 1 to 5
            _kept.append(Item())

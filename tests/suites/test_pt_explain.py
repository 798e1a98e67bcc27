"""A pytest suite for --per-test --explain (tests/explain.py drives it).

Leak: test_list (an Item into the module-level list _kept), test_stash (a
Payload into a C static: the stash fixture). Clean: test_clean, test_stops
(it leaks in every run but the last: it looks leaky until then, and gets
no explanation).
"""
import stash

_kept = []
_runs = {"stops": 0}


class Item:
    pass


class Payload:
    pass


def test_list():
    _kept.append(Item())


def test_clean():
    data = [Item() for _ in range(10)]
    assert len(data) == 10


def test_stash():
    stash.keep(Payload())


def test_stops():
    _runs["stops"] += 1
    if _runs["stops"] < 6:      # -R 3:3: runs 1 to 5
        _kept.append(Item())

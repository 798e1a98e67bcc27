"""A pytest suite whose leaking tests are known (tests/pertest.py drives it).

Leak: test_leaks, test_leaky_fixture, test_param[1], TestGroup::test_b,
test_after_crash. Failed: test_fails. Crashed: test_crash. Skipped:
test_skipped. Xfailed: test_xfail. Every other test is clean.
TestGroup's setup_method fails a run that gets the instance of a run before
(pytest makes one for each item it runs).
"""
import faulthandler
import os
import time

import pytest

_kept = []      # what the leaking tests leave behind


@pytest.fixture(scope="session")
def session_cache():
    # built once, in the first test's warm-up: a cache, not a leak
    cache = [object() for _ in range(1000)]
    yield cache
    cache.clear()


@pytest.fixture(scope="module")
def module_res():
    return {"data": [object() for _ in range(100)]}


@pytest.fixture
def leaky_fixture():
    _kept.append(object())
    return 1


@pytest.fixture
def clean_fixture():
    data = [object() for _ in range(10)]
    yield data
    data.clear()


def test_clean(clean_fixture, session_cache, module_res):
    assert len(clean_fixture) == 10 and session_cache and module_res


def test_leaks():
    _kept.append(object())


def test_leaky_fixture(leaky_fixture, session_cache):
    assert leaky_fixture == 1


@pytest.mark.parametrize("n", [0, 1, 2])
def test_param(n, module_res):
    if n == 1:
        _kept.append(object())


class TestGroup:
    @pytest.fixture(scope="class")
    def class_res(self):
        return [object() for _ in range(100)]

    def setup_method(self):
        assert not hasattr(self, "ran"), "the instance of a run before"
        self.ran = True

    def test_a(self, class_res):
        assert len(class_res) == 100

    def test_b(self, class_res):
        _kept.append(object())


@pytest.mark.skip(reason="not on this machine")
def test_skipped():
    _kept.append(object())


@pytest.mark.xfail(reason="a known bug")
def test_xfail():
    assert 1 + 1 == 3


def test_fails():
    assert [1, 2] == [1, 3]


def test_crash():
    if os.environ.get("PERTEST_CRASH", "1") == "1":
        faulthandler._sigsegv()


@pytest.mark.skipif(not os.environ.get("PERTEST_HANG"), reason="no hang")
def test_hang():
    time.sleep(600)


def test_after_crash(session_cache):
    _kept.append(object())


def test_last_clean():
    assert sum(range(10)) == 45

"""A unittest suite whose leaking tests are known (tests/pertest.py drives it).

Leak: Leaky.test_x (through setUp), Other.test_after, Other.test_leak.
Failed: Other.test_fail. Crashed: Other.test_crash. Skipped:
Other.test_skip. Xfailed: Other.test_xfail. The rest is clean.
PERTEST_CRASH=0 and PERTEST_FAIL=0 turn the crash and the failure off.
"""
import faulthandler
import os
import unittest

_kept = []
_module = []


def setUpModule():
    _module.extend(object() for _ in range(100))    # once


def tearDownModule():
    _module.clear()


class Clean(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.shared = [object() for _ in range(100)]     # once: no leak

    @classmethod
    def tearDownClass(cls):
        del cls.shared

    def setUp(self):
        self.data = [object() for _ in range(10)]

    def tearDown(self):
        del self.data

    def test_a(self):
        self.assertEqual(len(self.data), 10)

    def test_subtests(self):
        for i in range(3):
            with self.subTest(i=i):
                self.assertLess(i, 3)


class Leaky(unittest.TestCase):
    def setUp(self):
        _kept.append(object())

    def test_x(self):
        pass


class Other(unittest.TestCase):
    def test_after(self):
        _kept.append(object())

    def test_crash(self):
        if os.environ.get("PERTEST_CRASH", "1") == "1":
            faulthandler._sigsegv()

    def test_fail(self):
        if os.environ.get("PERTEST_FAIL", "1") == "1":
            self.assertEqual([1, 2], [1, 3])

    def test_leak(self):
        _kept.append(object())

    @unittest.skip("not on this machine")
    def test_skip(self):
        _kept.append(object())

    @unittest.expectedFailure
    def test_xfail(self):
        self.fail("a known bug")

    def test_z_clean(self):
        self.assertTrue(_module)

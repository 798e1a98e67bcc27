"""--bisect tests: a suite whose import leaks in every new interpreter
(stash's C static) and one test that leaks one reference a run."""
import unittest

import leakref
import stash


class A(unittest.TestCase):
    def test_a(self):
        self.assertTrue(stash.cache is not None)

    def test_b(self):
        pass

    def test_leak(self):
        leakref.leak(object())

    def test_d(self):
        pass

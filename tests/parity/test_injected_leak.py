"""A unittest module with a leak injected by a fixture extension: regrtest
(-R 3:3, --testdir) and refhunt (--mode loop) must both flag it."""
import unittest

import leakref


class InjectedLeakTest(unittest.TestCase):
    def test_leaks_one_reference(self):
        leakref.leak(object())      # one object and its reference, per run

    def test_clean(self):
        self.assertEqual(sorted([3, 1, 2]), [1, 2, 3])


if __name__ == "__main__":
    unittest.main()

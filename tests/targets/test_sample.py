"""A unittest module; with REFHUNT_SAMPLE_FAIL set, one test fails."""
import os
import unittest


class SampleTest(unittest.TestCase):
    def test_sum(self):
        self.assertEqual(sum([1, 2, 3]), 6)

    def test_maybe_fails(self):
        if os.environ.get("REFHUNT_SAMPLE_FAIL"):
            self.assertEqual("expected", "actual")


if __name__ == "__main__":
    unittest.main()

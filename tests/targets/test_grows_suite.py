"""A unittest module whose one test keeps a dict more in a module-level
list every run: --trace-blocks shows the test's line before unittest's
frames."""
import unittest

_kept = []


class Grows(unittest.TestCase):
    def test_keeps(self):
        # the allocating line, 12
        _kept.append({"run": len(_kept)})


if __name__ == "__main__":
    unittest.main()

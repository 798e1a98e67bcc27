"""A unittest module whose one test keeps a bytes object more in a
module-level list every run: --trace-blocks shows the test's line before
unittest's frames. (Bytes, not a dict: a dict comes from a free list,
whose blocks keep the site that first allocated them.)"""
import unittest

_kept = []


class Grows(unittest.TestCase):
    def test_keeps(self):
        # the allocating line, 13
        _kept.append(bytes(100))


if __name__ == "__main__":
    unittest.main()

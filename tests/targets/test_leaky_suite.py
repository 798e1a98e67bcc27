"""Eight tests, of which test_cache_entry leaks a reference through the
leakref fixture: `refhunt --bisect tests -m unittest test_leaky_suite`."""
import unittest

import leakref


class Parsing(unittest.TestCase):
    def test_split(self):
        self.assertEqual("a,b".split(","), ["a", "b"])

    def test_join(self):
        self.assertEqual(",".join("ab"), "a,b")

    def test_strip(self):
        self.assertEqual(" x ".strip(), "x")


class Caching(unittest.TestCase):
    def test_lookup(self):
        self.assertIn("k", {"k": 1})

    def test_cache_entry(self):
        leakref.leak(object())      # the bug: one reference a run

    def test_eviction(self):
        self.assertEqual(sorted({3, 1}), [1, 3])


class Formatting(unittest.TestCase):
    def test_format(self):
        self.assertEqual("%d" % 3, "3")

    def test_fstring(self):
        self.assertEqual(f"{2:02d}", "02")


if __name__ == "__main__":
    unittest.main()

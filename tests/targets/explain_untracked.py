"""--explain: a cache of strings in a dict the GC does not track (a dict
of only ints and strings is untracked, and so is what is in it)."""
import sys

cache = sys.__dict__.setdefault("_untracked_cache", {})
cache[len(cache) + 10 ** 6] = "entry %d" % len(cache)

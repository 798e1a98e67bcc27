"""unittest suite for --per-test on every build, the free-threaded one
too: test_leak_one leaks one new object a run (Py_IncRef through ctypes),
test_leak_threads 20 from 4 threads; test_pool (json in a
ThreadPoolExecutor) and test_work (json, decimal, argparse) keep nothing."""
import argparse
import ctypes
import decimal
import json
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor


def leak(n):
    for _ in range(n):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object([]))


def roundtrip(i):
    doc = {"i": i, "items": list(range(i % 7))}
    return json.loads(json.dumps(doc)) == doc


class Threads(unittest.TestCase):
    def test_leak_one(self):
        leak(1)

    def test_leak_threads(self):
        threads = [threading.Thread(target=leak, args=(5,)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def test_pool(self):
        with ThreadPoolExecutor(max_workers=4) as pool:
            self.assertTrue(all(pool.map(roundtrip, range(100))))

    def test_work(self):
        self.assertTrue(all(roundtrip(i) for i in range(100)))
        with decimal.localcontext() as ctx:
            ctx.prec = 30
            self.assertTrue(str(decimal.Decimal(1) / 7).startswith("0.142857"))
        parser = argparse.ArgumentParser(prog="work")
        parser.add_argument("--n", type=int)
        self.assertEqual(parser.parse_args(["--n", "5"]).n, 5)

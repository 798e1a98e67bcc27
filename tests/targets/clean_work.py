"""Real work with json, decimal and argparse that keeps nothing; with
argv[1] == "pool", the json work runs in a ThreadPoolExecutor of 4 threads."""
import argparse
import decimal
import json
import sys


def roundtrip(i):
    doc = {"i": i, "items": list(range(i % 7)), "name": "n%d" % i}
    return json.loads(json.dumps(doc)) == doc


if sys.argv[1:] == ["pool"]:
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(roundtrip, range(200)))
else:
    assert all(roundtrip(i) for i in range(200))
    with decimal.localcontext() as ctx:
        ctx.prec = 30
        assert str(decimal.Decimal(1) / decimal.Decimal(7)).startswith("0.142857")
    parser = argparse.ArgumentParser(prog="work")
    parser.add_argument("--n", type=int, default=3)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(["--n", "5", "a", "b"])
    assert args.n == 5 and args.names == ["a", "b"]

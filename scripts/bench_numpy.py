"""scripts/bench-numpy.sh's measurement (see there).

    python bench_numpy.py REFHUNT PYTHON PYTEST ARGS...
"""
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(argv, **kw):
    """argv run to its end: (its process, wall, CPU of it and of all that
    it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(argv, **kw)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return proc, wall, (after.ru_utime + after.ru_stime - before.ru_utime -
                        before.ru_stime)


def main():
    refhunt, python, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    pytest = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider"] + args
    with tempfile.TemporaryDirectory() as tmp:
        plain_wall = plain_cpu = 0.0
        for _ in range(6):
            _, wall, cpu = timed(pytest, cwd=tmp, stdout=subprocess.DEVNULL)
            plain_wall += wall
            plain_cpu += cpu
        report = os.path.join(tmp, "r.json")
        proc, hunt_wall, hunt_cpu = timed(
            [refhunt, "-q", "--per-test", "--json", report, "-m",
             "pytest"] + args, cwd=tmp, stdout=subprocess.DEVNULL)
        with open(report) as f:
            r = json.load(f)
        statuses = {}
        for t in r["tests"]:
            statuses[t["status"]] = statuses.get(t["status"], 0) + 1
        leaks = [t["id"] for t in r["tests"] if t["status"] == "leak"]
        confirmed = True
        if leaks:
            loop = subprocess.run(
                [python, os.path.join(HERE, "plainloop-pytest.py")] + args +
                ["--"] + leaks, cwd=tmp, capture_output=True, text=True)
            confirmed = set(leaks) <= set(loop.stdout.split())
    print("load average %.2f %.2f %.2f" % os.getloadavg())
    print("tests: %d; %s" % (len(r["tests"]), ", ".join(
        "%d %s" % (n, s) for s, n in sorted(statuses.items()))))
    print("six plain runs: %.1f s wall, %.1f s CPU" % (plain_wall, plain_cpu))
    print("per-test hunt:  %.1f s wall, %.1f s CPU (exit %d)" % (
        hunt_wall, hunt_cpu, proc.returncode))
    print("ratio: %.2f wall, %.2f CPU" % (hunt_wall / plain_wall,
                                          hunt_cpu / plain_cpu))
    if leaks:
        print("leaks: %s; a plain loop confirms %s" % (
            ", ".join(leaks), "every one" if confirmed else "NOT all"))
    bad = sum(statuses.get(s, 0) for s in ("crashed", "failed", "timeout"))
    return 1 if bad or not confirmed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/bin/sh
# Measures --bisect imports, RUNS times each (default 3), on:
#   app     tests/examples/bisect_app.py: 20 standard modules, about 120
#           in all; statistics leaks through _decimal on 3.11
#   pytest  a pytest run of tests/examples/test_services.py: about 250
#           modules; _socket, _datetime and _decimal leak on 3.11
# For each run: wall time, CPU time (refhunt and its workers), probes,
# rounds and the culprits named, and the load average before it (the
# machine may be shared: wall time grows with the load, CPU time does not).
# Goals: app no slower than 18 probes, 3.2 s; pytest at most 40 probes and
# under 30 s. Needs a build in ./build.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
echo "refhunt: $(build/src/refhunt --version | head -2 | tr '\n' ' ')"
python3 - "$runs" <<'PY'
import json, os, resource, subprocess, sys, tempfile, time

cases = [
    ("app", ["tests/examples/bisect_app.py"]),
    ("pytest", ["-m", "pytest", "-q", "-p", "no:cacheprovider",
                "tests/examples/test_services.py"]),
]
for name, target in cases:
    for _ in range(int(sys.argv[1])):
        load = os.getloadavg()[0]
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "r.json")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.monotonic()
            subprocess.run(["build/src/refhunt", "--bisect", "imports",
                            "--json", path] + target,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.monotonic() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            r = json.load(open(path))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print("%-6s load %4.1f: %5.2f s wall, %5.2f s CPU, %d modules, "
              "%d probes, %d rounds, exit %d, culprits: %s" % (
                  name, load, wall, cpu, r["items"], r["probes"], r["rounds"],
                  r["exit_status"],
                  ", ".join(c["module"] for c in r["culprits"]) or "none"))
PY

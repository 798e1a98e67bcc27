#!/bin/sh
# Measures --bisect imports on tests/examples/bisect_app.py (20 standard
# modules, about 100 in all with what they import; statistics leaks through
# _decimal on 3.11): wall time of each of RUNS runs, probes, rounds, and the
# culprit named. Goal: under 20 s. Needs a build in ./build.
set -eu
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "refhunt: $(build/src/refhunt --version | head -2 | tr '\n' ' ')"
i=0
while [ $i -lt "$runs" ]; do
    i=$((i + 1))
    build/src/refhunt --bisect imports --json "$out" tests/examples/bisect_app.py >/dev/null 2>&1 || true
    python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("run: %.2f s, %d modules, %d probes, %d rounds, culprits: %s" % (
    r["seconds"], r["items"], r["probes"], r["rounds"],
    ", ".join("%s (through %s)" % (c["module"], ", ".join(c["through"]) or "-")
              for c in r["culprits"]) or "none"))
PY
done

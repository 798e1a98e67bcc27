#!/bin/sh
# Measures --each with -j 2 against -j 1 (hyperfine): 10 targets, each a
# reinit hunt (-R 3:3) of tests/examples/render_page.py or
# tests/targets/clean.py. Goal on this 2-core machine: -j 2 at least 1.7
# times faster. Needs a build in ./build.
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || {
    echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
targets=""
for i in 1 2 3 4 5; do
    targets="$targets tests/examples/render_page.py tests/targets/clean.py"
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
echo "machine: $(nproc) cores; 10 targets: $targets" | cut -c1-100
hyperfine -N -w 1 -r "${RUNS:-5}" -i --export-json "$out" \
    "build/src/refhunt --each -j 1 $targets" \
    "build/src/refhunt --each -j 2 $targets" >/dev/null
python3 - "$out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
one, two = r[0], r[1]
print("-j 1: %.2f s ± %.2f" % (one["mean"], one["stddev"]))
print("-j 2: %.2f s ± %.2f" % (two["mean"], two["stddev"]))
print("speed-up: %.2fx" % (one["mean"] / two["mean"]))
PY

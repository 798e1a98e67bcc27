#!/bin/sh
# Measures what --trace-blocks costs: `refhunt -q -R 3:3
# --no-import-share [--mode M] SCRIPT` with and without --trace-blocks, in
# every mode, for each script given (default: the shipped examples), in
# interleaved runs (scripts/interleave.py: medians of wall time and of the
# CPU time of all processes). Prints a table for README.md with the load
# average it was measured at. RUNS (default 5) runs each. Needs a build
# in ./build (scripts/setup.sh).
set -eu
cd "$(dirname "$0")/.."
refhunt=build/src/refhunt
runs=${RUNS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- tests/examples/render_page.py \
    tests/examples/stdlib_imports.py

echo "refhunt: $($refhunt --version | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| script | mode | plain | --trace-blocks | ratio | CPU ratio | load |"
echo "|---|---|---|---|---|---|---|"
for script in "$@"; do
    for mode in reinit subinterp loop; do
        hunt="$refhunt -q -R 3:3 --no-import-share --mode $mode"
        python3 scripts/interleave.py --json "$out/h.json" "$runs" \
            "$hunt $script" "$hunt --trace-blocks $script" >/dev/null
        python3 - "$out/h.json" "$script" "$mode" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
plain, traced = j["results"]
print("| %s | %s | %.0f ms | %.0f ms | %.1f | %.1f | %.1f-%.1f |" % (
    sys.argv[2], sys.argv[3], plain["wall"] * 1e3, traced["wall"] * 1e3,
    traced["wall"] / plain["wall"], traced["cpu"] / plain["cpu"],
    *j["load"]))
PY
    done
done

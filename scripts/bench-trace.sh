#!/bin/sh
# Measures what --trace-blocks costs (hyperfine, from Debian's packages):
# `refhunt -q -R 3:3 --no-import-share [--mode M] SCRIPT` with and without
# --trace-blocks, in every mode, for each script given (default: the
# shipped examples). Prints a table for README.md: wall time and CPU time
# (of the children too; the machine may be shared), and their ratios.
# Needs a build in ./build (scripts/setup.sh).
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || {
    echo "bench-trace: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
refhunt=build/src/refhunt
runs=${RUNS:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- tests/examples/render_page.py \
    tests/examples/stdlib_imports.py

echo "refhunt: $($refhunt --version | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| script | mode | plain | --trace-blocks | ratio | CPU ratio |"
echo "|---|---|---|---|---|---|"
for script in "$@"; do
    for mode in reinit subinterp loop; do
        hunt="$refhunt -q -R 3:3 --no-import-share --mode $mode"
        hyperfine -N -w 1 -r "$runs" -i --export-json "$out/h.json" \
            "$hunt $script" "$hunt --trace-blocks $script" >/dev/null 2>&1
        python3 - "$out/h.json" "$script" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
plain, traced = (x["mean"] for x in r)
cpu = [x["user"] + x["system"] for x in r]
print("| %s | %s | %.0f ms | %.0f ms | %.1f | %.1f |" % (
    sys.argv[2], sys.argv[3], plain * 1e3, traced * 1e3, traced / plain,
    cpu[1] / cpu[0]))
PY
    done
done

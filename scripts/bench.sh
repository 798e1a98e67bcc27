#!/bin/sh
# Measures what a hunt costs, every ratio from interleaved runs
# (scripts/interleave.py: run 1 of each command, run 2 of each, ...; the
# medians of wall time and of CPU time, children included):
#   1. the default hunt as users run it, `refhunt -q SCRIPT` (-R 3:3, the
#      import share of a leak in warm-up 3's place, or after the hunt's
#      rounds in its worker), and `refhunt -q
#      --no-import-share SCRIPT`, against six separate `python3-dbg SCRIPT`
#      processes, for each script given (default: the shipped examples);
#      what the import share adds is the first against the second;
#   2. one empty round: (-R 1:21 -c pass minus -R 1:1 -c pass) / 20;
#   3. for tests/examples/stdlib_imports.py, hunts of 2, 6 and 10 rounds
#      fitted to a line: the fixed cost of a hunt and the cost of a round,
#      each against one python3-dbg process of the script.
# Prints tables for README.md, with the load average they were measured
# at. RUNS (default 10) runs each. Needs a build in ./build.
set -eu
cd "$(dirname "$0")/.."
refhunt=build/src/refhunt
python=$($refhunt --version | sed -n 's/^Python .*, \(.*\)$/\1/p')
runs=${RUNS:-10}
il="python3 scripts/interleave.py"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- tests/targets/clean.py tests/examples/render_page.py \
    tests/examples/stdlib_imports.py

echo "refhunt: $($refhunt --version | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(uname -r)"
echo
echo "| script | 6 x $python | refhunt -R 3:3 (default) | ratio | CPU ratio | --no-import-share | ratio | CPU ratio | load |"
echo "|---|---|---|---|---|---|---|---|---|"
for script in "$@"; do
    $il --json "$out/h.json" "$runs" \
        "for i in 1 2 3 4 5 6; do $python $script; done" \
        "$refhunt -q $script" \
        "$refhunt -q --no-import-share $script" >/dev/null
    python3 - "$out/h.json" "$script" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
six, hunt, bare = j["results"]
print("| %s | %.0f ms | %.0f ms | %.2f | %.2f | %.0f ms | %.2f | %.2f | %.1f-%.1f |" % (
    sys.argv[2], six["wall"] * 1e3, hunt["wall"] * 1e3,
    hunt["wall"] / six["wall"], hunt["cpu"] / six["cpu"], bare["wall"] * 1e3,
    bare["wall"] / six["wall"], bare["cpu"] / six["cpu"], *j["load"]))
print("  import share: +%.0f%% wall, +%.0f%% CPU over --no-import-share" % (
    (hunt["wall"] / bare["wall"] - 1) * 100,
    (hunt["cpu"] / bare["cpu"] - 1) * 100), file=sys.stderr)
PY
done
echo
$il --json "$out/e.json" "$runs" "$refhunt -q -R 1:1 -c pass" \
    "$refhunt -q -R 1:21 -c pass" "$python -c pass" >/dev/null
python3 - "$out/e.json" "$python" <<'PY'
import json, sys
one, many, proc = json.load(open(sys.argv[1]))["results"]
print("one empty round (init, run `pass`, 3 gc passes, finalize, measure): "
      "%.1f ms wall, %.1f ms CPU" % ((many["wall"] - one["wall"]) / 20 * 1e3,
                                      (many["cpu"] - one["cpu"]) / 20 * 1e3))
print("one `%s -c pass` process: %.1f ms wall, %.1f ms CPU" % (
    sys.argv[2], proc["wall"] * 1e3, proc["cpu"] * 1e3))
PY

script=tests/examples/stdlib_imports.py
$il --json "$out/f.json" "$runs" \
    "$refhunt -q --no-import-share -R 1:1 $script" \
    "$refhunt -q --no-import-share -R 1:5 $script" \
    "$refhunt -q --no-import-share -R 1:9 $script" "$python $script" >/dev/null
python3 - "$out/f.json" "$script" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
res = j["results"]


def fit(what, key):
    rounds, hunts, process = [2, 6, 10], [r[key] for r in res[:3]], res[3][key]
    n = len(rounds)
    mx, my = sum(rounds) / n, sum(hunts) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(rounds, hunts)) / \
        sum((x - mx) ** 2 for x in rounds)
    fixed = my - slope * mx
    print("%s, %s: a round %.1f ms (%.2f processes), fixed cost %.1f ms "
          "(%.2f processes); one process %.1f ms" % (
              sys.argv[2], what, slope * 1e3, slope / process, fixed * 1e3,
              fixed / process, process * 1e3))


fit("wall", "wall")
fit("CPU", "cpu")
print("load average: %.1f-%.1f" % tuple(j["load"]))
PY

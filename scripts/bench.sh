#!/bin/sh
# Measures what a hunt costs (hyperfine, from Debian's packages):
#   1. `refhunt -R 3:3 --no-import-share SCRIPT` against six separate
#      `python3-dbg SCRIPT` processes, for each script given (default: the
#      shipped examples), and what the import share adds to a leaking one;
#   2. one empty round: (-R 1:21 -c pass minus -R 1:1 -c pass) / 20;
#   3. for tests/examples/stdlib_imports.py, hunts of 2, 6 and 10 rounds
#      fitted to a line: the fixed cost of a hunt and the cost of a round,
#      each against one python3-dbg process of the script.
# Prints a table for README.md. Needs a build in ./build (scripts/setup.sh).
set -eu
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || {
    echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
refhunt=build/src/refhunt
python=$($refhunt --version | sed -n 's/^Python .*, \(.*\)$/\1/p')
runs=${RUNS:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ $# -gt 0 ] || set -- tests/targets/clean.py tests/examples/render_page.py \
    tests/examples/stdlib_imports.py

echo "refhunt: $($refhunt --version | tr '\n' ' ')"
echo "machine: $(nproc) cores, $(uname -r)"
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| script | refhunt -R 3:3 | 6 x $python | ratio | CPU ratio |"
echo "|---|---|---|---|---|"
for script in "$@"; do
    hyperfine -N -w 2 -r "$runs" -i --export-json "$out/h.json" 2>/dev/null \
        "$refhunt -q -R 3:3 --no-import-share $script" \
        "sh -c 'for i in 1 2 3 4 5 6; do $python $script >/dev/null; done'" \
        >/dev/null
    python3 - "$out/h.json" "$script" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
hunt, six = (x["mean"] for x in r)
sd = [x["stddev"] for x in r]
cpu = [x["user"] + x["system"] for x in r]     # of the children too
print("| %s | %.0f ms ± %.0f | %.0f ms ± %.0f | %.2f | %.2f |" % (
    sys.argv[2], hunt * 1e3, sd[0] * 1e3, six * 1e3, sd[1] * 1e3, hunt / six,
    cpu[0] / cpu[1]))
PY
done
echo
hyperfine -N -w 2 -r "$runs" --export-json "$out/e.json" \
    "$refhunt -q -R 1:1 -c pass" "$refhunt -q -R 1:21 -c pass" >/dev/null
python3 - "$out/e.json" "$python" <<'PY'
import json, sys
one, many = (x["mean"] for x in json.load(open(sys.argv[1]))["results"])
print("one empty round (init, run `pass`, 3 gc passes, finalize, measure): "
      "%.1f ms" % ((many - one) / 20 * 1e3))
print("refhunt start-up and two rounds (-R 1:1 -c pass): %.0f ms" % (one * 1e3))
PY
hyperfine -N -w 2 -r "$runs" --export-json "$out/p.json" "$python -c pass" >/dev/null
python3 - "$out/p.json" "$python" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["results"][0]["mean"]
print("one `%s -c pass` process, for comparison: %.1f ms" % (sys.argv[2], t * 1e3))
PY

script=tests/examples/stdlib_imports.py
hyperfine -N -i -w 2 -r "$runs" --export-json "$out/f.json" 2>/dev/null \
    "$refhunt -q --no-import-share -R 1:1 $script" \
    "$refhunt -q --no-import-share -R 1:5 $script" \
    "$refhunt -q --no-import-share -R 1:9 $script" "$python $script" >/dev/null
python3 - "$out/f.json" "$script" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]


def fit(what, r):
    rounds, hunts, process = [2, 6, 10], r[:3], r[3]
    n = len(rounds)
    mx, my = sum(rounds) / n, sum(hunts) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(rounds, hunts)) / \
        sum((x - mx) ** 2 for x in rounds)
    fixed = my - slope * mx
    print("%s, %s: a round %.1f ms (%.2f processes), fixed cost %.1f ms "
          "(%.2f processes); one process %.1f ms" % (
              sys.argv[2], what, slope * 1e3, slope / process, fixed * 1e3,
              fixed / process, process * 1e3))


fit("wall", [x["mean"] for x in res])
fit("CPU", [x["user"] + x["system"] for x in res])
PY

hyperfine -N -i -w 2 -r "$runs" --export-json "$out/s.json" \
    "$refhunt -q -R 3:3 --no-import-share $script" \
    "$refhunt -q -R 3:3 $script" >/dev/null
python3 - "$out/s.json" "$script" <<'PY'
import json, sys
without, with_share = (x["mean"] for x in json.load(open(sys.argv[1]))["results"])
print("%s leaks (_decimal): the import share adds %.0f ms to %.0f ms "
      "(x%.2f)" % (sys.argv[2], (with_share - without) * 1e3, without * 1e3,
                   with_share / without))
PY

#!/bin/sh
# Measures --explain on a heap of about a million objects: a module keeps
# 300,000 instances (each with a str), 200,000 lists and 200,000 dicts of
# one int (500,000 GC-tracked objects, as many untracked ones they refer
# to); the target leaks one instance a run into a module-level list.
# Prints the hunt without and with --explain (-R 1:1), the time each took
# and what --explain said. Needs a build in ./build.
set -eu
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/bigheap.py" <<'PY'
class Node:
    def __init__(self, i):
        self.i = i
        self.s = str(i)


heap = [Node(i) for i in range(300000)] + [[i] for i in range(200000)] + \
    [{"k": i} for i in range(200000)]
kept = []
PY
cat > "$dir/target.py" <<'PY'
import bigheap
bigheap.kept.append(bigheap.Node(-1))
PY
echo "refhunt: $(build/src/refhunt --version | head -2 | tr '\n' ' ')"
for opt in "" --explain; do
    build/src/refhunt --mode loop -R 1:1 $opt --json "$dir/r.json" \
        "$dir/target.py" >/dev/null 2>&1 || true
    python3 - "$dir/r.json" "${opt:-plain}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
line = "%s: %.2f s, deltas %s" % (sys.argv[2], r["seconds"], r["deltas"])
ex = r.get("explain")
if ex:
    line += "; explain %.2f s (%s): %s" % (ex["seconds"], ex["note"], "; ".join(
        "%s: %s" % (o["object"], o["chain"]) for o in ex["objects"]))
print(line)
PY
done

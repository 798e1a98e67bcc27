#!/bin/sh
# Installs and builds as needed, then runs the whole test suite and ends
# with one line "N passed, N failed, N skipped".
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
status=0
meson test -C build --print-errorlogs "$@" || status=$?
python3 - build/meson-logs/testlog.json <<'PY'
import collections, json, sys
counts = collections.Counter(json.loads(line)["result"] for line in open(sys.argv[1]))
passed = counts["OK"] + counts["EXPECTEDFAIL"]
skipped = counts["SKIP"]
print("%d passed, %d failed, %d skipped" % (
    passed, sum(counts.values()) - passed - skipped, skipped))
PY
exit $status

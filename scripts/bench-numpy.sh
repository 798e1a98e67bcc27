#!/bin/sh
# What --per-test costs on real code: NumPy's core/tests/test_numeric.py
# as Debian's python3-numpy ships it (python3-hypothesis installed), in
# the debug interpreter refhunt embeds:
#   - six plain pytest runs of the file, one process each;
#   - the per-test hunt as users run it (-R 3:3: 6 runs a test, screened
#     on a frozen heap, the tests that could leak measured again exactly);
#   - wall and CPU of each (CPU: the processes and all they waited for),
#     and their ratio, which issue 18 wants at most 3;
#   - that no test crashed or failed (each passes under plain pytest);
#   - every test the hunt calls a leak, run again in a plain loop
#     (scripts/plainloop-pytest.py) that must call it a leak too.
# Usage: sh scripts/bench-numpy.sh [BUILD_DIR [PYTEST ARGS...]]
# (default: the whole file). Run it on a quiet machine; the load average
# is printed with the figures.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
[ $# -gt 0 ] && shift
refhunt=$(pwd)/$build/src/refhunt
python=$("$refhunt" --version | sed -n 's/^Python [^,]*, //p')
exec "$python" scripts/bench_numpy.py "$refhunt" "$python" \
    --pyargs numpy.core.tests.test_numeric "$@"

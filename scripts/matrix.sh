#!/bin/sh
# Builds refhunt against every CPython on this machine and runs the test
# suite with each: Debian's python3-dbg (3.11 debug), the release builds
# 3.9-3.13 under $PYENV_ROOT/versions (default /root/.pyenv), and the 3.13
# debug and free-threaded debug builds that scripts/get-cpython.sh puts in
# $REFHUNT_PYTHONS (default ~/.cache/refhunt/pythons). An
# interpreter that is not installed is skipped and said so. Builds go to
# build-matrix/NAME. Prints a table, then every test that failed, with
# the end of its output; a test that failed is run again alone
# (scripts/matrix_suite.py), and one that passes then is counted apart,
# not as failed. Exits 1 if a build or a test run alone failed.
#
#   REFHUNT_MATRIX_SKIP  interpreters to leave out (paths, space-separated):
#                        .ci/run leaves out python3-dbg, whose suite
#                        scripts/test.sh has just run in ./build
set -u
cd "$(dirname "$0")/.."
pyenv_root=${PYENV_ROOT:-/root/.pyenv}
candidates="/usr/bin/python3-dbg"
for minor in 9 10 11 12 13; do
    found=$(ls -d "$pyenv_root"/versions/3.$minor.*/bin/python3 2>/dev/null | sort -V | tail -1)
    candidates="$candidates ${found:-3.$minor:absent}"
done
pythons=${REFHUNT_PYTHONS:-$HOME/.cache/refhunt/pythons}
candidates="$candidates $pythons/3.13-debug/bin/python3.13 $pythons/3.13t-debug/bin/python3.13"

status=0
mkdir -p build-matrix
totals=$(mktemp)
failures=$(mktemp)
trap 'rm -f "$totals" "$failures"' EXIT
echo "| interpreter | build | passed | failed | passed on a rerun | skipped | seconds |"
echo "|---|---|---|---|---|---|---|"
for py in $candidates; do
    case $py in
    *:absent) echo "| ${py%:absent} | not installed: skipped | | | | | |"; continue ;;
    esac
    [ -x "$py" ] || { echo "| $py | not installed: skipped | | | | | |"; continue; }
    case " ${REFHUNT_MATRIX_SKIP:-} " in
    *" $py "*) echo "| $py | left out (REFHUNT_MATRIX_SKIP) | | | | | |"; continue ;;
    esac
    version=$("$py" -c 'import platform, sys; import sysconfig; print(platform.python_version() + ("t" if sysconfig.get_config_var("Py_GIL_DISABLED") else "") + ("-debug" if hasattr(sys, "gettotalrefcount") else ""))')
    dir=build-matrix/$version
    start=$(date +%s)
    if { [ -f "$dir/build.ninja" ] || meson setup "$dir" -Dpython="$py" ${REFHUNT_MESON_ARGS:-} >"$dir.log" 2>&1; } &&
        ninja -C "$dir" >>"$dir.log" 2>&1; then
        counts=$(python3 scripts/matrix_suite.py "$dir" "$version" "$failures") || status=1
        echo "| $version | ok | $counts | $(( $(date +%s) - start )) |"
        echo "$counts" >>"$totals"
    else
        status=1
        echo "| $version | FAILED (see $dir.log) | | | | | |"
    fi
done
awk -F' [|] ' '{ p += $1; f += $2; r += $3; s += $4 }
    END { printf "matrix: %d passed, %d failed, %d passed on a rerun, %d skipped\n",
        p, f, r, s }' "$totals"
cat "$failures"
exit $status

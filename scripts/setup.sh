#!/bin/sh
# Installs what refhunt needs (Debian packages, only those missing), then
# configures and builds it in ./build. Safe to run again: it only does
# what is not done yet.
set -eu
cd "$(dirname "$0")/.."

# meson/ninja build it; python3-dbg is the debug CPython that counts
# references (with libpython3.11-dbg, its headers and library); mandoc
# checks the man page; python3-markupsafe is the shipped example's leak;
# the other python3-* extension packages are real code for tests/truth.py;
# python3-pytest runs the --per-test tests; python3-hypothesis is needed
# by NumPy's own test suite, which scripts/bench-pertest.sh hunts;
# clang-14 and libclang-rt-14-dev (libFuzzer, sanitizers) build the fuzz
# tests, valgrind runs the supervisor in `meson test --setup valgrind`;
# libpython3.11-testsuite is CPython's test package, which the regrtest
# parity tests and scripts/parity.py run both ways; GNU time measures the
# supervisor's peak memory in tests/faults.py's soak test.
packages="gcc meson ninja-build pkg-config python3 python3-dbg mandoc python3-markupsafe
python3-numpy python3-msgpack python3-simplejson python3-lxml python3-yaml python3-regex
python3-psutil python3-ujson python3-pytest python3-hypothesis clang-14 libclang-rt-14-dev valgrind
libpython3.11-testsuite time"

missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ ! -f build/build.ninja ]; then
    meson setup build ${REFHUNT_MESON_ARGS:-}
fi
ninja -C build

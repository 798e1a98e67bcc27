#!/bin/sh
# Runs the test suite twice more: built with AddressSanitizer and
# UndefinedBehaviorSanitizer in ./build-asan (meson test --setup asan), and
# with the supervisor under valgrind in ./build (meson test --setup
# valgrind). Installs and builds what is missing first. The ASan build
# links the shared libpython: tests/lsan.supp names CPython's allocations
# by its library.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
if [ ! -f build-asan/build.ninja ]; then
    meson setup build-asan -Db_sanitize=address,undefined -Dlibpython=shared ${REFHUNT_MESON_ARGS:-}
fi
ninja -C build-asan
status=0
meson test -C build-asan --setup asan --print-errorlogs "$@" || status=$?
meson test -C build --setup valgrind --print-errorlogs "$@" || status=$?
exit $status

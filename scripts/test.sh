#!/bin/sh
# Installs and builds as needed, then runs the whole test suite.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
meson test -C build --print-errorlogs "$@"

#!/bin/sh
# Builds refhunt if needed and hunts the shipped example: a page rendered
# with markupsafe, whose C accelerator leaks on every interpreter lifetime.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh >/dev/null
set -x
build/src/refhunt -v tests/examples/render_page.py || status=$?
set +x
case "${status:-0}" in
1) echo "demo: refhunt exited 1: a leak was found, as expected." ;;
*) echo "demo: refhunt exited ${status:-0}; expected 1 (leak)." >&2; exit 1 ;;
esac

#!/bin/sh
# Builds the debug CPythons that refhunt's matrix runs on and that no
# Debian 12 package provides: a debug build (--with-pydebug --enable-shared)
# and a free-threaded debug build (the same plus --disable-gil), from the
# CPython source package of a newer Debian release, fetched from the
# archive apt already uses. Installs them into a cache that later runs
# reuse: $REFHUNT_PYTHONS/VERSION-debug and $REFHUNT_PYTHONS/VERSIONt-debug
# (default ~/.cache/refhunt/pythons). A variant already installed is not
# built again. Prints the path of each interpreter, one a line.
#
#   REFHUNT_CPYTHON_VERSION  the CPython to build (default 3.13)
#   REFHUNT_CPYTHON_SUITE    the Debian suite whose python3.X source package
#                            it takes (default trixie, which serves 3.13.5)
#
# Debian's apt configuration is read (the archive's URI and keyring), never
# changed: the source package is fetched with a private sources list and
# private package lists under the cache.
set -eu
version=${REFHUNT_CPYTHON_VERSION:-3.13}
suite=${REFHUNT_CPYTHON_SUITE:-trixie}
root=${REFHUNT_PYTHONS:-$HOME/.cache/refhunt/pythons}
jobs=${REFHUNT_MAKE_JOBS:-2}
variants="debug t-debug"

die() { echo "get-cpython: $*" >&2; exit 2; }

# The interpreter of a variant (make install names it pythonX.Y in both;
# pythonX.Yd and pythonX.Ytd are the same program), and whether it is
# installed and runs.
interpreter() { echo "$root/$(prefix_name "$1")/bin/python$version"; }
installed() { [ -f "$root/$(prefix_name "$1")/.refhunt-complete" ] && "$(interpreter "$1")" -c pass 2>/dev/null; }
prefix_name() { case $1 in t-debug) echo "${version}t-debug" ;; *) echo "$version-debug" ;; esac; }

todo=""
for v in $variants; do installed "$v" || todo="$todo $v"; done
if [ -z "$todo" ]; then
    for v in $variants; do interpreter "$v"; done
    exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# Build dependencies (Debian 12 package names), only those missing.
packages="gcc make xz-utils pkg-config libffi-dev libssl-dev zlib1g-dev libbz2-dev
liblzma-dev libsqlite3-dev libreadline-dev uuid-dev libgdbm-dev libncurses-dev libexpat1-dev"
missing=""
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "get-cpython: installing$missing" >&2
    if [ -n "$sudo" ] && ! command -v sudo >/dev/null; then
        die "needs the Debian packages$missing (run as root or install sudo)"
    fi
    $sudo apt-get update -qq || die "apt-get update failed; it needs the packages$missing"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
        die "could not install$missing"
fi

# The source: python$version from $suite, fetched with a private sources
# list. The archive and its keyring are those of apt's own debian.sources.
src=$root/src
mkdir -p "$src"
tarball=$(ls "$src"/python"$version"_*.orig.tar.* 2>/dev/null | head -1 || true)
if [ -z "$tarball" ]; then
    sources=/etc/apt/sources.list.d/debian.sources
    [ -r "$sources" ] || die "cannot read $sources (the archive's URI and keyring come from it)"
    uri=$(awk '/^URIs:/ { print $2; exit }' "$sources")
    keyring=$(awk '/^Signed-By:/ { print $2; exit }' "$sources")
    [ -n "$uri" ] && [ -n "$keyring" ] || die "no URIs or Signed-By line in $sources"
    apt=$root/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
    echo "deb-src [signed-by=$keyring] $uri $suite main" >"$apt/sources.list"
    private="-o Dir::Etc::SourceList=$apt/sources.list -o Dir::Etc::SourceParts=/dev/null
        -o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache"
    # as root, apt's _apt sandbox user cannot write into root's cache
    [ -z "$sudo" ] && private="$private -o APT::Sandbox::User=root"
    echo "get-cpython: fetching python$version from $uri $suite" >&2
    # shellcheck disable=SC2086
    apt-get $private -qq update ||
        die "apt-get update of $uri $suite failed (needs network access to $uri)"
    # shellcheck disable=SC2086
    (cd "$src" && apt-get $private -qq source --download-only "python$version") ||
        die "$uri $suite serves no source of python$version (set REFHUNT_CPYTHON_SUITE to a suite that does)"
    tarball=$(ls "$src"/python"$version"_*.orig.tar.* 2>/dev/null | head -1 || true)
    [ -n "$tarball" ] || die "no upstream tarball python${version}_*.orig.tar.* in $src"
fi
tree=$src/python$version
if [ ! -f "$tree/configure" ]; then
    rm -rf "$tree" && mkdir -p "$tree"
    tar -xf "$tarball" -C "$tree" --strip-components=1
fi
echo "get-cpython: source $(basename "$tarball")" >&2

for v in $todo; do
    prefix=$root/$(prefix_name "$v")
    build=$root/build/$(prefix_name "$v")
    flags="--with-pydebug --enable-shared"
    [ "$v" = t-debug ] && flags="$flags --disable-gil"
    echo "get-cpython: building $(prefix_name "$v") ($flags) in $build" >&2
    rm -rf "$build" "$prefix" && mkdir -p "$build"
    start=$(date +%s)
    # shellcheck disable=SC2086
    (cd "$build" && "$tree/configure" --prefix="$prefix" $flags \
        LDFLAGS="-Wl,-rpath,$prefix/lib" >configure.log 2>&1) ||
        die "configure failed, see $build/configure.log"
    (cd "$build" && make -j"$jobs" >make.log 2>&1) || die "make failed, see $build/make.log"
    built=$(date +%s)
    (cd "$build" && make install >install.log 2>&1) || die "make install failed, see $build/install.log"
    touch "$prefix/.refhunt-complete"
    installed "$v" || die "$(interpreter "$v") does not run after its install"
    echo "get-cpython: $(prefix_name "$v"): make $((built - start)) s, install $(($(date +%s) - built)) s" >&2
    rm -rf "$build"
done
for v in $variants; do interpreter "$v"; done

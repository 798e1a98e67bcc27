#!/bin/sh
# fuzz.sh SRCDIR OUTDIR NAME [SECONDS]: builds tests/fuzz/fuzz_NAME.c with
# clang's libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, and
# fuzzes it for SECONDS (default: $REFHUNT_FUZZ_SECONDS, else 20) from the
# seeds in tests/fuzz/corpus_NAME. New inputs and crash files go to OUTDIR.
# Exits 77 (skipped) when clang or libFuzzer is missing.
set -eu
src=$1 out=$2 name=$3 seconds=${4:-${REFHUNT_FUZZ_SECONDS:-20}}
clang=$(command -v clang-14 || command -v clang || true)
if [ -z "$clang" ]; then
    echo "skipped: no clang (Debian: clang-14 libclang-rt-14-dev)"
    exit 77
fi
mkdir -p "$out/fuzz-$name/new"
exe=$out/fuzz-$name/fuzz_$name
cd "$src"
# The parts of refhunt without Python, built for the fuzzer.
if ! "$clang" -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Isrc/common -Isrc/supervisor -Isrc/report -o "$exe" \
    tests/fuzz/fuzz_"$name".c src/common/*.c src/report/*.c \
    src/supervisor/baseline.c src/supervisor/channel.c \
    src/supervisor/hunt.c src/supervisor/importshare.c src/supervisor/outcome.c \
    src/supervisor/pipeline.c src/supervisor/spool.c src/supervisor/verdict.c \
    -lm 2>"$out/fuzz-$name/build.log"; then
    if grep -q "fuzzer" "$out/fuzz-$name/build.log"; then
        cat "$out/fuzz-$name/build.log"
        echo "skipped: no libFuzzer runtime (Debian: libclang-rt-14-dev)"
        exit 77
    fi
    cat "$out/fuzz-$name/build.log"
    exit 1
fi
# -error_exitcode: libFuzzer's default, 77, would read as "skipped".
# -timeout: an input that takes 5 s is a hang.
exec "$exe" -max_total_time="$seconds" -timeout=5 -error_exitcode=1 \
    -timeout_exitcode=1 -rss_limit_mb=1024 -max_len=4096 \
    -print_final_stats=1 -dict=tests/fuzz/"$name".dict \
    -artifact_prefix="$out/fuzz-$name/" \
    "$out/fuzz-$name/new" tests/fuzz/corpus_"$name"

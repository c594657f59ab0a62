#!/bin/sh
# Builds the fuzz targets with libFuzzer coverage on the stable toolchain and
# runs one of them: fuzz/run.sh TARGET [SECONDS] [extra libFuzzer options...]
# TARGET is cert, source, hash_reader, cdb_reader or maillog. See fuzz/README.md.
set -eu
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh cert|source|hash_reader|cdb_reader|maillog [seconds] [libfuzzer options]}
seconds=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
triple=$(rustc -vV | sed -n 's/^host: //p')
# -Cpasses=sancov-module and the -sanitizer-coverage options are what
# cargo-fuzz passes too; they are stable. --target keeps them off build scripts.
RUSTFLAGS="-Cpasses=sancov-module \
-Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks" \
    cargo build --release --target "$triple" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "target/$triple/release/$target" "corpus/$target" \
    -artifact_prefix="artifacts/$target/" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$@"

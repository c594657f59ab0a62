#!/bin/sh
# Peak RSS and time of ccert against what others control (issue 17): `ccert log` over a gzip
# of 10 GB of zeros (one endless line), and `ccert probe` against a server that sends one byte
# a second, one whose greeting never ends, and one whose EHLO reply inside STARTTLS never ends.
# Servers listen on 127.0.0.1 only and are killed on exit. SIZE=10G by default (the gzip is
# about 10 MB; making it takes a minute). CCERT= names a binary instead of the release build.
set -eu
cd "$(dirname "$0")/.."
size=${SIZE:-10G}
work=benches/work/hostile
mkdir -p "$work"
if [ -z "${CCERT:-}" ]; then
    cargo build --release --quiet
    CCERT=$PWD/target/release/ccert
fi
export MAIL_CONFIG="$PWD/$work/config"
mkdir -p "$MAIL_CONFIG"
pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done' EXIT INT TERM

measure() { # what, command...
    what=$1
    shift
    /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KB peak RSS, exit %x" -o "$work/time" "$@" \
        >"$work/out" 2>"$work/err" || true
    printf '%-44s %s\n' "$what" "$(cat "$work/time" | tail -1)"
    sed -n '1,2p' "$work/err" | sed 's/^/    /'
    grep -h '^verdict' "$work/out" | sed 's/^/    /' || true
}

zeros=$work/zeros-$size.gz
if [ ! -s "$zeros" ]; then
    head -c "$size" /dev/zero | gzip -1 >"$zeros.tmp"
    mv "$zeros.tmp" "$zeros"
fi
echo "ccert log over a gzip of $size of zeros ($(du -h "$zeros" | cut -f1) compressed):"
measure "log $zeros" "$CCERT" log "$zeros"

"$CCERT" issue mx --out "$work" >/dev/null 2>&1 || true
for mode in slow endless starttls; do
    rm -f "$work/port.$mode"
    python3 benches/hostile_smtp.py "$mode" "$work/port.$mode" "$work/mx.pem" "$work/mx.key" &
    pids="$pids $!"
    while [ ! -s "$work/port.$mode" ]; do sleep 0.1; done
    port=$(cat "$work/port.$mode")
    measure "probe --timeout 10, $mode server" "$CCERT" probe "127.0.0.1:$port" \
        --cert "$work/mx.pem" --key "$work/mx.key" -d sha256 --timeout 10
done

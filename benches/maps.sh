#!/usr/bin/env bash
# Benchmark of `ccert compile` against `postmap` for lmdb: and cdb:
# (and ccert's sqlite:, which postmap cannot create).
#
#   benches/maps.sh                       # 1,000,000 entries, 3 runs each
#   N=100000 REPEAT=5 benches/maps.sh     # another size / number of runs
#   TYPES="lmdb" benches/maps.sh          # only some types
#   UPPER=1 benches/maps.sh               # upper-case keys, as Postfix logs them
#
# Generates N random SHA-256 fingerprints (hex with colons; lower-case unless
# UPPER=1) with values `clientN.example.com` into benches/work/maps/
# (gitignored), builds the release binary, then for each type removes the old
# table and times `postmap TYPE:FILE` and `ccert compile -t TYPE FILE` with
# /usr/bin/time (Debian package `time`): best wall time (s), its CPU time
# (user+sys, s) and peak RSS (KiB) over REPEAT runs. Finally checks that both tables hold the same entries
# (`postmap -s` for lmdb, byte comparison for cdb).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000000}
repeat=${REPEAT:-3}
types=${TYPES:-lmdb cdb sqlite}
work=$root/benches/work/maps
mkdir -p "$work/cf"
printf 'compatibility_level = 3.6\n' >"$work/cf/main.cf"
PATH=$PATH:/usr/sbin

for tool in /usr/bin/time postmap python3; do
    if ! command -v "$tool" >/dev/null; then
        echo "maps.sh: $tool is missing (apt-get install time postfix postfix-lmdb postfix-cdb python3)" >&2
        exit 1
    fi
done

upper=${UPPER:-0}
src=$work/map$n-$upper
if ! [ -s "$src" ]; then
    echo "generating $n entries into $src" >&2
    python3 - "$n" "$src" "$upper" <<'PY'
import os, sys
n, path, upper = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"
fmt = "{:02X}" if upper else "{:02x}"
with open(path, "w") as f:
    for i in range(n):
        fp = ":".join(fmt.format(b) for b in os.urandom(32))
        f.write(f"{fp} client{i}.example.com\n")
PY
fi

echo "building ccert (release)" >&2
(cd "$root" && cargo build --release --quiet --bin ccert)
ccert=$root/target/release/ccert

# measure LABEL TABLE COMMAND...: removes TABLE, runs COMMAND $repeat times;
# prints the best wall time, the CPU time (user+sys) of that run and the
# highest peak RSS, and leaves the best wall time in $best.
measure() {
    local label=$1 table=$2
    shift 2
    local rss=0 cpu=""
    best=""
    for _ in $(seq "$repeat"); do
        rm -f "$table" "$table.cf"
        sync
        /usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" >/dev/null
        read -r wall kib user sys <"$work/time.out"
        if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
            best=$wall
            cpu=$(awk "BEGIN{printf \"%.2f\", $user + $sys}")
        fi
        if [ "$kib" -gt "$rss" ]; then rss=$kib; fi
    done
    printf '%-28s %8s s %8s s %10s KiB\n' "$label" "$best" "$cpu" "$rss"
}

echo "N=$n, best of $repeat runs; $(nproc) CPUs; $(uname -r)"
printf '%-28s %10s %10s %14s\n' "command" "wall" "CPU" "peak RSS"
for t in $types; do
    case $t in
    lmdb) suffix=.lmdb ;;
    cdb) suffix=.cdb ;;
    sqlite) suffix=.sqlite ;;
    esac
    cp "$src" "$work/cc-$t"
    if [ "$t" != sqlite ]; then
        cp "$src" "$work/pm-$t"
        measure "postmap $t:" "$work/pm-$t$suffix" postmap -c "$work/cf" "$t:$work/pm-$t"
        pm=$best
    fi
    measure "ccert compile -t $t" "$work/cc-$t$suffix" "$ccert" -c "$work/cf" compile -t "$t" "$work/cc-$t"
    if [ "$t" != sqlite ]; then
        awk "BEGIN{printf \"  speed-up %s: %.1fx\n\", \"$t\", $pm / $best}"
    fi
    case $t in
    lmdb)
        postmap -c "$work/cf" -s "lmdb:$work/pm-lmdb" | sort >"$work/pm.dump"
        postmap -c "$work/cf" -s "lmdb:$work/cc-lmdb" | sort >"$work/cc.dump"
        if [ "$upper" = 1 ] && grep -q '[A-F]' "$work/pm.dump"; then
            # Postfix 3.7 loses key folding when a bulk lmdb build outgrows
            # lmdb_map_size and restarts; its keys are then unusable.
            echo "  postmap's table kept $(grep -c '[A-F]' "$work/pm.dump") upper-case keys (Postfix bug); ccert's: $(grep -c '[A-F]' "$work/cc.dump")"
        elif cmp -s "$work/pm.dump" "$work/cc.dump"; then
            echo "  postmap -s: same $(wc -l <"$work/cc.dump") entries"
        else
            echo "  postmap -s: DIFFERENT" && exit 1
        fi
        ;;
    cdb)
        if cmp -s "$work/pm-cdb.cdb" "$work/cc-cdb.cdb"; then
            echo "  cdb files are byte-identical"
        else
            echo "  cdb files DIFFER" && exit 1
        fi
        ;;
    sqlite)
        k=$(head -1 "$src" | cut -d' ' -f1)
        v=$(postmap -c "$work/cf" -q "$k" "sqlite:$work/cc-sqlite.sqlite.cf")
        echo "  postmap -q on the sqlite table: $v"
        ;;
    esac
done

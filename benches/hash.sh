#!/usr/bin/env bash
# Benchmark of the hash: backend against postmap.
#
#   benches/hash.sh            # 1,000,000 entries
#   N=100000 benches/hash.sh   # another size
#   RUNS=1 benches/hash.sh     # one build each instead of three
#
# Generates N random SHA-256 fingerprints (`<95-char lower hex with colons>
# clientN.example.com`) into benches/work/hash/ (gitignored), builds the table
# with `postmap hash:` and with `ccert compile -t hash`, and prints wall time (s) and peak RSS (KiB)
# measured by /usr/bin/time (Debian package `time`). Then times one lookup and
# 200 lookups with `postmap -q` and with ccert's reader, and checks both
# tables with db5.3_verify and that both answer the same.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000000}
work=$root/benches/work/hash
mkdir -p "$work/cf"
: >"$work/cf/main.cf" # postmap needs a main.cf; an empty one means defaults

for tool in /usr/bin/time postmap db5.3_verify python3; do
    if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
        echo "hash.sh: $tool is missing (apt-get install time postfix db5.3-util python3)" >&2
        exit 1
    fi
done
PATH=$PATH:/usr/sbin

src=$work/map$n
if ! [ -s "$src" ]; then
    echo "generating $n entries into $src" >&2
    python3 - "$n" "$src" <<'PY'
import os, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        fp = ":".join(f"{b:02x}" for b in os.urandom(32))
        f.write(f"{fp} client{i}.example.com\n")
PY
fi

echo "building ccert (release)" >&2
(cd "$root" && cargo build --release --quiet --bin ccert)
ccert=$root/target/release/ccert

cp "$src" "$work/pm"
cp "$src" "$work/cc"
rm -f "$work/pm.db" "$work/cc.db"
sync

measure() { # label, command...
    local label=$1
    shift
    /usr/bin/time -o "$work/time.out" -f '%e %M' "$@" >/dev/null 2>"$work/stderr.out" ||
        { echo "$label failed:" >&2; cat "$work/stderr.out" >&2; exit 1; }
    # shellcheck disable=SC2046 # two numbers: seconds and KiB
    printf '%-34s wall %6ss  peak RSS %8s KiB\n' "$label" $(tail -n1 "$work/time.out")
}

runs=${RUNS:-3}
echo "== build $n entries ($runs runs each; the machine's load: $(cut -d' ' -f1-3 /proc/loadavg))"
for run in $(seq "$runs"); do
    rm -f "$work/pm.db" "$work/cc.db"
    sync
    measure "postmap hash: (run $run)" postmap -c "$work/cf" "hash:$work/pm"
    sync
    measure "ccert compile -t hash (run $run)" "$ccert" -c "$work/cf" compile -t hash "$work/cc"
done
ls -l "$work/pm.db" "$work/cc.db" | awk '{print "   " $5 " bytes  " $9}'

echo "== verify"
measure "db5.3_verify (postmap's file)" db5.3_verify -q "$work/pm.db"
measure "db5.3_verify (ccert's file)" db5.3_verify -q "$work/cc.db"

key=$(sed -n "$((n / 2 + 1))p" "$src" | cut -d' ' -f1)
want=$(postmap -c "$work/cf" -q "$key" "hash:$work/pm")
got=$("$ccert" -c "$work/cf" query "$key" "hash:$work/cc")
[ "$want" = "$got" ] || { echo "MISMATCH for $key: postmap '$want', ccert '$got'" >&2; exit 1; }
got_pm=$(postmap -c "$work/cf" -q "$key" "hash:$work/cc")
[ "$want" = "$got_pm" ] || { echo "postmap reads ccert's table wrongly for $key" >&2; exit 1; }

echo "== one lookup (process start included)"
measure "postmap -q" postmap -c "$work/cf" -q "$key" "hash:$work/pm"
measure "ccert query" "$ccert" -c "$work/cf" query "$key" "hash:$work/cc"

keys=$work/keys
awk -v step=$((n / 200)) 'NR % step == 1 {print $1}' "$src" | head -n 200 >"$keys"
echo "== 200 lookups, one process each"
start=$(date +%s.%N)
while read -r k; do postmap -c "$work/cf" -q "$k" "hash:$work/pm" >/dev/null; done <"$keys"
mid=$(date +%s.%N)
while read -r k; do "$ccert" -c "$work/cf" query "$k" "hash:$work/cc" >/dev/null; done <"$keys"
end=$(date +%s.%N)
awk -v a="$start" -v b="$mid" -v c="$end" \
    'BEGIN { printf "postmap -q: %.3f s total\nccert query: %.3f s total\n", b - a, c - b }'

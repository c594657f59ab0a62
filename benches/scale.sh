#!/usr/bin/env bash
# Scale benchmark: single and batch lookups, compile memory, and the editing
# commands on a big source, side by side with the peer tools in one run.
#
#   benches/scale.sh                      # 1,000,000 entries
#   N=4000000 benches/scale.sh            # another size (4M, 10M for the RSS figures)
#   PARTS="query compile" benches/scale.sh   # only some parts (query batch compile add edit bulk floor)
#   CCERT=/path/to/ccert benches/scale.sh # that binary instead of a release build
#   TINYCDB=0 N=10000000 PARTS=compile benches/scale.sh  # 10M RSS figures without tinycdb
#
# Every figure comes from /usr/bin/time (Debian package `time`): CPU time
# (user+sys, s; the machine may be loaded, so CPU and not wall time is the
# figure to compare), wall time and peak RSS (KiB).
#
#   query   LOOKUPS single lookups (default 100), one process each, of keys
#           spread over the table: `postmap -q KEY TYPE:FILE` against
#           `ccert query KEY TYPE:FILE`, for hash, lmdb, cdb and sqlite. Both
#           loops run in the same shell, so their loop overhead is the same.
#   batch   BATCH keys (default 200,000) on standard input: `postmap -q -`
#           against `ccert query -`, outputs compared.
#   compile `ccert compile` of every type (CPU, RSS), and for cdb tinycdb's
#           `cdb -c -m -u` (first key wins, as postmap), files compared.
#   add     on the N-entry source with hash, lmdb, cdb and sqlite tables next
#           to it: `ccert add CERT` against the manual way (append the line,
#           `postmap` hash, lmdb and cdb); CPU and peak RSS of each.
#   edit    on the same source and tables: add --no-compile, remove, list
#           (plain, json), dump (each type), doctor, rehash (refused: no
#           stored certificate for the N entries; then with REHASH_CERTS
#           entries added in md5 rewritten to sha512, the others left); CPU
#           and peak RSS of each.
#   bulk    `ccert add --no-compile` of 100 and of 1000 certificates in one
#           call on the N-entry source.
#   floor   the disk's floor for each table type: read the source and write
#           a file of the table's size with fsync (`cat`, `dd conv=fsync`),
#           against `ccert compile` of that type (wall times, same run).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000000}
lookups=${LOOKUPS:-100}
batch=${BATCH:-200000}
parts=${PARTS:-query batch compile add edit bulk floor}
work=$root/benches/work/scale
mkdir -p "$work/cf"
PATH=$PATH:/usr/sbin

for tool in /usr/bin/time postmap python3 cdb openssl shuf; do
    if ! command -v "$tool" >/dev/null; then
        echo "scale.sh: $tool is missing (apt-get install time postfix postfix-lmdb postfix-cdb postfix-sqlite tinycdb openssl python3)" >&2
        exit 1
    fi
done

src=$work/map$n
if ! [ -s "$src" ]; then
    echo "generating $n entries into $src" >&2
    python3 - "$n" "$src" <<'PY'
import os, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        fp = ":".join("{:02x}".format(b) for b in os.urandom(32))
        f.write(f"{fp} client{i}.example.com\n")
PY
fi

if [ -z "${CCERT:-}" ]; then
    echo "building ccert (release)" >&2
    (cd "$root" && cargo build --release --quiet --bin ccert)
fi
ccert=${CCERT:-$root/target/release/ccert}
cf=$work/cf
map=$work/clientcerts
cat >"$cf/main.cf" <<EOF
compatibility_level = 3.6
smtpd_tls_fingerprint_digest = sha256
relay_clientcerts = hash:$map
smtpd_relay_restrictions = permit_mynetworks, permit_tls_clientcerts, reject_unauth_destination
EOF

# timed LABEL COMMAND...: runs COMMAND once (stdout to $work/out); prints
# CPU (user+sys), wall and peak RSS, and leaves the CPU time in $cpu.
timed() {
    local label=$1
    shift
    local status=0
    /usr/bin/time -f '%e %M %U %S' -o "$work/time.out" "$@" >"$work/out" 2>"$work/err" || status=$?
    read -r wall kib user sys < <(tail -n 1 "$work/time.out")
    cpu=$(awk "BEGIN{printf \"%.2f\", $user + $sys}")
    printf '%-46s %7s s CPU %7s s wall %9s KiB' "$label" "$cpu" "$wall" "$kib"
    # A run that failed is said, with its first line of stderr, so a broken
    # command line is never read as a fast one.
    if ((status != 0)); then
        printf '  (exit %s: %s)' "$status" "$(head -c 100 "$work/err" | head -n 1)"
    fi
    printf '\n'
}

ratio() { awk "BEGIN{printf \"  -> %s: %.2fx\n\", \"$1\", $2 / $3}"; }

echo "N=$n; $(nproc) CPUs; $(uname -r); load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "postfix $(postconf -d -h mail_version 2>/dev/null || echo "?"); $("$ccert" --version)"

fresh_tables() {
    cp "$src" "$map"
    rm -rf "$map".* "$map.d"
    for t in hash lmdb cdb sqlite; do
        "$ccert" -c "$cf" compile -t "$t" "$map" >/dev/null
    done
}

if [[ " $parts " == *" compile "* ]]; then
    echo "== compile"
    cp "$src" "$work/c"
    for t in hash lmdb cdb sqlite; do
        rm -f "$work/c.db" "$work/c.lmdb" "$work/c.cdb" "$work/c.sqlite" "$work/c.sqlite.cf"
        sync
        timed "ccert compile -t $t" "$ccert" -c "$cf" compile -t "$t" "$work/c"
    done
    if [ "${TINYCDB:-1}" = 0 ]; then
        echo "  (tinycdb skipped: TINYCDB=0)"
    else
    rm -f "$work/t.cdb"
    sync
    timed "tinycdb cdb -c -m -u" cdb -c -m -u "$work/t.cdb" "$work/c"
    tiny=$cpu
    rm -f "$work/c.cdb"
    sync
    timed "ccert compile -t cdb (again)" "$ccert" -c "$cf" compile -t cdb "$work/c"
    ratio "ccert/tinycdb CPU" "$cpu" "$tiny"
    if cmp -s "$work/t.cdb" "$work/c.cdb"; then echo "  cdb files are byte-identical"; else echo "  cdb files DIFFER"; exit 1; fi
    fi
fi

if [[ " $parts " == *" query "* || " $parts " == *" batch "* ]]; then
    fresh_tables
    shuf -n "$batch" "$src" | cut -d' ' -f1 >"$work/keys"
    head -n "$lookups" "$work/keys" >"$work/keys.few"
fi

if [[ " $parts " == *" query "* ]]; then
    echo "== $lookups single lookups, one process each"
    for t in hash lmdb cdb sqlite; do
        name=$t:$map
        [ "$t" = sqlite ] && name=sqlite:$map.sqlite.cf
        timed "postmap -q KEY $t:" bash -c "while read -r k; do postmap -c '$cf' -q \"\$k\" '$name'; done <'$work/keys.few'"
        pm=$cpu
        timed "ccert query KEY $t:" bash -c "while read -r k; do '$ccert' -c '$cf' query \"\$k\" '$name'; done <'$work/keys.few'"
        ratio "ccert/postmap CPU, $t" "$cpu" "$pm"
    done
fi

if [[ " $parts " == *" batch "* ]]; then
    echo "== $batch lookups in one process (query -)"
    for t in hash lmdb cdb sqlite; do
        name=$t:$map
        [ "$t" = sqlite ] && name=sqlite:$map.sqlite.cf
        timed "postmap -q - $t:" postmap -c "$cf" -q - "$name" <"$work/keys"
        pm=$cpu
        mv "$work/out" "$work/out.pm"
        timed "ccert query - $t:" "$ccert" -c "$cf" query - "$name" <"$work/keys"
        ratio "ccert/postmap CPU, $t" "$cpu" "$pm"
        cmp -s "$work/out" "$work/out.pm" || { echo "  outputs DIFFER"; exit 1; }
    done
fi

certs=$work/certs
make_certs() {
    mkdir -p "$certs"
    local i
    for i in $(seq 1 "$1"); do
        [ -s "$certs/c$i.pem" ] && continue
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout /dev/null -out "$certs/c$i.pem" -subj "/CN=bench$i" -days 30 2>/dev/null
    done
}

if [[ " $parts " == *" add "* || " $parts " == *" edit "* ]]; then
    echo "== editing commands on the $n-entry source (hash, lmdb, cdb, sqlite tables present)"
    make_certs 2
    fresh_tables
    fp=$("$ccert" fingerprint -d sha256 -f map "$certs/c2.pem" | cut -d' ' -f1)
fi

if [[ " $parts " == *" add "* ]]; then
    sync
    timed "ccert add CERT (rebuilds 4 tables)" "$ccert" -c "$cf" --map "$map" add "$certs/c1.pem"
    add=$cpu
    cp "$src" "$work/m"
    manual() {
        printf '%s manual\n' "$fp" >>"$work/m"
        postmap -c "$cf" "hash:$work/m"
        postmap -c "$cf" "lmdb:$work/m"
        postmap -c "$cf" "cdb:$work/m"
    }
    export -f manual
    export fp work cf
    timed "manual: append + postmap hash, lmdb, cdb" bash -c manual
    ratio "ccert add / manual CPU" "$add" "$cpu"
fi

if [[ " $parts " == *" edit "* ]]; then
    timed "ccert add --no-compile (another cert)" "$ccert" -c "$cf" --map "$map" add --no-compile "$certs/c2.pem"
    timed "ccert add --no-compile --replace (rename)" "$ccert" -c "$cf" --map "$map" add --no-compile --replace --name other "$certs/c2.pem"
    timed "ccert remove --yes --no-compile --fingerprint FP" "$ccert" -c "$cf" --map "$map" remove --yes --no-compile --fingerprint "$fp"
    timed "ccert list (table)" "$ccert" -c "$cf" --map "$map" list
    timed "ccert list --format plain" "$ccert" -c "$cf" --map "$map" list --format plain
    timed "ccert list --format json" "$ccert" -c "$cf" --map "$map" list --format json
    timed "ccert doctor" "$ccert" -c "$cf" --map "$map" doctor
    timed "ccert rehash -d sha512 --no-compile (refused)" "$ccert" -c "$cf" --map "$map" rehash -d sha512 --no-compile
    for t in hash lmdb cdb sqlite; do
        name=$t:$map
        [ "$t" = sqlite ] && name=sqlite:$map.sqlite.cf
        timed "ccert dump $t:" "$ccert" -c "$cf" dump "$name"
        [ "$t" = sqlite ] || timed "postmap -s $t:" postmap -c "$cf" -s "$name"
    done
    # rehash rewrites the entries it has a stored certificate for: add
    # REHASH_CERTS (default 1000) in md5, then rehash all to sha512,
    # leaving the N others as they are.
    k=${REHASH_CERTS:-1000}
    make_certs "$k"
    cp "$src" "$map"
    rm -rf "$map.d"
    "$ccert" -c "$cf" --map "$map" add --no-compile -d md5 $(seq -f "$certs/c%g.pem" 1 "$k") >/dev/null 2>&1
    timed "ccert rehash -d sha512 --skip-unknown ($k stored)" "$ccert" -c "$cf" --map "$map" rehash -d sha512 --no-compile --skip-unknown
fi

if [[ " $parts " == *" bulk "* ]]; then
    echo "== adding many certificates in one call (--no-compile, $n-entry source)"
    make_certs 1000
    for k in 100 1000; do
        cp "$src" "$map"
        rm -rf "$map.d"
        timed "ccert add --no-compile $k certs" "$ccert" -c "$cf" --map "$map" add --no-compile $(seq -f "$certs/c%g.pem" 1 "$k")
        eval "bulk$k=$cpu"
    done
    ratio "1000 / 100 certs CPU" "$bulk1000" "$bulk100"
fi

if [[ " $parts " == *" floor "* ]]; then
    echo "== the disk's floor: read the source, write the table's bytes with fsync"
    cp "$src" "$work/f"
    for t in hash lmdb cdb sqlite; do
        case $t in hash) table=$work/f.db ;; lmdb) table=$work/f.lmdb ;; cdb) table=$work/f.cdb ;; sqlite) table=$work/f.sqlite ;; esac
        rm -f "$table" "$table.cf"
        sync
        timed "ccert compile -t $t" "$ccert" -c "$cf" compile -t "$t" "$work/f"
        compile_wall=$(tail -n 1 "$work/time.out" | cut -d' ' -f1)
        size=$(stat -c %s "$table")
        rm -f "$work/floor.out"
        sync
        timed "floor: cat source; dd $((size >> 20)) MiB fsync" bash -c "cat '$work/f' >/dev/null && head -c $size '$table' | dd of='$work/floor.out' bs=1M conv=fsync status=none"
        floor_wall=$(tail -n 1 "$work/time.out" | cut -d' ' -f1)
        ratio "compile/floor wall, $t" "$compile_wall" "$floor_wall"
    done
fi

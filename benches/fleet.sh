#!/usr/bin/env bash
# Benchmarks of ccert's pgsql: list against a throwaway PostgreSQL on loopback:
#
#   1. `ccert add` round trip (one process per add, TCP + SCRAM + one
#      transaction), next to `psql -c INSERT` of the same row (also one process each);
#   2. `ccert import` of N entries against `psql \copy` of the same rows;
#   3. Postfix lookup latency through pgsql: against cdb: (`postmap -q -`
#      with LOOKUPS keys, one process, so the figure is per lookup), the cdb
#      table written by `ccert sync` from the same database;
#   4. the whole list at N entries: `ccert sync` (first copy, unchanged,
#      after one edit), `list` (plain, table, json), `dump` and `check`
#      (nagios, json, prometheus) of the pgsql: list,
#      next to the manual pipeline (`psql \copy … TO` a file, `postmap cdb:`).
#
#   benches/fleet.sh                          # N=1000000, ADDS=50, LOOKUPS=2000
#   N=100000 ADDS=20 benches/fleet.sh
#   CCERT=/path/to/ccert benches/fleet.sh     # that binary instead of target/release/ccert
#
# Times and peak RSS are from /usr/bin/time (wall, user+sys CPU and maximum
# resident set of the client process; the server's CPU and memory are not
# included). Work files go to benches/work/fleet (gitignored).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
n=${N:-1000000}
adds=${ADDS:-50}
lookups=${LOOKUPS:-2000}
work=$root/benches/work/fleet
ccert=${CCERT:-$root/target/release/ccert}
PATH=$PATH:/usr/sbin
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
for tool in /usr/bin/time postmap python3 "$pgbin/initdb" "$ccert"; do
    if ! [ -x "$tool" ] && ! command -v "$tool" >/dev/null; then
        echo "fleet.sh: $tool is missing (apt-get install time postfix postfix-pgsql postfix-cdb postgresql python3; cargo build --release)" >&2
        exit 1
    fi
done

rm -rf "$work/pg"
mkdir -p "$work/pg/data" "$work/pg/sock" "$work/conf"
chmod 755 "$work" "$work/pg"
printf 'compatibility_level = 3.6\n' >"$work/conf/main.cf"
pw=bench-password
printf '%s\n' "$pw" >"$work/pg/pwfile"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
    chown -R postgres: "$work/pg"
    as_pg=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_pg[@]}" "$pgbin/initdb" -D "$work/pg/data" -U ccert --pwfile "$work/pg/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >/dev/null
stop() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -m immediate -w stop >/dev/null 2>&1 || true; }
trap stop EXIT
"${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/sock/log" -w \
    -o "-p $port -k $work/pg/sock -c listen_addresses=127.0.0.1" start >/dev/null
psql() { "$pgbin/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$work/pg/sock" -p "$port" -U ccert "$@"; }
psql -d postgres -c 'CREATE DATABASE mail'
cf=$work/conf/clientcerts.pgsql.cf
export MAIL_CONFIG=$work/conf
printf '%s\n' "$pw" >"$work/pw"
"$ccert" db init "pgsql:$cf" --hosts "inet:127.0.0.1:$port" --dbname mail --user ccert \
    --password-file "$work/pw" --force >/dev/null

measure() { # label, command...: prints "label: wall s, cpu s, peak RSS MB"
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null
    read -r wall user sys rss <"$work/time"
    printf '%-44s wall %7.3f s  cpu %7.3f s  rss %7.1f MB\n' "$label" "$wall" \
        "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $rss / 1024" | bc)"
}

echo "== 1. add round trip ($adds certificates, one process each)"
mkdir -p "$work/certs"
for i in $(seq 1 "$adds"); do
    [ -s "$work/certs/host$i.pem" ] || "$ccert" issue "host$i" --out "$work/certs" >/dev/null
done
cat >"$work/adds.sh" <<SH
for i in \$(seq 1 $adds); do "$ccert" --map "pgsql:$cf" add "$work/certs/host\$i.pem" >/dev/null; done
SH
measure "ccert add x$adds" bash "$work/adds.sh"
cat >"$work/inserts.sh" <<SH
for i in \$(seq 1 $adds); do
  PGPASSWORD=$pw "$pgbin/psql" -X -q -h 127.0.0.1 -p $port -U ccert -d mail -c \
    "INSERT INTO ccert_clientcerts (fingerprint, name, digest, kind, added_by) VALUES (md5(random()::text), 'x\$i', 'md5', 'cert', 'psql')"
done
SH
measure "psql -c INSERT x$adds (TCP, SCRAM)" bash "$work/inserts.sh"
psql -d mail -c 'TRUNCATE ccert_clientcerts'

echo "== 2. import of $n entries"
src=$work/map$n
if ! [ -s "$src" ]; then
    python3 - "$n" "$src" <<'PY'
import os, sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    for i in range(n):
        fp = ":".join(f"{b:02x}" for b in os.urandom(32))
        f.write(f"{fp} client{i}.example.com\n")
PY
fi
awk -v OFS='\t' '{ print $1, $2, "sha256", "cert", "psql" }' "$src" >"$src.tsv"
measure "ccert import" "$ccert" --map "pgsql:$cf" import "$src"
echo "   rows: $(psql -d mail -c 'SELECT count(*) FROM ccert_clientcerts')"
measure "ccert import again (all present)" "$ccert" --map "pgsql:$cf" import "$src"
psql -d mail -c 'TRUNCATE ccert_clientcerts'
measure "psql \\copy (same rows, TCP)" env PGPASSWORD=$pw "$pgbin/psql" -X -q -h 127.0.0.1 -p "$port" \
    -U ccert -d mail -c "\\copy ccert_clientcerts (fingerprint, name, digest, kind, added_by) FROM '$src.tsv'"
echo "   rows: $(psql -d mail -c 'SELECT count(*) FROM ccert_clientcerts')"

echo "== 3. Postfix lookups: $lookups keys, postmap -q - (one process)"
# A copy left by an earlier run came from another (throwaway) database: sync
# would rightly refuse it.
rm -f "$work/local" "$work/local.cdb"
"$ccert" sync --from "pgsql:$cf" --to "cdb:$work/local" >/dev/null
shuf -n "$lookups" "$src" | awk '{ print $1 }' >"$work/keys"
measure "postmap -q - pgsql: x$lookups" sh -c "postmap -c '$work/conf' -q - 'pgsql:$cf' <'$work/keys'"
measure "postmap -q - cdb: x$lookups" sh -c "postmap -c '$work/conf' -q - 'cdb:$work/local' <'$work/keys'"
hits_pg=$(postmap -c "$work/conf" -q - "pgsql:$cf" <"$work/keys" | wc -l)
hits_cdb=$(postmap -c "$work/conf" -q - "cdb:$work/local" <"$work/keys" | wc -l)
echo "   hits: pgsql $hits_pg, cdb $hits_cdb (of $lookups)"

echo "== 4. the whole list of $n entries: sync, list, dump against psql \\copy + postmap"
rm -f "$work/copy" "$work/copy.cdb" "$work/manual" "$work/manual.cdb"
measure "ccert sync (first copy)" "$ccert" sync --from "pgsql:$cf" --to "cdb:$work/copy"
measure "ccert sync (unchanged)" "$ccert" sync --from "pgsql:$cf" --to "cdb:$work/copy"
psql -d mail -c "UPDATE ccert_clientcerts SET name = 'renamed' WHERE fingerprint = (SELECT min(fingerprint) FROM ccert_clientcerts)"
measure "ccert sync (after one edit)" "$ccert" sync --from "pgsql:$cf" --to "cdb:$work/copy"
measure "ccert list --format plain" "$ccert" --map "pgsql:$cf" list --format plain
measure "ccert dump pgsql:" "$ccert" dump "pgsql:$cf"
measure "ccert list (table, COLUMNS=120)" env COLUMNS=120 "$ccert" --map "pgsql:$cf" list
measure "ccert list --format json" "$ccert" --map "pgsql:$cf" list --format json
# check exits 0-3 by the plugin conventions; only its cost counts here.
measure "ccert check (nagios)" sh -c "'$ccert' --map 'pgsql:$cf' check; true"
measure "ccert check --format json" sh -c "'$ccert' --map 'pgsql:$cf' check --format json; true"
measure "ccert check --format prometheus" sh -c "'$ccert' --map 'pgsql:$cf' check --format prometheus; true"
measure "manual: psql \\copy (SELECT …) TO file" env PGPASSWORD=$pw "$pgbin/psql" -X -q -h 127.0.0.1 \
    -p "$port" -U ccert -d mail -c "\\copy (SELECT fingerprint, name FROM ccert_clientcerts ORDER BY fingerprint) TO '$work/manual' WITH (DELIMITER ' ')"
measure "manual: postmap cdb: of that file" postmap -c "$work/conf" "cdb:$work/manual"
echo "   entries: copy $(grep -vc '^#' "$work/copy"), manual $(wc -l <"$work/manual")"

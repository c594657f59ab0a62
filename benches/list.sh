#!/usr/bin/env bash
# `ccert list` on long entries (issue 17 item 6): time and peak RSS of the
# table, which cuts long cells, next to `--format plain`, which prints them.
#
#   benches/list.sh                        # entries of 20,000 and 40,000 bytes and a 1 MiB line
#   CCERT=/path/to/ccert benches/list.sh   # time that binary instead of building one
#
# Writes one source per size into benches/work/list/ (gitignored): a sha256
# fingerprint and a name of that many bytes (the 1 MiB case fills the whole
# logical line ccert reads), and prints wall time (s), CPU time (user+sys, s)
# and peak RSS (KiB) from /usr/bin/time, with COLUMNS=100.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
work=$root/benches/work/list
mkdir -p "$work/cf"
: >"$work/cf/main.cf"
if [ -z "${CCERT:-}" ]; then
    cargo build --release --quiet --manifest-path "$root/Cargo.toml"
    CCERT=$root/target/release/ccert
fi
fp=1A:22:04:9F:49:0D:8C:EB:78:BC:DC:AA:A8:F4:60:5E:16:B7:B2:CE:BD:DE:00:26:BC:EE:AC:DA:FD:98:DC:34
printf '%-10s %-7s %8s %8s %10s\n' size format wall_s cpu_s rss_kib
for size in 20000 40000 $(( (1 << 20) - ${#fp} - 2 )); do
    src=$work/long-$size
    { printf '%s ' "$fp"; head -c "$size" /dev/zero | tr '\0' n; printf '\n'; } >"$src"
    for format in table plain; do
        out=$( { COLUMNS=100 /usr/bin/time -f '%e %U %S %M' "$CCERT" -c "$work/cf" --map "$src" \
            list --format "$format" >/dev/null; } 2>&1 | tail -1)
        read -r wall user sys rss <<<"$out"
        printf '%-10s %-7s %8s %8s %10s\n' "$size" "$format" "$wall" \
            "$(echo "$user + $sys" | bc)" "$rss"
    done
done

#!/usr/bin/env bash
# Instructions per item of one bench operation, from callgrind (stable on a
# noisy machine, unlike times):
#
#   bash scripts/callgrind.sh WORKLOAD OP [SCALE]
#
# WORKLOAD is a bench workload (a, b, c, d, e, h); OP is enc, dec, value,
# serde-enc or serde-dec. The count is that of a run doing OP once minus a
# run that only builds the same data (and, for a decode, encodes it),
# divided by the items. KEEP=DIR keeps both callgrind files in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=$1 op=$2 scale=${3:-0.1}
cargo build --release -q -p bench
bin=target/release/pickle-bench
out=$(mktemp -d)
if [ -n "${KEEP:-}" ]; then
    mkdir -p "$KEEP"
    out=$KEEP
else
    trap 'rm -rf "$out"' EXIT
fi
count() {
    valgrind --tool=callgrind --callgrind-out-file="$out/$1.out" "$bin" count "$workload" "$1" "$scale" \
        2>"$out/$1.err" >"$out/$1.items" || { cat "$out/$1.err" >&2; exit 1; }
    grep -m1 '^summary:' "$out/$1.out" | awk '{print $2}'
}
case $op in
dec | value) base_op=encoded ;;
serde-dec) base_op=serde-encoded ;;
*) base_op=none ;;
esac
base=$(count "$base_op")
with=$(count "$op")
items=$(cat "$out/$op.items")
awk -v a="$with" -v b="$base" -v n="$items" -v w="$workload" -v o="$op" \
    'BEGIN { printf "(%s) %s: %.1f instructions per item (%d items)\n", w, o, (a - b) / n, n }'

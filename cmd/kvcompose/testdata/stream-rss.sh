#!/bin/sh
# stream-rss.sh BIN [SIZE [DIR]]
#
# Peak resident memory and throughput of `BIN put` and `BIN get -o` of a
# file of SIZE bytes (default 1 GiB) on a fresh file:// store, against
# `cp` of the same file on the same disk. The file, the store and the
# copies live in a fresh directory below DIR (default: /tmp), removed at
# the end. Peak RSS is /usr/bin/time -v's "Maximum resident set size";
# MB/s is SIZE / wall time (10^6 bytes). Build BIN first:
#   go build -o /tmp/kvcompose ./cmd/kvcompose
set -eu
bin=$1 size=${2:-1073741824} parent=${3:-/tmp}
dir=$(mktemp -d "$parent/stream-rss.XXXXXX")
trap 'rm -rf "$dir"' EXIT
head -c "$size" /dev/urandom >"$dir/body"
"$bin" create "file://$dir/store"
sync

# run NAME CMD...: runs CMD under /usr/bin/time -v, prints NAME, the peak
# RSS in MiB and the MB/s.
run() {
	name=$1
	shift
	start=$(date +%s.%N)
	/usr/bin/time -v "$@" 2>"$dir/time" >/dev/null
	end=$(date +%s.%N)
	kib=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/time")
	awk -v n="$name" -v k="$kib" -v s="$size" -v a="$start" -v b="$end" \
		'BEGIN { printf "%-6s peak RSS %7.1f MiB  %7.1f MB/s  (%.2f s)\n", n, k / 1024, s / (b - a) / 1e6, b - a }'
}

run cp cp "$dir/body" "$dir/copy"
rm "$dir/copy"
sync
run put "$bin" put "file://$dir/store" data/big "$dir/body"
sync
run get "$bin" get -o "$dir/out" "file://$dir/store" data/big
cmp "$dir/body" "$dir/out"

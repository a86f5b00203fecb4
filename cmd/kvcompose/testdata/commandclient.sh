#!/bin/sh
# commandclient.sh put|get URL NAME FILE
#
# The command as serve-speed.sh's CLIENT: `kvcompose put URL NAME FILE` or
# `kvcompose get URL NAME -o FILE`, with its MB/s and peak RSS
# (/usr/bin/time's maximum resident set size). The command is $KVCOMPOSE
# (default /tmp/kvcompose). For example:
#   go build -o /tmp/kvcompose ./cmd/kvcompose
#   sh cmd/kvcompose/testdata/serve-speed.sh /tmp/kvcompose 1073741824 sh cmd/kvcompose/testdata/commandclient.sh
set -eu
bin=${KVCOMPOSE:-/tmp/kvcompose}
verb=$1 url=$2 name=$3 file=$4
rss=$(mktemp)
trap 'rm -f "$rss"' EXIT
t0=$(date +%s.%N)
if [ "$verb" = put ]; then
	/usr/bin/time -f %M -o "$rss" "$bin" put "$url" "$name" "$file"
else
	/usr/bin/time -f %M -o "$rss" "$bin" get "$url" "$name" -o "$file"
fi
t1=$(date +%s.%N)
size=$(stat -c %s "$file")
echo "kvcompose $verb: $(echo "$size $t0 $t1" | awk '{ printf "%.0f MB/s", $1 / ($3 - $2) / 1e6 }'), peak RSS $(cat "$rss") KB"

#!/bin/sh
# serve-speed.sh BIN SIZE [CLIENT...]
#
# MB/s of a put and a get of SIZE random bytes through `BIN serve` over a
# fresh posixfs store, by curl (-T, -o) and by CLIENT (a command taking
# "put|get URL NAME FILE"; default: go run ./cmd/kvcompose/testdata/streamclient,
# which prints its own peak RSS), and the server's peak RSS. Run from the
# module's root; build BIN first: go build -o /tmp/kvcompose ./cmd/kvcompose
set -eu
bin=$1 size=$2
shift 2
[ $# -gt 0 ] || set -- go run ./cmd/kvcompose/testdata/streamclient
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
head -c "$size" /dev/urandom >"$dir/body"
"$bin" create "file://$dir/store"
"$bin" serve --backend "file://$dir/store" --port 0 2>"$dir/log" &
pid=$!
while ! grep -q listening "$dir/log"; do sleep 0.1; done
url=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' "$dir/log")
mbs() { echo "$1 $2" | awk '{ printf "%.0f MB/s", $1 / $2 / 1e6 }'; }
t0=$(date +%s.%N)
curl -s -f -o /dev/null -X POST -H 'Accept: application/vnd.x.borgstore.rest.v1' -H 'Expect:' -T "$dir/body" "${url}data/curl"
t1=$(date +%s.%N)
curl -s -f -o "$dir/out" -H 'Accept: application/vnd.x.borgstore.rest.v1' "${url}data/curl"
t2=$(date +%s.%N)
cmp "$dir/body" "$dir/out"
echo "curl put: $(mbs "$size" "$(echo "$t1 - $t0" | bc)"), get: $(mbs "$size" "$(echo "$t2 - $t1" | bc)")"
rm -f "$dir/out"
"$@" put "$url" data/client "$dir/body"
"$@" get "$url" data/client "$dir/out"
cmp "$dir/body" "$dir/out"
grep VmHWM /proc/$pid/status | sed 's/^/serve /'

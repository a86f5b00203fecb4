#!/bin/sh
# serve-rss.sh BIN N SIZE [SERVE FLAGS...]
#
# Peak resident memory (VmHWM) of `BIN serve` over a fresh posixfs store
# while N clients POST SIZE bytes each at the same time (curl, streaming
# the body from a file); prints the answers' statuses and the peak. Build
# BIN first: go build -o /tmp/kvcompose ./cmd/kvcompose
set -eu
bin=$1 n=$2 size=$3
shift 3
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
head -c "$size" /dev/urandom >"$dir/body"
"$bin" create "file://$dir/store"
"$bin" serve --backend "file://$dir/store" --port 0 "$@" 2>"$dir/log" &
pid=$!
while ! grep -q listening "$dir/log"; do sleep 0.1; done
url=$(sed -n 's/.*url=\([^ ]*\).*/\1/p' "$dir/log")
i=0 curls=
while [ $i -lt "$n" ]; do
	curl -s -o /dev/null -w '%{http_code} ' -X POST -H 'Accept: application/vnd.x.borgstore.rest.v1' \
		-H 'Expect:' -T "$dir/body" "${url}data/$i" &
	curls="$curls $!"
	i=$((i + 1))
done
for c in $curls; do wait "$c" || true; done
echo
grep VmHWM /proc/$pid/status

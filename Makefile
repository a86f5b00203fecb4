# make test: installs what the tests need (OpenSSH's server and rclone from
# Debian's packages, the versitygw S3 server from the Go module proxy, each
# only when it is missing), checks formatting and vet, runs every test under
# the race detector, and fuzzes the REST server's request handling for a few
# seconds. make demo runs the demo.

GO ?= go
GOBIN := $(shell $(GO) env GOPATH)/bin

.PHONY: test deps check fuzz demo bench

test: deps check
	PATH="$(GOBIN):$$PATH" $(GO) test -race -timeout 30m ./...
	$(MAKE) fuzz

deps:
	GO=$(GO) ./scripts/deps.sh

check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzHandler -fuzztime 10s ./restserver/

demo:
	$(GO) run ./examples/demo

bench:
	$(GO) run ./cmd/kvcompose bench mem://bench

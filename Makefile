# make test: installs what the tests need (OpenSSH's server and rclone, from
# Debian's packages, when they are missing) and runs every test under the
# race detector. make demo runs the demo.

GO ?= go
PKGS := openssh-server rclone
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: test deps check demo bench

test: deps check
	$(GO) test -race -timeout 40m ./...

deps:
	@if [ ! -x /usr/sbin/sshd ] || ! command -v rclone >/dev/null; then \
		echo "installing $(PKGS)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(PKGS); \
	fi

check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

demo:
	$(GO) run ./examples/demo

bench:
	$(GO) run ./cmd/kvbench

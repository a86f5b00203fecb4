#!/usr/bin/env bash
# Installs what the tests need when it is missing: OpenSSH's server and rclone
# from Debian's packages, the versitygw S3 server from the Go module proxy at a
# pinned version. Waits for the dpkg lock when another install holds it.
set -euo pipefail

PKGS=(openssh-server rclone)
VERSITYGW=github.com/versity/versitygw/cmd/versitygw@v1.8.0
GO=${GO:-go}
GOBIN=$("$GO" env GOPATH)/bin
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo

# apt runs apt-get with the lock timeout and tries again a few times: the
# timeout covers dpkg's locks, the loop a lists lock or a mirror that fails
# for a moment.
apt() {
	local try
	for try in 1 2 3 4 5; do
		if DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 \
			-o Acquire::Retries=3 "$@"; then
			return 0
		fi
		echo "apt-get $* failed (try $try); waiting before the next try" >&2
		sleep $((try * 10))
	done
	return 1
}

if [ ! -x /usr/sbin/sshd ] || ! command -v rclone >/dev/null; then
	echo "installing ${PKGS[*]}"
	apt update -qq
	apt install -y -qq "${PKGS[@]}"
fi

if [ ! -x "$GOBIN/versitygw" ]; then
	echo "installing $VERSITYGW"
	"$GO" install "$VERSITYGW"
fi

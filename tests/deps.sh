#!/bin/sh
# deps.sh: make sure a Debian machine has what the build, the tests and
# the demo need (chromium: the browser test of tests/report.bats); install
# it with apt-get when root, else name the command.
pkgs="libcurl4-openssl-dev libjq-dev libssl-dev bats bats-support bats-assert
mandoc python3 python3-hvac python3-azure openssl curl jq clang valgrind
gpg chromium strace"
missing=
for p in $pkgs; do
	s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: missing:$missing (not a Debian system: install them by hand)" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing:$missing" >&2
	echo "deps: run: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq $missing >&2

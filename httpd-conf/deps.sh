#!/bin/sh
# httpd-conf/deps.sh -- install the Debian packages that c2s-enrich needs to
# build, run and test, and only those that are missing.
#
# Usage: deps.sh [extra-package ...]
#
# clang and libclang-rt-14-dev (libclang_rt.fuzzer and the sanitizer
# runtimes) build the libFuzzer drivers of atf-tests/fuzz/.
#
# Each package is checked with dpkg-query; apt-get runs only when something
# is missing.  Node.js and npm (for the tests' pinned npm packages, the
# browser tests' among them, and for make vendor) are checked as commands
# instead: a machine may carry them outside dpkg, and Debian's nodejs and
# npm are installed only when `node` or `npm` is absent.  A policy-rc.d that forbids service start-up is put in place
# first, so that installing lighttpd or postgresql does not start Debian's own
# servers on :80 or :5432.  Exits non-zero with a clear message when packages
# are missing and we are not root.

set -eu

PKGS="gcc make pkg-config libc6-dev
libfcgi-dev libfcgi-bin spawn-fcgi multiwatch lighttpd
libpq-dev postgresql libcurl4-openssl-dev libjansson-dev
libatf-dev atf-sh kyua wrk curl jq procps util-linux iproute2
prometheus chromium fonts-dejavu-core
apache2 mandoc systemd tini
clang libclang-rt-14-dev
python3-aiosmtpd"

# Node.js and npm: the commands, wherever they come from.
for c in node npm; do
	command -v $c >/dev/null 2>&1 && continue
	case $c in
	node) PKGS="$PKGS nodejs" ;;
	npm) PKGS="$PKGS npm" ;;
	esac
done

missing=
for p in $PKGS "$@"; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	echo "deps: all packages present"
	exit 0
fi

echo "deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root; install them with:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
fi

if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\n# installed by c2s-enrich deps.sh: no service start on install\nexit 101\n' \
	    > /usr/sbin/policy-rc.d
	chmod 0755 /usr/sbin/policy-rc.d
	echo "deps: installed /usr/sbin/policy-rc.d (services are not started on install)"
fi

export DEBIAN_FRONTEND=noninteractive
# The package lists may be stale or absent on a fresh machine.
apt-get update -qq </dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing </dev/null
echo "deps: installed:$missing"

#!/bin/sh
# atf-tests/valgrind.sh -- run every case of the unit programs named on
# the command line under valgrind's memcheck, one process per case, each
# in a fresh directory: any error or leak (definite or indirect) fails.
# Prints one line per case and a summary; exits 1 if any case failed.
#
# Usage: valgrind.sh PROGRAM...   (atf-c programs that need no config)
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
supp="$top/atf-tests/valgrind.supp"
work=$(mktemp -d /tmp/c2s-valgrind.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT
pass=0 fail=0

for prog in "$@"; do
	case $prog in /*) ;; *) prog="$top/$prog" ;; esac
	for tc in $("$prog" -l | sed -n 's/^ident: //p'); do
		d="$work/$(basename "$prog").$tc"
		mkdir -p "$d"
		if (cd "$d" && valgrind -q --error-exitcode=99 \
		    --leak-check=full --errors-for-leak-kinds=definite,indirect \
		    --show-leak-kinds=definite,indirect \
		    --suppressions="$supp" --child-silent-after-fork=yes \
		    "$prog" -r "$d/result" "$tc" >"$d/out" 2>&1) &&
		    grep -q '^passed' "$d/result"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			echo "valgrind: $(basename "$prog"):$tc FAILED"
			sed 's/^/    /' "$d/out" | head -40
			[ -r "$d/result" ] && sed 's/^/    result: /' "$d/result"
		fi
	done
done
echo "valgrind: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

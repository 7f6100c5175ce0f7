#!/bin/sh
# atf-tests/scanlogs.sh -- the log scan every stack of the suite gets:
# no secret, no full CPF, phone or e-mail in a line the service, lighttpd
# or PostgreSQL wrote, and no sanitizer report in the logs of our C.
#
# Usage: scanlogs.sh [-r RUNDIR] [-k SECRET]... [FILE...]
#   -r RUNDIR  a stack's run directory (httpd-conf/stack.sh): its log/*.log
#              but the simulator's (sim.log, sim-access.log: it plays the
#              providers, whose paths hold those data; lighttpd's lines
#              about its backend, sim.sock, dropped for the same reason);
#              the secrets of its env and responder.env (API keys, webhook
#              secret, Google Ads key, the upstreams' tokens and password);
#              the CPFs its simulator was asked about (sim/record), found
#              wherever they stand; sanitizer reports in pool.log,
#              worker.log and sim.log, as the stack's own teardown looks.
#   -k SECRET  one more secret to look for
#   FILE       one more log to scan (its sanitizer reports too), e.g. the
#              output of a worker or an entrypoint a test started itself
# The simulator's default credentials (sim-c2s-token, sim-pass,
# sim-work-token) are always secrets; a secret under 6 characters is left
# out (it would match at random).
#
# Prints each finding as "FILE:LINE: what [kind]", kind one of secret,
# cpf, phone, email, sanitizer; digit runs inside longer words (hex lead
# ids, UUIDs) are not numbers of anyone.  Exits 0 when clean, 1 on a
# finding, 2 on a usage error or a file it cannot read.
#
# logscan_test runs it on the shared stack after the suite,
# private_stack_stop (common.subr) on every private stack before removing
# it, entrypoint_test on the entrypoint's output.

set -u

SAN='ERROR: (Address|Leak)Sanitizer|runtime error:'

# An awk function: are the last two digits of an 11-digit string the CPF
# check digits of the first nine?
CPF_OK='function cpf_ok(n,  i, d, s1, s2, d1, d2) {
	if (length(n) != 11)
		return 0
	s1 = 0; s2 = 0
	for (i = 1; i <= 9; i++) {
		d = substr(n, i, 1) + 0
		s1 += d * (11 - i); s2 += d * (12 - i)
	}
	d1 = s1 % 11 < 2 ? 0 : 11 - s1 % 11
	s2 += d1 * 2
	d2 = s2 % 11 < 2 ? 0 : 11 - s2 % 11
	return substr(n, 10, 2) == d1 "" d2
}'

usage() {
	echo "usage: scanlogs.sh [-r RUNDIR] [-k SECRET]... [FILE...]" >&2
	exit 2
}

# The secrets and the served CPFs, one a line, in files of the work
# directory.
work=$(mktemp -d "${TMPDIR:-/tmp}/scanlogs.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
printf '%s\n' sim-c2s-token sim-pass sim-work-token >"$work/secrets"
: >"$work/cpfs"
: >"$work/files"
: >"$work/san"

# env_secrets FILE: the secret values of a stack's env (NAME='value') or
# responder.env (NAME=value) file; API_KEYS split at its commas.
env_secrets() {
	sed -n -e "s/^\(C2S_API_KEY\|C2S_ADMIN_KEY\|C2S_WEBHOOK_SECRET\|C2S_GOOGLE_KEY\)='\(.*\)'\$/\2/p" \
	    -e 's/^\(API_KEYS\|ADMIN_API_KEYS\|WEBHOOK_SECRET\|GOOGLE_ADS_WEBHOOK_KEY\|C2S_TOKEN\|DIRETRIX_PASS\|WORK_API\|WORK_API_TOKEN\)=\(.*\)$/\2/p' \
	    "$1" | tr ',' '\n' | sed 's/^ *//; s/ *$//'
}

rundir=
while getopts r:k: o; do
	case $o in
	r) rundir=$OPTARG ;;
	k) printf '%s\n' "$OPTARG" >>"$work/secrets" ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))

if [ -n "$rundir" ]; then
	[ -d "$rundir/log" ] || { echo "scanlogs: no $rundir/log" >&2; exit 2; }
	for f in "$rundir/env" "$rundir/responder.env"; do
		[ -r "$f" ] && env_secrets "$f" >>"$work/secrets"
	done
	# The simulator's record: a CPF standing alone in a call's path.
	cat "$rundir"/sim/record 2>/dev/null |
	    grep -oP '(?<![0-9A-Za-z_-])[0-9]{11}(?![0-9A-Za-z_-])' |
	    awk "$CPF_OK"' cpf_ok($0)' | sort -u >"$work/cpfs"
	for f in "$rundir"/log/*.log; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		sim.log|sim-access.log) ;;
		*) echo "$f" >>"$work/files" ;;
		esac
		case ${f##*/} in
		pool.log|worker.log|sim.log) echo "$f" >>"$work/san" ;;
		esac
	done
fi
for f in "$@"; do
	[ -r "$f" ] || { echo "scanlogs: cannot read $f" >&2; exit 2; }
	echo "$f" >>"$work/files"
	echo "$f" >>"$work/san"
done
sort -u "$work/secrets" | awk 'length($0) >= 6' >"$work/s"

# scan_file FILE: the findings of one log.
scan_file() {
	local f=$1 src=$1
	# lighttpd's lines about the simulator's backend are the providers'.
	case $f in
	*/lighttpd-error.log)
		grep -v 'unix:[^ ]*/sim\.sock' "$f" >"$work/lighttpd" || :
		src=$work/lighttpd ;;
	esac
	# Secrets, as they are (masked in what is printed).
	if [ -s "$work/s" ]; then
		grep -nF -f "$work/s" -- "$src" |
		    awk -v f="$f" 'NR == FNR { s[$0] = 1; next } {
			for (k in s)
				while ((i = index($0, k)) > 0)
					$0 = substr($0, 1, i - 1) "***" \
					    substr($0, i + length(k))
			print f ":" $0 " [secret]"
		    }' "$work/s" - | cut -c1-300
	fi
	# The CPFs the simulator was asked about, even inside a longer word:
	# every run of 11 digits, looked up in their list (one pass).
	if [ -s "$work/cpfs" ]; then
		grep -noP '(?<![0-9])[0-9]{11}(?![0-9])' -- "$src" |
		    awk -F: -v f="$f" 'NR == FNR { c[$0] = 1; next }
			($2 in c) { print f ":" $1 ": " $2 " [cpf]" }' \
		    "$work/cpfs" -
	fi
	# CPFs written with punctuation.
	grep -nE '[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}' -- "$src" |
	    sed "s|^|$f:|; s|\$| [cpf]|" | cut -c1-300
	# Runs of 10 to 13 digits standing alone: phones, and 11-digit runs
	# with valid check digits: CPFs.
	grep -noP '(?<![0-9A-Za-z_-])[0-9]{10,13}(?![0-9A-Za-z_-])' -- "$src" |
	    awk -F: -v f="$f" "$CPF_OK"' {
		print f ":" $1 ": " $2 " [" (cpf_ok($2) ? "cpf" : "phone") "]"
	    }'
	# E-mail addresses whose local part is not masked.
	grep -noP '(?<![A-Za-z0-9._%+*-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+' -- "$src" |
	    sed "s|^|$f:|; s|\$| [email]|"
}

while read -r f; do
	scan_file "$f"
done <"$work/files" >"$work/found"
while read -r f; do
	grep -nE "$SAN" -- "$f" | sed "s|^|$f:|; s|\$| [sanitizer]|" |
	    cut -c1-300
done <"$work/san" >>"$work/found"
sort -u "$work/found" | sort -t: -k1,1 -k2,2n
[ ! -s "$work/found" ]

#! /usr/bin/env atf-sh
# logscan_test -- the logs of the shared stack, after the rest of the
# suite has run through it (the Kyuafile lists this program last): no
# secret, no full CPF, phone or e-mail in any line the service, lighttpd
# or PostgreSQL wrote.  The simulator's own logs (sim.log, sim-access.log)
# are left out: it plays the providers, whose paths hold those data.

. "$(atf_get_srcdir)/common.subr"

# cpf_valid 11DIGITS: exit 0 when the check digits are right.
cpf_valid() {
	[ "$(cpf_of "${1%??}")" = "$1" ]
}

# scan FILE...: print each finding as "file:line: what"; no output when
# clean.  Digit runs inside longer words (hex lead ids, UUIDs) are not
# numbers of anyone.
scan() {
	local f run
	for f in "$@"; do
		# Secrets, as they are.
		for s in "$C2S_API_KEY" "$C2S_WEBHOOK_SECRET" "$C2S_GOOGLE_KEY" \
		    sim-c2s-token sim-pass sim-work-token; do
			[ -n "$s" ] || continue
			grep -nF -- "$s" "$f" | sed "s|^|$f:|; s|\$| [secret]|" |
			    cut -c1-300
		done
		# CPFs written with punctuation.
		grep -nE '[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}' "$f" |
		    sed "s|^|$f:|; s|\$| [cpf]|" | cut -c1-300
		# Runs of 10 to 13 digits standing alone: phones, and 11-digit
		# runs with valid check digits: CPFs.
		grep -noP '(?<![0-9A-Za-z_-])[0-9]{10,13}(?![0-9A-Za-z_-])' "$f" |
		    while IFS=: read -r ln run; do
			if [ ${#run} -eq 11 ] && cpf_valid "$run"; then
				echo "$f:$ln: $run [cpf]"
			else
				echo "$f:$ln: $run [phone]"
			fi
		    done
		# E-mail addresses whose local part is not masked.
		grep -noP '(?<![A-Za-z0-9._%+*-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+' "$f" |
		    sed "s|^|$f:|; s|\$| [email]|"
	done
}

atf_test_case scan__finds_what_it_looks_for
scan__finds_what_it_looks_for_head() {
	atf_set descr "the scanner itself: planted secrets, CPFs, phones and" \
	    "e-mails are found, masked ones and lead ids are not"
}
scan__finds_what_it_looks_for_body() {
	C2S_API_KEY=k3y-planted C2S_WEBHOOK_SECRET= C2S_GOOGLE_KEY=
	cat >planted.log <<'EOF'
{"msg":"cpf ***.***.***-09, phone ***4321, mail m***@gmail.com"}
{"lead":"c0ffee00000000000000000000000001","id":"0f1e2d3c-0000-4000-8000-000000000011"}
{"msg":"cpf 52998224725"}
{"msg":"cpf 529.982.247-25"}
{"msg":"phone 11987654321"}
{"msg":"to maria.silva@gmail.com"}
{"msg":"key k3y-planted"}
EOF
	scan planted.log >found
	cat found
	[ "$(grep -c . found)" = 5 ] || atf_fail "expected 5 findings"
	grep -q ':3: 52998224725 \[cpf\]' found || atf_fail "CPF missed"
	grep -q ':4:.*\[cpf\]' found || atf_fail "punctuated CPF missed"
	grep -q ':5: 11987654321 \[phone\]' found || atf_fail "phone missed"
	grep -q ':6:.*maria.silva@gmail.com \[email\]' found || atf_fail "e-mail missed"
	grep -q ':7:.*\[secret\]' found || atf_fail "secret missed"
}

atf_test_case logs__no_pii_no_secrets
logs__no_pii_no_secrets_head() {
	atf_set descr "no secret, full CPF, phone or e-mail in the shared" \
	    "stack's logs after the suite"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "grep"
}
logs__no_pii_no_secrets_body() {
	local files f n
	shared_stack
	files=
	for f in "$RUNDIR"/log/*.log; do
		case $(basename "$f") in
		sim.log|sim-access.log) continue ;;
		esac
		# lighttpd has one error log; its lines about the simulator's
		# backend (sim.sock) are the providers' side, as sim.log is.
		grep -v 'unix:[^ ]*/sim\.sock' "$f" >"$(basename "$f")"
		files="$files $(basename "$f")"
	done
	# The suite did write something for the scan to look at.
	n=$(cat $files | wc -l)
	echo "scanning $n lines in:$files"
	[ "$n" -gt 1000 ] || atf_fail "only $n lines of logs: nothing to scan"
	scan $files >found
	if [ -s found ]; then
		head -40 found
		atf_fail "$(wc -l <found) findings in the logs"
	fi
}

atf_test_case sim_logs__no_secrets
sim_logs__no_secrets_head() {
	atf_set descr "the simulator's logs and records (it plays the " \
	    "providers: PII is theirs) hold none of the service's secrets, " \
	    "though its C2S hooks carry the webhook secret as ?token="
	atf_set require.config "base_url stack_dir"
}
sim_logs__no_secrets_body() {
	local f s n=0
	shared_stack
	for f in "$RUNDIR/log/sim.log" "$RUNDIR/log/sim-access.log" \
	    "$RUNDIR"/sim/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		for s in "$C2S_API_KEY" "$C2S_WEBHOOK_SECRET" "$C2S_GOOGLE_KEY"; do
			[ -n "$s" ] || continue
			if grep -c -F -- "$s" "$f" >/dev/null; then
				atf_fail "a secret of the service is in $f"
			fi
		done
	done
	[ $n -ge 3 ] || atf_fail "only $n simulator files to scan"
}

atf_init_test_cases() {
	atf_add_test_case scan__finds_what_it_looks_for
	atf_add_test_case logs__no_pii_no_secrets
	atf_add_test_case sim_logs__no_secrets
}

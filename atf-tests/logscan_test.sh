#! /usr/bin/env atf-sh
# logscan_test -- the logs of the shared stack, after the rest of the
# suite has run through it (the Kyuafile lists this program last): no
# secret, no full CPF, phone or e-mail in any line the service, lighttpd
# or PostgreSQL wrote, no sanitizer report: atf-tests/scanlogs.sh, which
# private_stack_stop (common.subr) runs on every private stack too.  The
# simulator's own logs (sim.log, sim-access.log) are left out of the PII
# scan: it plays the providers, whose paths hold those data.

. "$(atf_get_srcdir)/common.subr"

# The scan every stack of the suite gets.
SCAN=$(atf_get_srcdir)/scanlogs.sh

atf_test_case scan__finds_what_it_looks_for
scan__finds_what_it_looks_for_head() {
	atf_set descr "the scanner itself: planted secrets, CPFs, phones," \
	    "e-mails and sanitizer reports are found, masked ones and lead" \
	    "ids are not; exit 1 on a finding, 0 when clean"
}
scan__finds_what_it_looks_for_body() {
	cat >planted.log <<'EOF'
{"msg":"cpf ***.***.***-09, phone ***4321, mail m***@gmail.com"}
{"lead":"c0ffee00000000000000000000000001","id":"0f1e2d3c-0000-4000-8000-000000000011"}
{"msg":"cpf 52998224725"}
{"msg":"cpf 529.982.247-25"}
{"msg":"phone 11987654321"}
{"msg":"to maria.silva@gmail.com"}
{"msg":"key k3y-planted"}
==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010
lib/buf.c:12:3: runtime error: signed integer overflow
==4242==ERROR: LeakSanitizer: detected memory leaks
EOF
	atf_check -s exit:1 -o save:found "$SCAN" -k k3y-planted planted.log
	cat found
	[ "$(grep -c . found)" = 8 ] || atf_fail "expected 8 findings"
	grep -q ':3: 52998224725 \[cpf\]' found || atf_fail "CPF missed"
	grep -q ':4:.*\[cpf\]' found || atf_fail "punctuated CPF missed"
	grep -q ':5: 11987654321 \[phone\]' found || atf_fail "phone missed"
	grep -q ':6:.*maria.silva@gmail.com \[email\]' found || atf_fail "e-mail missed"
	grep -q ':7:.*\[secret\]' found || atf_fail "secret missed"
	# What is found is shown, the secret masked.
	if grep k3y-planted found; then
		atf_fail "the finding shows the secret"
	fi
	atf_check -o inline:'8\n9\n10\n' -x \
	    "grep '\\[sanitizer\\]\$' found | cut -d: -f2"
	# Clean: exit 0, nothing printed.
	head -2 planted.log >clean.log
	atf_check "$SCAN" -k k3y-planted clean.log
}

atf_test_case scan__reads_a_run_directory
scan__reads_a_run_directory_head() {
	atf_set descr "scanlogs -r: the secrets of a stack's env and" \
	    "responder.env, the CPFs its simulator was asked about even" \
	    "inside a word, every log but the simulator's; sanitizer" \
	    "reports in the responders', workers' and simulator's logs"
}
scan__reads_a_run_directory_body() {
	local r=run
	mkdir -p $r/log $r/sim
	cat >$r/env <<'EOF'
C2S_URL='http://127.0.0.1:1'
C2S_API_KEY='planted-api-key-1'
C2S_WEBHOOK_SECRET='planted-hook-secret'
C2S_GOOGLE_KEY='planted-google-key'
EOF
	cat >$r/responder.env <<'EOF'
API_KEYS=planted-api-key-1, planted-api-key-2
C2S_TOKEN=planted-c2s-token
DIRETRIX_PASS=planted-dx-pass
WORK_API=planted-work-token
LOG_LEVEL=info
EOF
	# 39053344705 is a CPF; the other call's path holds digits in a word.
	cat >$r/sim/record <<'EOF'
{"api":"diretrix","path":"/api/v1/pessoa/39053344705","status":200}
{"api":"c2s","path":"/integration/leads/0123456789012a","status":200}
EOF
	echo '{"msg":"lookup cpf39053344705x lead 0123456789012a"}' >$r/log/pool.log
	echo '{"msg":"auth planted-api-key-2"}' >$r/log/worker.log
	echo 'ERROR: LeakSanitizer: detected memory leaks' >>$r/log/worker.log
	echo 'GET /x?t=planted-dx-pass 200' >$r/log/access.log
	# A client's string in lighttpd's log is no sanitizer report.
	echo 'GET /runtime error: 404' >>$r/log/access.log
	echo '{"c2s_token":"planted-hook-secret"}' >$r/log/postgres.log
	# The simulator's logs are the providers' side: no PII scan there.
	echo 'GET /api/v1/pessoa/39053344705 planted-work-token' >$r/log/sim.log
	echo 'GET /api/v1/pessoa/39053344705' >$r/log/sim-access.log
	echo 'backend unix:/x/sim.sock 39053344705' >$r/log/lighttpd-error.log
	atf_check -s exit:1 -o save:found "$SCAN" -r $r
	cat found
	atf_check -o inline:"$r/log/pool.log:1\n" -x \
	    "grep '\\[cpf\\]\$' found | cut -d: -f1,2"
	atf_check -o inline:"$r/log/access.log:1\n$r/log/postgres.log:1\n$r/log/worker.log:1\n" \
	    -x "grep '\\[secret\\]\$' found | cut -d: -f1,2"
	atf_check -o inline:"$r/log/worker.log:2\n" -x \
	    "grep '\\[sanitizer\\]\$' found | cut -d: -f1,2"
	[ "$(grep -c . found)" = 5 ] || atf_fail "expected 5 findings"
	# Without the record, the word hides the CPF.
	rm $r/sim/record
	atf_check -s exit:1 -o save:found2 "$SCAN" -r $r
	if grep '\[cpf\]' found2; then
		atf_fail "a CPF inside a word found without the record"
	fi
}

atf_test_case logs__no_pii_no_secrets
logs__no_pii_no_secrets_head() {
	atf_set descr "no secret, full CPF, phone or e-mail in the shared" \
	    "stack's logs after the suite, and no sanitizer report"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "grep"
}
logs__no_pii_no_secrets_body() {
	local n
	shared_stack
	# The suite did write something for the scan to look at (the
	# simulator's logs aside).
	n=$(ls "$RUNDIR"/log/*.log | grep -v '/sim[-.][^/]*$' | xargs cat | wc -l)
	echo "scanning $n lines in: $(ls "$RUNDIR/log" | tr '\n' ' ')"
	[ "$n" -gt 1000 ] || atf_fail "only $n lines of logs: nothing to scan"
	if ! "$SCAN" -r "$RUNDIR" >found; then
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
	atf_add_test_case scan__reads_a_run_directory
	atf_add_test_case logs__no_pii_no_secrets
	atf_add_test_case sim_logs__no_secrets
}

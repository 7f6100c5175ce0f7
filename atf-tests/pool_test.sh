#! /usr/bin/env atf-sh
# pool_test -- the pool under faults, each case on a private stack of its
# own (real PostgreSQL, spawn-fcgi + multiwatch, lighttpd): PostgreSQL
# stopped and restarted, responders signalled and killed, recycling, and a
# stop that leaves nothing behind.

. "$(atf_get_srcdir)/common.subr"

atf_test_case ready__follows_postgres cleanup
ready__follows_postgres_head() {
	atf_set descr "/ready is 503 naming the database while PostgreSQL " \
	    "is down and 200 again after it restarts, with no request failing"
	atf_set timeout 120
}
ready__follows_postgres_body() {
	private_stack
	for i in 1 2 3 4 5 6 7 8; do
		expect_status 200 GET /ready
	done
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	for i in 1 2 3 4 5 6 7 8; do
		expect_status 503 GET /ready
		atf_check -o inline:'not_ready database\n' \
		    jq -r '"\(.code) \(.failing)"' body
	done
	# /health does not depend on the database.
	expect_status 200 GET /health
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	# Every responder's first query after the restart must succeed.
	for i in $(seq 1 24); do
		expect_status 200 GET /ready
	done
	private_stack_stop
}
ready__follows_postgres_cleanup() { private_stack_stop; }

atf_test_case restart__costs_no_request cleanup
restart__costs_no_request_head() {
	atf_set descr "a PostgreSQL restart between requests costs no " \
	    "request an error: old connections are reset and retried"
	atf_set timeout 120
}
restart__costs_no_request_body() {
	private_stack
	# Every responder holds a connection.
	for i in $(seq 1 16); do
		expect_status 200 GET /ready
	done
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	for i in $(seq 1 16); do
		expect_status 200 GET /ready
	done
	wait_for 20 grep -q 'connection lost, reconnecting' \
	    "$RUNDIR/log/pool.log" || atf_fail "no reconnect was logged"
	# What libpq has to say goes to the JSON log too.
	if grep -v '^{' "$RUNDIR/log/pool.log"; then
		atf_fail "lines that are not JSON in the responders' log"
	fi
	private_stack_stop
}
restart__costs_no_request_cleanup() { private_stack_stop; }

# A random lead id.
rand_lead() {
	od -An -N16 -tx1 /dev/urandom | tr -d ' \n'
}

atf_test_case restart__pipeline_survives cleanup
restart__pipeline_survives_head() {
	atf_set descr "the pipeline with PostgreSQL down: spooled (202) and " \
	    "nothing called upstream; after a restart, leads run again at once"
	atf_set timeout 120
}
restart__pipeline_survives_body() {
	private_stack
	for i in $(seq 1 8); do
		expect_status 200 GET "/api/v1/leads/process?id=$(rand_lead)"
		jq -e '.success == true' body >/dev/null ||
		    atf_fail "lead failed: $(cat body)"
	done
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	id=$(rand_lead)
	# Not recorded: spooled (spool_test replays it).
	expect_status 202 POST "/api/v1/c2s/enrich/$id" -d ''
	atf_check -o inline:'queued true\n' jq -r '"\(.status) \(.spooled)"' body
	[ "$(curl -s "$C2S_SIM_URL/__sim/calls" | jq --arg id "$id" \
	    '[.calls[] | select(.path | contains($id))] | length')" = 0 ] ||
	    atf_fail "an upstream was called for an unrecorded lead"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	for i in $(seq 1 8); do
		expect_status 200 GET "/api/v1/leads/process?id=$(rand_lead)"
		jq -e '.success == true' body >/dev/null ||
		    atf_fail "lead failed after the restart: $(cat body)"
	done
	private_stack_stop
}
restart__pipeline_survives_cleanup() { private_stack_stop; }

atf_test_case sigterm__idle_responder_exits cleanup
sigterm__idle_responder_exits_head() {
	atf_set descr "an idle responder exits promptly on SIGTERM and " \
	    "multiwatch replaces it"
	atf_set timeout 120
}
sigterm__idle_responder_exits_body() {
	private_stack C2S_POOL=2
	wait_for 50 pool_full || atf_fail "pool not full"
	victim=$(responders | head -1)
	start=$(date +%s%N)
	kill -TERM "$victim"
	wait_for 10 eval "! alive $victim" ||
	    atf_fail "responder $victim still alive 1 s after SIGTERM"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	echo "responder exited in $ms ms"
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	responders | grep -qx "$victim" && atf_fail "victim still listed"
	grep -q '"pid":'"$victim"',.*exiting after [0-9]* requests (signal)' \
	    "$RUNDIR/log/pool.log" || atf_fail "no clean exit logged"
	for i in $(seq 1 10); do
		expect_status 200 GET /health
	done
	private_stack_stop
}
sigterm__idle_responder_exits_cleanup() { private_stack_stop; }

atf_test_case sigterm__busy_responder_finishes cleanup
sigterm__busy_responder_finishes_head() {
	atf_set descr "a busy responder finishes its request after SIGTERM, " \
	    "then exits"
	atf_set timeout 120
}
sigterm__busy_responder_finishes_body() {
	private_stack C2S_POOL=1
	wait_for 50 pool_full || atf_fail "pool not full"
	victim=$(responders)
	expect_status 200 GET /ready
	# Make /ready slow for real: its query waits on a table lock.
	psql -X -q -h "$PGHOST" -U c2s -d c2s -c "BEGIN" \
	    -c "LOCK TABLE public.schema_migrations IN ACCESS EXCLUSIVE MODE" \
	    -c "SELECT pg_sleep(2)" -c "COMMIT" >/dev/null &
	locker=$!
	sleep 0.5
	curl -s -o busy.body -w '%{http_code}' --max-time 30 "$URL/ready" >busy.status &
	client=$!
	sleep 0.5
	kill -TERM "$victim"
	sleep 0.5
	alive "$victim" || atf_fail "the busy responder died before answering"
	wait "$client"
	wait "$locker"
	atf_check -o inline:200 cat busy.status
	atf_check -o inline:'ready\n' jq -r .status busy.body
	wait_for 20 eval "! alive $victim" ||
	    atf_fail "responder $victim did not exit after its request"
	grep -q '"pid":'"$victim"',.*exiting after [0-9]* requests (signal)' \
	    "$RUNDIR/log/pool.log" || atf_fail "no clean exit logged"
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	expect_status 200 GET /ready
	private_stack_stop
}
sigterm__busy_responder_finishes_cleanup() { private_stack_stop; }

atf_test_case sigkill__responder_replaced cleanup
sigkill__responder_replaced_head() {
	atf_set descr "a responder killed with SIGKILL is replaced and " \
	    "requests keep succeeding"
	atf_set timeout 120
}
sigkill__responder_replaced_body() {
	private_stack C2S_POOL=3
	wait_for 50 pool_full || atf_fail "pool not full"
	before=$(responders | sort | tr '\n' ' ')
	for round in 1 2 3; do
		victim=$(responders | head -1)
		kill -KILL "$victim"
		for i in $(seq 1 20); do
			expect_status 200 GET /health
		done
		wait_for 50 pool_full || atf_fail "pool not back to full size"
		responders | grep -qx "$victim" && atf_fail "$victim still there"
	done
	after=$(responders | sort | tr '\n' ' ')
	[ "$before" != "$after" ] || atf_fail "no responder was replaced"
	expect_status 200 GET /ready
	private_stack_stop
}
sigkill__responder_replaced_cleanup() { private_stack_stop; }

atf_test_case recycle__after_max_requests cleanup
recycle__after_max_requests_head() {
	atf_set descr "responders recycle after MAX_REQUESTS without " \
	    "failing a request or making multiwatch give up"
	atf_set timeout 120
}
recycle__after_max_requests_body() {
	private_stack MAX_REQUESTS=5 C2S_POOL=2
	# Spread over > 2 s so the responders' minimum lifetime passes.
	for i in $(seq 1 30); do
		expect_status 200 GET /health
		sleep 0.1
	done
	for i in $(seq 1 100); do
		expect_status 200 GET /health
	done
	wait_for 50 pool_full || atf_fail "pool not at full size"
	n=$(grep -c 'exiting after [0-9]* requests (recycled)' "$RUNDIR/log/pool.log")
	echo "recycled: $n"
	[ "$n" -ge 2 ] || atf_fail "expected recycling, saw $n"
	grep -q 'failed, next try' "$RUNDIR/log/pool.log" &&
	    atf_fail "multiwatch counted a recycle as a failed start"
	scrape
	[ "$(metric c2s_responders_recycled_total)" = "$n" ] ||
	    atf_fail "/metrics counts $(metric c2s_responders_recycled_total)" \
	    "recycled responders, the log $n"
	private_stack_stop
}
recycle__after_max_requests_cleanup() { private_stack_stop; }

atf_test_case stop__leaves_nothing cleanup
stop__leaves_nothing_head() {
	atf_set descr "stopping the stack ends every process it started and " \
	    "removes its socket and run directory"
	atf_set timeout 120
}
stop__leaves_nothing_body() {
	# The stack's own removal of its run directory, not kept for a scan.
	private_stack C2S_KEEP=0
	expect_status 200 GET /ready
	pids="$C2S_STACK_PID $C2S_POOL_PID $C2S_HTTPD_PID $C2S_PG_PID $(responders)"
	pids="$pids $(cat /proc/$C2S_PG_PID/task/$C2S_PG_PID/children)"
	echo "pids: $pids"
	"$STACK" stop "$RUNDIR" || atf_fail "stop failed"
	for p in $pids; do
		alive "$p" && atf_fail "process $p left behind: $(cat /proc/$p/cmdline | tr '\0' ' ')"
	done
	[ -e "$RUNDIR" ] && atf_fail "run directory $RUNDIR left behind"
	curl -s --max-time 2 "$URL/health" >/dev/null &&
	    atf_fail "something still answers on $URL"
	rm -f private_stack_dir
}
stop__leaves_nothing_cleanup() { private_stack_stop; }

atf_test_case big_body__buffered cleanup
big_body__buffered_head() {
	atf_set descr "a request body over lighttpd's 64 KiB memory buffer" \
	    "reaches the responder whatever TMPDIR the stack started with"
	atf_set timeout 120
}
big_body__buffered_body() {
	# A TMPDIR that lighttpd, once it dropped to www-data, cannot write.
	mkdir -m 0700 private_tmp
	private_stack TMPDIR="$PWD/private_tmp"
	{ head -c 300000 /dev/zero | tr '\0' ' '
	    echo '{"cpf":"52998224725"}'; } >big.json
	expect_status 404 POST /api/v1/enrich \
	    -H 'Content-Type: application/json' --data-binary @big.json
	expect_json_error not_found
	if grep 'temp-file' "$RUNDIR/log/lighttpd-error.log"; then
		atf_fail "lighttpd could not buffer the body"
	fi
	private_stack_stop
}
big_body__buffered_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case ready__follows_postgres
	atf_add_test_case restart__costs_no_request
	atf_add_test_case restart__pipeline_survives
	atf_add_test_case sigterm__idle_responder_exits
	atf_add_test_case sigterm__busy_responder_finishes
	atf_add_test_case sigkill__responder_replaced
	atf_add_test_case recycle__after_max_requests
	atf_add_test_case stop__leaves_nothing
	atf_add_test_case big_body__buffered
}

#! /usr/bin/env atf-sh
# pool_test -- the pool under faults, each case on a private stack of its
# own (real PostgreSQL, spawn-fcgi + the pool master, lighttpd): PostgreSQL
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
	# Dozens of /ready in a row: no rate limit (RATE_LIMIT is 10 a second).
	private_stack RATE_LIMIT=0
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
	# The master's own connection is made again within a second, and
	# stays: every /ready after is 200.
	wait_for 50 eval '[ "$(http GET /ready)" = 200 ]' ||
	    atf_fail "/ready not 200 again: $(cat body)"
	for i in $(seq 1 8); do
		expect_status 200 GET /ready
	done
	# Every responder's first query after the restart must succeed.
	for i in $(seq 1 24); do
		expect_status 200 GET /api/v1/stats
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
	# Dozens of /ready in a row: no rate limit (RATE_LIMIT is 10 a second).
	private_stack RATE_LIMIT=0
	# Every responder holds a connection (/ready is the master's: the
	# responders answer the stats).
	for i in $(seq 1 16); do
		expect_status 200 GET /api/v1/stats
	done
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	# The master's own connection is made again within a second.
	wait_for 50 eval '[ "$(http GET /ready)" = 200 ]' ||
	    atf_fail "/ready not 200 again: $(cat body)"
	for i in $(seq 1 16); do
		expect_status 200 GET /api/v1/stats
	done
	wait_for 100 grep -q 'connection lost, reconnecting' \
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
	    "the master replaces it"
	atf_set timeout 120
}
sigterm__idle_responder_exits_body() {
	private_stack C2S_POOL=2
	wait_for 50 pool_full || atf_fail "pool not full"
	victim=$(responders | head -1)
	start=$(date +%s%N)
	kill -TERM "$victim"
	# No request reaches the pool meanwhile: it exits without one (10 s
	# for a slow, ASan, machine; a blocked accept() would never end).
	wait_for 100 eval "! alive $victim" ||
	    atf_fail "responder $victim still alive 10 s after SIGTERM"
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
	private_stack C2S_POOL=1 C2S_WORKERS=0
	wait_for 50 pool_full || atf_fail "pool not full"
	victim=$(responders)
	expect_status 200 GET /api/v1/stats
	# Make the stats slow for real: their query waits on a table lock,
	# held until the test lets it go (a psql fed through a FIFO).
	mkfifo locker.in
	psql -X -q -h "$PGHOST" -U c2s -d c2s -v ON_ERROR_STOP=1 \
	    <locker.in >locker.out 2>&1 &
	locker=$!
	exec 3>locker.in
	echo "BEGIN; LOCK TABLE c2s.leads IN ACCESS EXCLUSIVE MODE;" >&3
	wait_for 300 eval '[ "$(table_locks true)" = 1 ]' ||
	    atf_fail "the lock was not taken: $(cat locker.out)"
	curl -s -o busy.body -w '%{http_code}' --max-time 60 \
	    "$URL/api/v1/stats" >busy.status &
	client=$!
	# The responder's query waits on the lock: the request is in flight.
	wait_for 300 eval '[ "$(table_locks false)" = 1 ]' ||
	    atf_fail "the stats never waited on the lock"
	kill -TERM "$victim"
	# Delivered (caught: not pending), and the responder still busy.
	wait_for 100 term_delivered "$victim" ||
	    atf_fail "SIGTERM not delivered to $victim"
	alive "$victim" || atf_fail "the busy responder died before answering"
	[ "$(table_locks false)" = 1 ] || atf_fail "the request ended on SIGTERM"
	echo "COMMIT;" >&3
	exec 3>&-
	wait "$client"
	wait "$locker" || atf_fail "the locker failed: $(cat locker.out)"
	atf_check -o inline:200 cat busy.status
	jq -e '.leads.total >= 0' busy.body >/dev/null ||
	    atf_fail "not the stats: $(head -c 300 busy.body)"
	wait_for 100 eval "! alive $victim" ||
	    atf_fail "responder $victim did not exit after its request"
	grep -q '"pid":'"$victim"',.*exiting after [0-9]* requests (signal)' \
	    "$RUNDIR/log/pool.log" || atf_fail "no clean exit logged"
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	expect_status 200 GET /api/v1/stats
	private_stack_stop
}
sigterm__busy_responder_finishes_cleanup() { private_stack_stop; }

# table_locks GRANTED: how many locks on c2s.leads are held (true) or
# waited for (false).
table_locks() {
	psql -X -At -h "$PGHOST" -U c2s -d c2s -c "SELECT count(*) FROM pg_locks
	    WHERE relation = 'c2s.leads'::regclass AND granted = $1"
}

# term_delivered PID: SIGTERM is not pending for PID (the kernel delivered
# it: the responder catches it), or PID is gone.
term_delivered() {
	[ -r "/proc/$1/status" ] || return 0
	awk '/^(SigPnd|ShdPnd):/ {
		# SIGTERM is bit 15, 0x4000: the 4th hex digit from the right.
		if (index("4567cdef", tolower(substr($2, length($2) - 3, 1))))
			p = 1
	    } END { exit p }' "/proc/$1/status"
}

atf_test_case sigkill__responder_replaced cleanup
sigkill__responder_replaced_head() {
	atf_set descr "a responder killed with SIGKILL is replaced and " \
	    "requests keep succeeding"
	atf_set timeout 120
}
sigkill__responder_replaced_body() {
	private_stack C2S_POOL=3 RATE_LIMIT=0
	wait_for 50 pool_full || atf_fail "pool not full"
	before=$(responders | sort | tr '\n' ' ')
	for round in 1 2 3; do
		victim=
		wait_for 100 eval 'victim=$(old_responder)' ||
		    atf_fail "no responder 2 s old"
		kill -KILL "$victim"
		# Requests the responders answer (/health is the master's).
		for i in $(seq 1 20); do
			expect_status 200 GET /api/v1/stats
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
	local t0 seen logged
	private_stack MAX_REQUESTS=5 C2S_POOL=2 RATE_LIMIT=0
	wait_for 50 pool_full || atf_fail "pool not full"
	# Requests the responders answer (/health is the master's) until
	# two responders have recycled, each after 5 to 5 + 1 requests; 60 s
	# bound it (the case's timeout is 120 s).
	t0=$(date +%s)
	while [ "$(recycled)" -lt 2 ]; do
		[ $(($(date +%s) - t0)) -lt 60 ] ||
		    atf_fail "$(recycled) responders recycled in 60 s"
		expect_status 200 GET /api/v1/stats
	done
	wait_for 100 pool_full || atf_fail "pool not at full size"
	grep -q '"msg":"responder [0-9]* failed' "$RUNDIR/log/pool.log" &&
	    atf_fail "the master counted a recycle as a failed start"
	# The counter and the log agree once no recycle is under way (a
	# scrape is a request too: it may make one more).
	# (wait_for's own counter is "n": these names differ.)
	wait_for 100 eval 'scrape && seen=$(metric c2s_responders_recycled_total) &&
	    logged=$(recycled) && [ "$seen" = "$logged" ]' ||
	    atf_fail "/metrics counts $seen recycled responders, the log $logged"
	echo "recycled: $logged"
	[ "$logged" -ge 2 ] || atf_fail "expected recycling, saw $logged"
	private_stack_stop
}
recycle__after_max_requests_cleanup() { private_stack_stop; }

# recycled: how many responders the log says recycled.
recycled() {
	grep -c 'exiting after [0-9]* requests (recycled)' "$RUNDIR/log/pool.log"
}

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

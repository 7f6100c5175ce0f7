#! /usr/bin/env atf-sh
# guard_test -- what protects the upstreams and the database, on private
# stacks with the simulator: the circuit breakers (shared by the
# responders of a machine), Work API call spacing across processes and
# machines bounded by the request deadline, the database's statement
# timeout, API keys and the rate limit through lighttpd, and the
# responders' process hardening (no core dumps, socket mode).

. "$(atf_get_srcdir)/common.subr"

# breaker TARGET: its state in ./metrics (0 closed, 1 open, 2 half open).
breaker() {
	metric "c2s_breaker_state{target=\"$1\"}"
}

# diretrix_half_open: /metrics says the Diretrix breaker's cool-down is
# over (the next call probes).
diretrix_half_open() {
	scrape
	[ "$(breaker diretrix)" = 2 ]
}

atf_test_case breaker__upstream cleanup
breaker__upstream_head() {
	atf_set descr "Diretrix failing opens its breaker: the next lead" \
	    "does not call it and stays retryable; after the cool-down one" \
	    "probe closes it"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
breaker__upstream_body() {
	local a b c
	private_stack BREAKER_THRESHOLD=2 BREAKER_COOLDOWN=1500ms
	export PGHOST PGUSER PGDATABASE
	# Diretrix answers 503 for these leads' phone and e-mail.
	a=$(rand_id fa17d102)
	expect_status 200 GET "/api/v1/leads/process?id=$a"
	json '.status == "unenriched"'
	scrape
	[ "$(breaker diretrix)" = 1 ] || atf_fail "diretrix breaker not open"
	[ "$(metric 'c2s_breaker_trips_total{target="diretrix"}')" = 1 ] ||
	    atf_fail "trips not counted"
	[ "$(breaker c2s)" = 0 ] || atf_fail "the C2S breaker moved"
	# BREAKER_THRESHOLD and BREAKER_COOLDOWN, as the responder took them.
	grep -q 'breaker diretrix: open for 1500 ms after 2 failures' \
	    "$RUNDIR/log/pool.log" || atf_fail "opened otherwise:" \
	    "$(grep -o 'breaker diretrix: open[^"]*' "$RUNDIR/log/pool.log")"

	b=$(rand_id fa17d102)
	expect_status 200 GET "/api/v1/leads/process?id=$b"
	json '.status == "unenriched"'
	[ "$(sql "SELECT next_retry_at IS NOT NULL FROM c2s.leads
	    WHERE lead_id = '$b'")" = t ] || atf_fail "lead $b not retryable"
	scrape
	[ "$(metric 'c2s_breaker_rejected_total{target="diretrix"}')" -ge 2 ] ||
	    atf_fail "calls were not failed fast"
	[ "$(metric 'c2s_upstream_calls_total{api="diretrix",call="diretrix_phone",outcome="provider_down"}')" = 1 ] ||
	    atf_fail "lead $b reached Diretrix"

	# The cool-down over (half open in /metrics), a normal lead probes
	# and closes it.
	wait_for 100 diretrix_half_open ||
	    atf_fail "not half open: state $(breaker diretrix)"
	c=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$c"
	scrape
	[ "$(breaker diretrix)" = 0 ] || atf_fail "the probe did not close it"
	expect_status 200 GET /ready
	private_stack_stop
}
breaker__upstream_cleanup() { private_stack_stop; }

atf_test_case breaker__database cleanup
breaker__database_head() {
	atf_set descr "PostgreSQL down opens its breaker (503 at once, no" \
	    "connection tried); /ready probes it and closes it"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
breaker__database_body() {
	local i
	private_stack BREAKER_THRESHOLD=2 BREAKER_COOLDOWN=60s C2S_WORKERS=0
	expect_status 200 GET /api/v1/stats
	"$STACK" pg stop "$RUNDIR" || atf_fail "cannot stop postgres"
	for i in 1 2 3 4 5 6; do
		expect_status 503 GET /api/v1/stats
		expect_json_error database_unavailable
	done
	scrape
	[ "$(breaker postgres)" = 1 ] || atf_fail "postgres breaker not open"
	"$STACK" pg start "$RUNDIR" || atf_fail "cannot start postgres"
	# Open for 60 s, but /ready always asks the database: it finds it
	# back and closes the breaker for every responder.
	wait_for 50 sh -c "curl -s -o /dev/null -w '%{http_code}' \
	    '$URL/ready' | grep -qx 200" || atf_fail "/ready not back"
	scrape
	[ "$(breaker postgres)" = 0 ] || atf_fail "/ready did not close it"
	for i in 1 2 3 4 5 6 7 8; do
		expect_status 200 GET /api/v1/stats
	done
	private_stack_stop
}
breaker__database_cleanup() { private_stack_stop; }

# proxy_burst URL N FIRST: N concurrent Work API proxy calls for N new
# CPFs (seeds FIRST...), in the background; statuses in ./st.*.
proxy_burst() {
	local url=$1 n=$2 first=$3 i
	for i in $(seq "$n"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
		    "$url/api/v1/work/modules/cpf?documento=$(cpf_of $((first + i)))" \
		    >"st.$first.$i" &
	done
}

atf_test_case spacing__processes_and_machines cleanup
spacing__processes_and_machines_head() {
	atf_set descr "WORK_API_MIN_INTERVAL holds across the responders of" \
	    "a machine and across two machines sharing PostgreSQL"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
spacing__processes_and_machines_body() {
	local b_dir b_url seed took
	private_stack WORK_API_MIN_INTERVAL=250ms
	export PGHOST PGUSER PGDATABASE
	b_dir=$(env C2S_PORT=0 C2S_SIM_PORT=0 C2S_RUNDIR= C2S_WORKERS=0 \
	    C2S_KEEP=1 \
	    C2S_SHARED_DB="$DB_URL" C2S_BASE_URL="$C2S_SIM_URL" \
	    DIRETRIX_BASE_URL="$C2S_SIM_URL" WORK_API_URL="$C2S_SIM_URL" \
	    C2S_TOKEN=sim-c2s-token DIRETRIX_USER=sim DIRETRIX_PASS=sim-pass \
	    WORK_API=sim-work-token WORK_API_MIN_INTERVAL=250ms \
	    API_KEYS="$C2S_API_KEY" "$STACK" start) ||
	    atf_fail "stack B did not start"
	echo "$b_dir" >stack_b_dir
	b_url=$(. "$b_dir/env"; echo "$C2S_URL")
	seed=$(rand_seed 3000000)
	# Three calls on each machine at once: six slots, 250 ms apart.
	took=$(now_ms)
	proxy_burst "$URL" 3 "$seed"
	proxy_burst "$b_url" 3 $((seed + 10))
	wait
	took=$(( $(now_ms) - took ))
	[ "$(cat st.* | sort -u)" = 200 ] ||
	    atf_fail "statuses: $(cat st.* | tr '\n' ' ')"
	echo "six calls took $took ms"
	[ "$took" -ge 1200 ] || atf_fail "six calls in $took ms: not spaced"
	# One row, the token's hash, not the token.
	[ "$(sql "SELECT count(*) FROM c2s.work_spacing
	    WHERE token_id ~ '^[0-9a-f]{16}$'")" = 1 ] ||
	    atf_fail "no spacing row"
	[ "$(sql "SELECT count(*) FROM c2s.work_spacing
	    WHERE token_id LIKE '%sim-work%'")" = 0 ] ||
	    atf_fail "the token is in the database"
	rm -f stack_b_dir
	stack_stop_scan "$b_dir"
	private_stack_stop
}
spacing__processes_and_machines_cleanup() {
	[ -r stack_b_dir ] && stack_stop_scan "$(cat stack_b_dir)"
	private_stack_stop
}

atf_test_case spacing__bounded_by_deadline cleanup
spacing__bounded_by_deadline_head() {
	atf_set descr "a Work API slot after the request's deadline is a 504" \
	    "at once, without a call, and one call of each burst goes"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
spacing__bounded_by_deadline_body() {
	local seed took round
	# The next slot 2.5 s away, past the 2 s deadline.
	private_stack WORK_API_MIN_INTERVAL=2500ms REQUEST_DEADLINE=2s \
	    UPSTREAM_TIMEOUT=1500ms UPSTREAM_CONNECT_TIMEOUT=1s
	seed=$(rand_seed 4000000)
	# Three rounds of one call per responder, a slot apart: each time
	# one call goes, the others get a 504 at once (the first round meets
	# responders that connect to PostgreSQL as they reserve).  A call
	# a 504 made late would be counted below (the rounds before the
	# last).
	for round in 1 2 3; do
		[ "$round" = 1 ] || sleep 2.7
		rm -f st.*
		took=$(now_ms)
		proxy_burst "$URL" "$C2S_POOL" $((seed + round * 10))
		wait
		took=$(( $(now_ms) - took ))
		[ "$(cat st.* | sort | tr '\n' ' ')" = \
		    "200 $(printf '504 %.0s' $(seq 2 "$C2S_POOL"))" ] ||
		    atf_fail "round $round: statuses: $(cat st.* | tr '\n' ' ')"
		[ "$took" -lt 2000 ] ||
		    atf_fail "round $round: the 504s waited: $took ms"
	done
	[ "$(sim_calls work consulta=)" = 3 ] ||
	    atf_fail "$(sim_calls work consulta=) Work API calls, not 3"
	private_stack_stop
}
spacing__bounded_by_deadline_cleanup() { private_stack_stop; }

atf_test_case front__keys_and_rate cleanup
front__keys_and_rate_head() {
	atf_set descr "through lighttpd: 401 without the key; from a full" \
	    "bucket (RATE_BURST=30, RATE_LIMIT=1) exactly the burst passes," \
	    "plus what refilled while it was sent, then 429 with" \
	    "Retry-After; /health and /ready never limited; passes again once refilled"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
# stats_from N: GET /api/v1/stats from 127.0.0.3 (a bucket no other
# request of the case draws from); the answer in ./out and ./hdr, the
# status printed.
stats_from() {
	curl -s -o out -D hdr -w '%{http_code}' --max-time 10 \
	    --interface 127.0.0.3 "$URL/api/v1/stats"
}
front__keys_and_rate_body() {
	local i st
	# Neither figure is the default (10 a second, bursts of 20).
	private_stack RATE_LIMIT=1 RATE_BURST=30
	st=$(curl -q -s -o body -D headers -w '%{http_code}' "$URL/api/v1/stats")
	[ "$st" = 401 ] || atf_fail "no key: $st"
	expect_json_error unauthorized
	grep -qi '^www-authenticate: bearer' headers ||
	    atf_fail "no WWW-Authenticate"
	st=$(curl -q -s -o body -w '%{http_code}' \
	    -H "Authorization: Bearer $C2S_API_KEY" "$URL/api/v1/stats")
	[ "$st" = 200 ] || atf_fail "Bearer key: $st"
	rate_drain 200 stats_from
	rate_check "127.0.0.3" 30 30 1
	[ "$(sort -u st | tr '\n' ' ')" = "200 429 " ] ||
	    atf_fail "statuses: $(sort st | uniq -c | tr '\n' ' ')"
	cp out body
	expect_json_error rate_limited
	# One token a second: never more than a second to wait.
	tr -d '\r' <hdr | grep -qix 'retry-after: 1' ||
	    atf_fail "Retry-After: $(grep -i '^retry-after' hdr)"
	# The probes are never limited, the bucket empty or not.
	for i in $(seq 20); do
		expect_status 200 GET /health --interface 127.0.0.3
		expect_status 200 GET /ready --interface 127.0.0.3
	done
	rate_refilled "127.0.0.3" 30 stats_from
	private_stack_stop
}
front__keys_and_rate_cleanup() { private_stack_stop; }

atf_test_case process__hardened
process__hardened_head() {
	atf_set descr "responders run without core dumps; the FastCGI socket" \
	    "is mode 0660"
	atf_set require.config "base_url stack_dir"
}
process__hardened_body() {
	local pid
	shared_stack
	for pid in $(responders); do
		grep -q '^Max core file size *0 *0 ' "/proc/$pid/limits" ||
		    atf_fail "responder $pid may dump core: $(grep core /proc/$pid/limits)"
	done
	[ "$(stat -c %a "$RUNDIR/sock")" = 660 ] ||
	    atf_fail "socket mode $(stat -c %a "$RUNDIR/sock")"
	if [ "$(id -u)" = 0 ]; then
		[ "$(stat -c %G "$RUNDIR/sock")" = www-data ] ||
		    atf_fail "socket group $(stat -c %G "$RUNDIR/sock")"
	fi
}

atf_test_case logs__no_query_in_lighttpd_log cleanup
logs__no_query_in_lighttpd_log_head() {
	atf_set descr "lighttpd's error log quotes a failed request's URI" \
	    "without its query string (a CPF, a token)"
	atf_set require.progs "curl spawn-fcgi multiwatch lighttpd"
}
logs__no_query_in_lighttpd_log_body() {
	local cpf st
	private_stack
	cpf=$(cpf_of "$(rand_seed 5000000)")
	# The pool's socket taken away: lighttpd logs the request it could
	# not pass on, then the socket is put back.
	mv "$RUNDIR/sock" "$RUNDIR/sock.away" || atf_fail "cannot move the socket"
	st=$(curl -s -o /dev/null -w '%{http_code}' \
	    "$URL/api/v1/work/modules/cpf?documento=$cpf&token=s3cr3t-value")
	mv "$RUNDIR/sock.away" "$RUNDIR/sock"
	[ "$st" = 503 ] || atf_fail "without the pool: $st"
	wait_for 50 grep -q 'all handlers for [^ ]*?(query) on ' \
	    "$RUNDIR/log/lighttpd-error.log" || atf_fail "no masked URI:" \
	    "$(tail -3 "$RUNDIR/log/lighttpd-error.log" | tr '\n' ' ')"
	! grep -e "$cpf" -e s3cr3t "$RUNDIR/log/lighttpd-error.log" ||
	    atf_fail "the query is in lighttpd's error log"
	private_stack_stop
}
logs__no_query_in_lighttpd_log_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case breaker__upstream
	atf_add_test_case breaker__database
	atf_add_test_case spacing__processes_and_machines
	atf_add_test_case spacing__bounded_by_deadline
	atf_add_test_case front__keys_and_rate
	atf_add_test_case process__hardened
	atf_add_test_case logs__no_query_in_lighttpd_log
}

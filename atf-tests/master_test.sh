#! /usr/bin/env atf-sh
# master_test -- the pool master, c2s-enrich --pool, on a private stack of
# each case's own (real PostgreSQL, spawn-fcgi, lighttpd routing /health,
# /ready and the error re-runs to the master's own socket): SIGTERM with a
# busy responder, respawn with backoff and the short pool's 503, recycling,
# the health answers while every responder is held, the listen queue, the
# scoreboard against /proc, the slowlog, growing and shrinking, the reload, overload answered
# in JSON, and what a child inherits.

. "$(atf_get_srcdir)/common.subr"

# mstack [VAR=VALUE ...]: a private stack on the master.
mstack() {
	private_stack C2S_MASTER=1 RATE_LIMIT=0 "$@"
	MASTER_PID=$C2S_POOL_PID
	[ -S "$C2S_HEALTH_SOCK" ] || wait_for 50 test -S "$C2S_HEALTH_SOCK" ||
	    atf_fail "the master's socket $C2S_HEALTH_SOCK is missing"
}

# A lead whose C2S fetch takes SIM_FAULT_LATENCY_MS (the simulator's fault
# 01 on target c2): it holds a responder that long.
held_lead() {
	echo "fa17c201$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
}

# hold N: N requests of held leads in the background (their statuses in
# ./held.N).
hold() {
	local i
	for i in $(seq 1 "$1"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
		    "$URL/api/v1/leads/process?id=$(held_lead)" >"held.$i" &
	done
}

# pool_json KEY: the master's /health "pool" figure KEY.
pool_json() {
	curl -s --max-time 5 "$URL/health" | jq -r ".pool.$1"
}

# The pool's responders in a state: busy ones are running or sleeping on
# a socket; all are children of the master.
nchildren() {
	responders | wc -l
}

atf_test_case sigterm__busy_finish cleanup
sigterm__busy_finish_head() {
	atf_set descr "SIGTERM to the master with a responder busy on a lead " \
	    "held 1.5 s: that request is answered 200, the master exits 0, " \
	    "nothing of the pool is left"
	atf_set timeout 120
}
sigterm__busy_finish_body() {
	mstack C2S_POOL=2 SIM_FAULT_LATENCY_MS=1500
	wait_for 50 pool_full || atf_fail "pool not full"
	kids=$(responders | tr '\n' ' ')
	id=$(held_lead)
	curl -s -o busy.body -w '%{http_code}' --max-time 60 \
	    "$URL/api/v1/leads/process?id=$id" >busy.status &
	client=$!
	wait_for 50 eval '[ "$(pool_json busy)" = 1 ]' ||
	    atf_fail "no responder became busy"
	kill -TERM "$MASTER_PID"
	wait "$client"
	atf_check -o inline:200 cat busy.status
	jq -e '.success == true' busy.body >/dev/null ||
	    atf_fail "the held lead failed: $(cat busy.body)"
	wait_for 100 eval "! alive $MASTER_PID" ||
	    atf_fail "the master did not exit"
	for k in $kids; do
		alive "$k" && atf_fail "responder $k left behind"
	done
	grep -q '"msg":"stopped"' "$RUNDIR/log/pool.log" ||
	    atf_fail "the master did not log its stop"
	private_stack_stop
}
sigterm__busy_finish_cleanup() { private_stack_stop; }

atf_test_case respawn__backoff_and_short_503 cleanup
respawn__backoff_and_short_503_head() {
	atf_set descr "every new responder SIGKILLed for 3 s: the master " \
	    "backs off, never gives up, logs the pool short and /ready is " \
	    "503 pool; afterwards the pool is whole and /ready 200"
	atf_set timeout 120
}
respawn__backoff_and_short_503_body() {
	mstack C2S_POOL=2 POOL_SHORT_AFTER=1s
	wait_for 50 pool_full || atf_fail "pool not full"
	expect_status 200 GET /ready
	kill_starting 3
	killer=$KILLER
	sleep 2
	expect_status 503 GET /ready
	atf_check -o inline:'not_ready pool\n' \
	    jq -r '"\(.code) \(.failing)"' body
	expect_status 200 GET /health
	wait "$killer"
	grep -q '"level":"error".*pool short: ' "$RUNDIR/log/pool.log" ||
	    atf_fail "no 'pool short' error line"
	grep '"msg":"responder [0-9]* failed' "$RUNDIR/log/pool.log" |
	    sed -n 's/.*next start in \([0-9]*\) ms.*/\1/p' >delays
	[ "$(sort -n delays | tail -1)" -ge 400 ] ||
	    atf_fail "the backoff did not grow: $(tr '\n' ' ' <delays)"
	wait_for 400 pool_full || atf_fail "the pool did not heal"
	wait_for 100 eval '[ "$(http GET /ready)" = 200 ]' ||
	    atf_fail "/ready not 200 after the pool healed: $(cat body)"
	private_stack_stop
}
respawn__backoff_and_short_503_cleanup() { private_stack_stop; }

atf_test_case recycle__not_a_crash cleanup
recycle__not_a_crash_head() {
	atf_set descr "MAX_REQUESTS=50 and 400 requests: responders recycle, " \
	    "no backoff, /ready 200 throughout"
	atf_set timeout 120
}
recycle__not_a_crash_body() {
	mstack C2S_POOL=2 MAX_REQUESTS=50
	wait_for 50 pool_full || atf_fail "pool not full"
	# One curl, one request after another.
	for i in $(seq 1 400); do
		echo "url = \"$URL/api/v1/stats\""
		echo "output = /dev/null"
	done >urls
	curl -s -K urls -w '%{http_code}\n' >codes
	[ "$(grep -c . codes)" = 400 ] || atf_fail "$(grep -c . codes) answers"
	[ "$(sort -u codes)" = 200 ] ||
	    atf_fail "not all 200: $(sort codes | uniq -c | tr '\n' ' ')"
	expect_status 200 GET /ready
	grep -c 'exiting after [0-9]* requests (recycled)' \
	    "$RUNDIR/log/pool.log" >recycled
	[ "$(cat recycled)" -ge 4 ] ||
	    atf_fail "only $(cat recycled) recycles logged"
	grep -q '"msg":"responder [0-9]* failed' "$RUNDIR/log/pool.log" &&
	    atf_fail "a recycle was taken for a failure"
	wait_for 50 pool_full || atf_fail "pool not full after recycling"
	private_stack_stop
}
recycle__not_a_crash_cleanup() { private_stack_stop; }

atf_test_case health__while_pool_held cleanup
health__while_pool_held_head() {
	atf_set descr "every responder held by a lead: 120 /health and " \
	    "/ready all answered 200 by the master, p99 within 5 ms"
	atf_set timeout 120
}
health__while_pool_held_body() {
	# Held 2.5 s: the 120 answers take 0.4 s.
	mstack C2S_POOL=2 SIM_FAULT_LATENCY_MS=2500
	wait_for 50 pool_full || atf_fail "pool not full"
	expect_status 200 GET /ready
	hold 2
	wait_for 50 eval '[ "$(pool_json busy)" = 2 ]' ||
	    atf_fail "the pool was not held"
	for i in $(seq 1 60); do
		for p in health ready; do
			curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
			    --max-time 5 "$URL/$p"
		done
	done >times
	[ "$(cut -d' ' -f1 times | sort -u)" = 200 ] ||
	    atf_fail "not all 200: $(cut -d' ' -f1 times | sort | uniq -c)"
	# p99 of 120 answers: the second slowest.  ASan's build is slower.
	limit=0.005
	ldd "$TOP/fcgi/c2s-enrich" | grep -q libasan && limit=0.050
	p99=$(cut -d' ' -f2 times | sort -n | tail -2 | head -1)
	echo "p99 $p99 s"
	awk -v p="$p99" -v l="$limit" 'BEGIN { exit !(p <= l) }' ||
	    atf_fail "p99 $p99 s over $limit s"
	[ "$(pool_json busy)" = 2 ] || atf_fail "the pool was released early"
	wait
	private_stack_stop
}
health__while_pool_held_cleanup() { private_stack_stop; }

atf_test_case scoreboard__matches_proc cleanup
scoreboard__matches_proc_head() {
	atf_set descr "/health's pool figures are the master's children as " \
	    "/proc lists them, and requests grows by exactly the requests made"
	atf_set timeout 120
}
scoreboard__matches_proc_body() {
	mstack C2S_POOL=3 SIM_FAULT_LATENCY_MS=1500
	wait_for 50 pool_full || atf_fail "pool not full"
	wait_for 50 eval '[ "$(pool_json idle)" = 3 ]' ||
	    atf_fail "not 3 idle: $(curl -s "$URL/health")"
	curl -s "$URL/health" >h1
	atf_check -o inline:"3 3 0 $(responders | wc -l)\n" \
	    jq -r '"\(.pool.alive) \(.pool.idle) \(.pool.busy) \(.pool.alive)"' h1
	[ "$(jq -r .pid h1)" = "$MASTER_PID" ] || atf_fail "pid not the master's"
	r1=$(jq -r .requests h1)
	for i in $(seq 1 25); do
		expect_status 200 GET /api/v1/stats
	done
	r2=$(curl -s "$URL/health" | jq -r .requests)
	[ $((r2 - r1)) = 25 ] || atf_fail "requests grew by $((r2 - r1)), not 25"
	hold 1
	wait_for 50 eval '[ "$(pool_json busy)" = 1 ]' ||
	    atf_fail "no responder busy"
	atf_check -o inline:'3 2 1\n' \
	    sh -c "curl -s '$URL/health' | jq -r '\"\(.pool.alive) \(.pool.idle) \(.pool.busy)\"'"
	wait
	private_stack_stop
}
scoreboard__matches_proc_cleanup() { private_stack_stop; }

atf_test_case slowlog__one_line cleanup
slowlog__one_line_head() {
	atf_set descr "SLOWLOG_AFTER=1s and a lead held 2 s: exactly one " \
	    "'slow request' line, with its route, lead, step and elapsed time"
	atf_set timeout 120
}
slowlog__one_line_body() {
	mstack C2S_POOL=2 SLOWLOG_AFTER=1s SIM_FAULT_LATENCY_MS=2000
	wait_for 50 pool_full || atf_fail "pool not full"
	id=$(held_lead)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	grep '"msg":"slow request"' "$RUNDIR/log/pool.log" >slow || true
	[ "$(wc -l <slow)" = 1 ] || atf_fail "$(wc -l <slow) slow lines"
	atf_check -o inline:"leads_process $id c2s_fetch true\n" jq -r \
	    '"\(.route) \(.lead) \(.step) \(.elapsed_ms >= 1000)"' slow
	private_stack_stop
}
slowlog__one_line_cleanup() { private_stack_stop; }

atf_test_case pool__grows_and_shrinks cleanup
pool__grows_and_shrinks_head() {
	atf_set descr "POOL_MIN=1 POOL_MAX=4 POOL_SPARE=1: one idle " \
	    "responder at rest; four held leads grow the pool to 4, and " \
	    "after POOL_IDLE_TIMEOUT it is back to 1"
	atf_set timeout 120
}
pool__grows_and_shrinks_body() {
	mstack C2S_POOL=4 POOL_MIN=1 POOL_MAX=4 POOL_SPARE=1 \
	    POOL_IDLE_TIMEOUT=1s SIM_FAULT_LATENCY_MS=2000
	# One idle responder is the spare: nothing more is started.
	sleep 1
	[ "$(nchildren)" = 1 ] || atf_fail "not 1 at rest: $(nchildren)"
	hold 4
	wait_for 100 eval '[ "$(nchildren)" = 4 ]' ||
	    atf_fail "the pool did not grow to 4: $(nchildren)"
	wait
	for i in 1 2 3 4; do
		[ "$(cat held.$i)" = 200 ] || atf_fail "held lead $i: $(cat held.$i)"
	done
	wait_for 100 eval '[ "$(nchildren)" = 1 ]' ||
	    atf_fail "the pool did not shrink to 1: $(nchildren)"
	grep -q '"msg":"responder [0-9]* failed' "$RUNDIR/log/pool.log" &&
	    atf_fail "a stopped spare was taken for a failure"
	private_stack_stop
}
pool__grows_and_shrinks_cleanup() { private_stack_stop; }

atf_test_case child__no_master_fds cleanup
child__no_master_fds_head() {
	atf_set descr "a responder holds fd 0 and the master's eventfd, not " \
	    "the master's socket, its signalfd or its PostgreSQL probe"
	atf_set timeout 120
}
child__no_master_fds_body() {
	mstack C2S_POOL=1
	wait_for 50 pool_full || atf_fail "pool not full"
	kid=$(responders)
	ls -l "/proc/$kid/fd" >fds
	grep -q 'anon_inode:\[eventfd\]' fds || atf_fail "no eventfd"
	grep -q 'anon_inode:\[signalfd\]' fds && atf_fail "the signalfd leaked"
	# The master's own: its socket and probe connection.
	grep -q 'anon_inode:\[signalfd\]' <(ls -l "/proc/$MASTER_PID/fd") ||
	    atf_fail "the master has no signalfd (wrong process?)"
	n=$(grep -c 'socket:' fds)
	[ "$n" = 1 ] || atf_fail "$n sockets in the child before any request"
	private_stack_stop
}
child__no_master_fds_cleanup() { private_stack_stop; }

# reload_stack: a pool of 2 reading ./c2s.env (CONFIG_FILE), full; its
# responders in "before".
reload_stack() {
	echo "LOG_LEVEL=info" >c2s.env
	mstack C2S_POOL=2 CONFIG_FILE="$PWD/c2s.env"
	wait_for 50 pool_full || atf_fail "pool not full"
	before=$(responders | sort | tr '\n' ' ')
}

# wrk_ok FILE: wrk's summary in FILE counts no socket error and no
# answer but 2xx, and at least 100 requests.
wrk_ok() {
	grep -q 'Socket errors' "$1" &&
	    atf_fail "socket errors: $(grep 'Socket errors' "$1")"
	grep -q 'Non-2xx' "$1" && atf_fail "$(grep 'Non-2xx' "$1")"
	n=$(awk '/requests in/ { print $1 }' "$1")
	[ "${n:-0}" -ge 100 ] || atf_fail "only ${n:-0} requests: $(cat "$1")"
}

atf_test_case reload__no_request_fails cleanup
reload__no_request_fails_head() {
	atf_set descr "three SIGHUPs under wrk load: no request fails, the " \
	    "responders are all new, and CONFIG_FILE's LOG_LEVEL=debug is " \
	    "the new ones'"
	atf_set timeout 120
}
reload__no_request_fails_body() {
	reload_stack
	wrk -t 2 -c 8 -d 4s -H "X-API-Key: $C2S_API_KEY" \
	    "$URL/api/v1/stats" >wrk.out 2>&1 &
	load=$!
	sleep 0.5
	kill -HUP "$MASTER_PID"
	sleep 1
	kill -HUP "$MASTER_PID"
	echo "LOG_LEVEL=debug" >c2s.env
	sleep 1
	kill -HUP "$MASTER_PID"
	wait "$load"
	cat wrk.out
	wrk_ok wrk.out
	wait_for 100 pool_full || atf_fail "pool not full after the reloads"
	after=$(responders | sort | tr '\n' ' ')
	for k in $before; do
		case " $after " in
		*" $k "*) atf_fail "responder $k of the first generation kept" ;;
		esac
	done
	[ "$(pool_json generation)" = 4 ] ||
	    atf_fail "generation $(pool_json generation), not 4"
	for k in $after; do
		grep -q '"level":"debug","pid":'"$k," "$RUNDIR/log/pool.log" ||
		    atf_fail "responder $k logs no debug line"
	done
	private_stack_stop
}
reload__no_request_fails_cleanup() { private_stack_stop; }

atf_test_case reload__bad_config_kept cleanup
reload__bad_config_kept_head() {
	atf_set descr "CONFIG_FILE with POOL_MAX=0 and SIGHUP: one error " \
	    "line naming POOL_MAX, the same responders, /health 200"
	atf_set timeout 120
}
reload__bad_config_kept_body() {
	reload_stack
	echo "POOL_MAX=0" >c2s.env
	kill -HUP "$MASTER_PID"
	wait_for 50 grep -q '"msg":"reload refused' "$RUNDIR/log/pool.log" ||
	    atf_fail "no refusal logged"
	grep '"msg":"reload refused' "$RUNDIR/log/pool.log" >refused
	[ "$(wc -l <refused)" = 1 ] || atf_fail "$(wc -l <refused) lines"
	grep -q 'POOL_MAX' refused || atf_fail "POOL_MAX not named: $(cat refused)"
	sleep 1
	[ "$(responders | sort | tr '\n' ' ')" = "$before" ] ||
	    atf_fail "the responders changed"
	expect_status 200 GET /health
	[ "$(jq -r .pool.generation body)" = 1 ] || atf_fail "a new generation"
	expect_status 200 GET /ready
	private_stack_stop
}
reload__bad_config_kept_cleanup() { private_stack_stop; }

atf_test_case overload__json_503 cleanup
overload__json_503_head() {
	atf_set descr "one responder held, a listen backlog of 4, and 300 " \
	    "requests at once: each answered 200, or 503 in JSON with " \
	    "Retry-After and code overloaded; never lighttpd's HTML"
	atf_set timeout 120
}
overload__json_503_body() {
	mstack C2S_POOL=1 C2S_POOL_BACKLOG=4 SIM_FAULT_LATENCY_MS=2000
	wait_for 50 pool_full || atf_fail "pool not full"
	hold 1
	wait_for 50 eval '[ "$(pool_json busy)" = 1 ]' ||
	    atf_fail "the responder was not held"
	overload_burst 300 100
	wait
	private_stack_stop
}
overload__json_503_cleanup() { private_stack_stop; }

atf_test_case health__listen_queue cleanup
health__listen_queue_head() {
	atf_set descr "/health's pool.queue is the pool socket's listen " \
	    "queue as ss -xl shows it: 0 at rest, 2 with two requests " \
	    "waiting behind the one responder held; pool.backlog is its " \
	    "bound, C2S_POOL_BACKLOG"
	atf_set require.progs "ss"
	atf_set timeout 120
}
health__listen_queue_body() {
	local i ss
	mstack C2S_POOL=1 C2S_POOL_BACKLOG=16 SIM_FAULT_LATENCY_MS=2500
	wait_for 50 pool_full || atf_fail "pool not full"
	curl -s "$URL/health" | jq -r '"\(.pool.queue) \(.pool.backlog)"' >rest
	atf_check -o inline:"0 16\n" cat rest
	hold 1
	wait_for 50 eval '[ "$(pool_json busy)" = 1 ]' ||
	    atf_fail "the responder was not held"
	for i in 1 2; do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 30 \
		    "$URL/api/v1/stats" >"waiting.$i" &
	done
	wait_for 50 eval '[ "$(pool_json queue)" = 2 ]' ||
	    atf_fail "pool.queue: $(pool_json queue), not 2"
	ss=$(ss -xlH | awk -v s="$RUNDIR/sock" '$5 == s { print $3 " " $4 }')
	atf_check -o inline:"2 16\n" echo "$ss"
	[ "$(pool_json busy)" = 1 ] || atf_fail "the pool was released early"
	wait
	atf_check -o inline:"200\n200\n200\n" cat held.1 waiting.1 waiting.2
	wait_for 50 eval '[ "$(pool_json queue)" = 0 ]' ||
	    atf_fail "pool.queue $(pool_json queue) after the answers"
	private_stack_stop
}
health__listen_queue_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case sigterm__busy_finish
	atf_add_test_case respawn__backoff_and_short_503
	atf_add_test_case recycle__not_a_crash
	atf_add_test_case health__while_pool_held
	atf_add_test_case scoreboard__matches_proc
	atf_add_test_case slowlog__one_line
	atf_add_test_case pool__grows_and_shrinks
	atf_add_test_case child__no_master_fds
	atf_add_test_case reload__no_request_fails
	atf_add_test_case reload__bad_config_kept
	atf_add_test_case overload__json_503
	atf_add_test_case health__listen_queue
}

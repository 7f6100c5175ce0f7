#! /usr/bin/env atf-sh
# entrypoint_test -- the container's entrypoint (httpd-conf/entrypoint.sh)
# run outside Docker, as the image runs it: from a tree installed by
# `make install`, against a private stack's PostgreSQL (a fresh database
# it migrates itself) and upstream simulator.  Started as root it drops to
# www-data, as it would to site.env's user.

. "$(atf_get_srcdir)/common.subr"
. "$(atf_get_srcdir)/ops.subr"

# ep_setup [VAR=VALUE ...]: a private stack (its own pool idle, no worker)
# with those settings (SIM_* reach its simulator), an empty database "ep",
# the tree installed under $INST/usr, a free port.
ep_setup() {
	private_stack C2S_WORKERS=0 C2S_POOL=1 "$@"
	psql -X -q -h "$PGHOST" -U postgres -d postgres \
	    -c 'CREATE DATABASE ep OWNER c2s' || atf_fail "cannot create ep"
	INST=$(scratch_dir)
	install_tree PREFIX="$INST/usr"
	EP_PORT=$(free_port)
	EP_URL=http://127.0.0.1:$EP_PORT
	EP_DB="host=$PGHOST dbname=ep user=c2s"
}

# ep_start [VAR=VALUE ...]: the installed entrypoint in the background with
# the upstreams at the simulator and the secrets (closed by default: no
# key, no start; the key, EP_KEY, is the private stack's, which curl
# sends; no poller unless a case says RUN_POLLER=1); its pid in EP_PID
# (and ./ep.pid), its output in ./ep.log.
# EP_WRAP, when set, is the command line it runs under (its pid is then
# EP_PID).
ep_start() {
	local as=
	[ "$(id -u)" -eq 0 ] && as="C2S_USER=www-data C2S_GROUP=www-data"
	EP_KEY=${C2S_API_KEY:-ep-key-0123456789abcdef}
	env DB_URL="$EP_DB" MIGRATE_ON_START=1 \
	    C2S_BASE_URL="$C2S_SIM_URL" DIRETRIX_BASE_URL="$C2S_SIM_URL" \
	    WORK_API_URL="$C2S_SIM_URL" C2S_TOKEN=sim-c2s-token \
	    DIRETRIX_USER=sim DIRETRIX_PASS=sim-pass WORK_API=sim-work-token \
	    WORK_API_MIN_INTERVAL=0 C2S_BIND=127.0.0.1 C2S_PORT="$EP_PORT" \
	    C2S_POOL=2 C2S_SOCK="$INST/run/sock" DEDUP_FILE="$INST/run/dedup" \
	    API_KEYS="$EP_KEY" WEBHOOK_SECRET=ep-webhook-0123456789 \
	    GOOGLE_ADS_WEBHOOK_KEY=ep-google-0123456789 RUN_POLLER=0 \
	    $as "$@" $EP_WRAP "$INST/usr/bin/c2s-enrich-entrypoint" \
	    >ep.log 2>&1 &
	EP_PID=$!
	echo "$EP_PID" >ep.pid
}

# ep_up: wait until /health and /ready answer 200 through its lighttpd.
# Returns 1 when the entrypoint died because one of its ports was taken
# meanwhile (the machine's other stacks pick ports in the same range).
ep_up() {
	local n=0
	until curl -fs -o /dev/null "$EP_URL/health" &&
	    curl -fs -o /dev/null "$EP_URL/ready"; do
		if ! alive "$EP_PID"; then
			if grep -q "can't bind to socket.*Address already in use" ep.log; then
				wait "$EP_PID"
				rm -f ep.pid
				return 1
			fi
			atf_fail "the entrypoint died: $(tail -20 ep.log | tr '\n' ' ')"
		fi
		n=$((n + 1))
		[ $n -lt 600 ] || atf_fail "not up in 60 s: $(tail -20 ep.log)"
		sleep 0.1
	done
	URL=$EP_URL
}

# ep_serve [VAR=VALUE ...]: ep_start and ep_up, again on new ports (EP_PORT,
# and EP_MPORT for C2S_METRICS_PORT when set) when one was taken
# meanwhile; three tries.
ep_serve() {
	local try
	for try in 1 2 3; do
		if [ -n "${EP_MPORT:-}" ]; then
			ep_start C2S_METRICS_PORT="$EP_MPORT" "$@"
		else
			ep_start "$@"
		fi
		ep_up && return 0
		echo "a port was taken meanwhile (try $try): $(grep "can't bind" ep.log)"
		EP_PORT=$(free_port)
		EP_URL=http://127.0.0.1:$EP_PORT
		[ -z "${EP_MPORT:-}" ] || EP_MPORT=$(free_port)
		while [ "${EP_MPORT:-}" = "$EP_PORT" ]; do EP_MPORT=$(free_port); done
	done
	atf_fail "ports taken three times in a row"
}

# ep_exit TENTHS: wait that long at most for the entrypoint to exit; its
# status in EP_STATUS, the time it took (ms) in EP_MS.
ep_exit() {
	local t0
	t0=$(date +%s%N)
	wait_for "$1" eval "! alive $EP_PID" ||
	    atf_fail "the entrypoint still runs after $(($1 / 10)) s: $(tail -20 ep.log)"
	EP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
	EP_STATUS=0
	wait "$EP_PID" || EP_STATUS=$?
	rm -f ep.pid
	ep_scan
}

# ep_scan: the entrypoint's output (its responders', worker's and
# lighttpd's too) through atf-tests/scanlogs.sh: none of its secrets, no
# CPF the private stack's simulator was asked about, no full CPF, phone
# or e-mail, no sanitizer report.
ep_scan() {
	if ! "$(atf_get_srcdir)/scanlogs.sh" ${RUNDIR:+-r "$RUNDIR"} \
	    -k "$EP_KEY" -k ep-webhook-0123456789 -k ep-google-0123456789 \
	    ep.log >ep.scan; then
		cat ep.scan >&2
		atf_fail "$(grep -c . ep.scan) findings in the logs, the first:" \
		    "$(head -1 ep.scan | cut -c1-240)"
	fi
}

# Processes whose command line names the installed tree.
from_tree() {
	local p
	for p in /proc/[0-9]*; do
		grep -qF "$INST/" "$p/cmdline" 2>/dev/null && echo "${p#/proc/}"
	done
}

# nothing_left PID...: none of the PIDs runs, nothing of the tree runs, the
# socket is gone.
nothing_left() {
	none_alive "$@" || atf_fail "left running: $(ps -o pid=,args= -p "$*")"
	[ -z "$(from_tree)" ] || atf_fail "left running: $(from_tree)"
	[ ! -e "$INST/run/sock" ] || atf_fail "the socket was left behind"
}

# not_killed: the entrypoint's stop killed nothing (no process waited
# out C2S_STOP_TIMEOUT).
not_killed() {
	if grep -E 'did not stop; killing' ep.log; then
		atf_fail "the stop had to kill"
	fi
}

ep_cleanup() {
	local pid p
	if [ -r ep.pid ]; then
		pid=$(cat ep.pid)
		kill -TERM "$pid" 2>/dev/null
		wait_for 100 eval "! alive $pid"
		kill -KILL $(descendants "$pid") "$pid" 2>/dev/null
	fi
	if [ -r scratch_dirs ]; then
		while read -r INST; do
			for p in $(from_tree); do
				kill -KILL "$p" 2>/dev/null
			done
		done <scratch_dirs
	fi
	private_stack_stop
	scratch_rm
}

atf_test_case serve__probes_pages_and_a_lead cleanup
serve__probes_pages_and_a_lead_head() {
	atf_set descr "from the installed tree, MIGRATE_ON_START=1 migrates a " \
	    "fresh database; /health, /ready, /status/ and a lead answer " \
	    "through its lighttpd; SIGTERM stops everything, status 0"
	atf_set timeout 180
}
serve__probes_pages_and_a_lead_body() {
	ep_setup
	ep_serve
	# Every migration was applied by the entrypoint.
	n=$(ls "$TOP"/sql/[0-9][0-9][0-9][0-9]-*.sql | wc -l)
	atf_check -o inline:"$n\n" psql -X -At -d "$EP_DB" \
	    -c 'SELECT count(*) FROM public.schema_migrations'
	expect_status 200 GET /health
	json '.status == "ok" and .service == "c2s-enrich"'
	expect_status 200 GET /ready
	json '.status == "ready"'
	atf_check -o inline:'200 text/html; charset=utf-8\n' \
	    curl -s -o /dev/null -w '%{http_code} %{content_type}\n' "$URL/status/"
	expect_status 404 GET /no/such/thing
	expect_json_error not_found
	# A lead, end to end, into the entrypoint's database.
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.success == true and .status == "completed" and .note == "posted"'
	atf_check -o inline:'completed\n' psql -X -At -d "$EP_DB" \
	    -c "SELECT status FROM c2s.leads WHERE lead_id = '$id'"
	# The tree it started: the pool (its master and 2 responders), a
	# worker (all c2s-enrich) and lighttpd; as www-data when started as
	# root.  (Its own `sleep` between looks at them aside.)
	procs=$(descendants "$EP_PID")
	ps -o user=,comm= -p "$(echo $procs | tr ' ' ,)" | grep -v ' sleep$' >procs
	cat procs
	atf_check -o inline:'c2s-enrich 4\nlighttpd 1\n' \
	    -x "awk '{ n[\$2]++ } END { for (c in n) print c, n[c] }' procs | sort"
	if [ "$(id -u)" -eq 0 ]; then
		atf_check -o inline:'www-data\n' -x "awk '{ print \$1 }' procs | sort -u"
	fi
	[ "$(stat -c %a "$INST/run/sock")" = 660 ] || atf_fail "socket mode"
	kill -TERM "$EP_PID"
	ep_exit 300
	[ "$EP_STATUS" = 0 ] || atf_fail "exit status $EP_STATUS: $(tail ep.log)"
	echo "stopped in $EP_MS ms"
	# Idle: nothing waited out C2S_STOP_TIMEOUT (30 s) and was killed;
	# the bound, half of it, leaves room for a slow (ASan) machine.
	not_killed
	[ "$EP_MS" -lt 15000 ] || atf_fail "an idle stop took $EP_MS ms"
	nothing_left $procs
	atf_check -o ignore grep -x 'entrypoint: stopped' ep.log
	# No credential reached the log.
	atf_check -s exit:1 grep -E 'sim-pass|sim-work-token|sim-c2s-token' ep.log
	private_stack_stop
	scratch_rm
}
serve__probes_pages_and_a_lead_cleanup() { ep_cleanup; }

atf_test_case stop__slow_request_finishes cleanup
stop__slow_request_finishes_head() {
	atf_set descr "SIGTERM with a slow lead in flight (Work API 3 s late): " \
	    "new connections are refused at once, the lead is answered in " \
	    "full, then everything stops, status 0"
	atf_set timeout 180
}
stop__slow_request_finishes_body() {
	# The Work API answers SLOW ms late: long enough for the SIGTERM and
	# the refused connection to come while the lead is in flight, even
	# on a slow (ASan) machine (they came 150 ms after the request on a
	# 2-core test machine); that order is checked, not assumed.
	slow_ms=3000
	ep_setup SIM_WORK_LATENCY_MS=$slow_ms
	ep_serve
	id=$(find_lead normal)
	procs=$(descendants "$EP_PID")
	t_start=$(date +%s%N)
	(
		curl -s -o slow.body -w '%{http_code}\n' --max-time 60 \
		    "$URL/api/v1/leads/process?id=$id" >slow.code
		date +%s%N >slow.done.tmp && mv slow.done.tmp slow.done
	) &
	slow=$!
	# In flight: the simulator has the Work API call (recorded before its
	# delay).
	wait_for 300 eval '[ "$(sim_calls work "consulta=")" -ge 1 ]' ||
	    atf_fail "the lead never reached the Work API"
	[ ! -e slow.done ] || atf_fail "answered before SIGTERM: machine too slow"
	kill -TERM "$EP_PID"
	t_term=$(date +%s%N)
	# lighttpd stops listening at once: before the lead is answered.
	wait_for 300 eval '[ "$(curl -s -o /dev/null -w %{http_code} "$URL/health")" = 000 ]' ||
	    atf_fail "new connections still accepted after SIGTERM"
	[ ! -e slow.done ] ||
	    atf_fail "new connections were refused only after the lead's answer"
	ep_exit 450
	t_exit=$(date +%s%N)
	wait "$slow"
	[ "$EP_STATUS" = 0 ] || atf_fail "exit status $EP_STATUS: $(tail ep.log)"
	atf_check -o inline:'200\n' cat slow.code
	jq -e '.success == true and .status == "completed" and .note == "posted"' \
	    slow.body >/dev/null || atf_fail "the slow lead: $(cat slow.body)"
	# The answer came after the SIGTERM and before the exit: the stop
	# waited for it; nothing waited out C2S_STOP_TIMEOUT (30 s).
	[ "$(cat slow.done)" -gt "$t_term" ] || atf_fail "answered before SIGTERM"
	[ "$(cat slow.done)" -le "$t_exit" ] || atf_fail "exited before the answer"
	ms=$(( ($(cat slow.done) - t_start) / 1000000 ))
	echo "answer ${ms} ms after the request; exit after $EP_MS ms"
	[ "$ms" -ge "$slow_ms" ] || atf_fail "the request was not slow (${ms} ms)"
	not_killed
	nothing_left $procs
	private_stack_stop
	scratch_rm
}
stop__slow_request_finishes_cleanup() { ep_cleanup; }

atf_test_case image__non_root_under_tini cleanup
image__non_root_under_tini_head() {
	atf_set descr "as the image starts it: an unprivileged user from the " \
	    "start, under tini; it serves a lead, and SIGTERM to tini stops " \
	    "everything gracefully, tini's status 0"
	atf_set require.progs "tini setpriv"
	atf_set require.user root
	atf_set timeout 180
}
image__non_root_under_tini_body() {
	ep_setup
	# The Dockerfile's `install -d -o USER`: the socket's directory is
	# the user's before the start.
	install -d -o www-data -g www-data -m 0750 "$INST/run" ||
	    atf_fail "cannot make $INST/run"
	EP_WRAP="setpriv --reuid=www-data --regid=www-data --init-groups -- tini -s --"
	ep_serve
	EP_WRAP=
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.success == true and .status == "completed"'
	# Never root: not tini, not the entrypoint, nothing under them.
	procs="$EP_PID $(descendants "$EP_PID")"
	ps -o user=,comm= -p "$(echo $procs | tr ' ' ,)" | grep -v ' sleep$' >procs
	cat procs
	atf_check -o inline:'www-data\n' -x "awk '{ print \$1 }' procs | sort -u"
	atf_check -o match:'^www-data tini$' cat procs
	atf_check -s exit:1 grep -F 'root: running as' ep.log
	kill -TERM "$EP_PID"
	ep_exit 300
	[ "$EP_STATUS" = 0 ] || atf_fail "tini's status $EP_STATUS: $(tail -5 ep.log | tr '\n' ' ')"
	atf_check -o ignore grep -x 'entrypoint: stopped' ep.log
	nothing_left $procs
	private_stack_stop
	scratch_rm
}
image__non_root_under_tini_cleanup() { ep_cleanup; }

atf_test_case child_death__stops_everything cleanup
child_death__stops_everything_head() {
	atf_set descr "when lighttpd dies, the entrypoint stops the pool and " \
	    "the worker and exits 1"
	atf_set timeout 180
}
child_death__stops_everything_body() {
	ep_setup
	ep_start MIGRATE_ON_START=0
	# MIGRATE_ON_START=0: the database stays empty, /ready is 503.
	wait_for 300 eval 'curl -fs -o /dev/null "$EP_URL/health"' ||
	    atf_fail "not up: $(tail ep.log)"
	atf_check -o inline:'503\n' curl -s -o /dev/null -w '%{http_code}\n' \
	    "$EP_URL/ready"
	procs=$(descendants "$EP_PID")
	httpd=$(for p in $procs; do
		[ "$(ps -o comm= -p "$p")" = lighttpd ] && echo "$p"; done)
	[ -n "$httpd" ] || atf_fail "no lighttpd among $procs"
	kill -KILL "$httpd"
	ep_exit 300
	[ "$EP_STATUS" = 1 ] || atf_fail "exit status $EP_STATUS, expected 1"
	atf_check -o match:"lighttpd \\(pid $httpd\\) exited" cat ep.log
	nothing_left $procs
	private_stack_stop
	scratch_rm
}
child_death__stops_everything_cleanup() { ep_cleanup; }

atf_test_case config__bad_value_exits cleanup
config__bad_value_exits_head() {
	atf_set descr "a bad setting stops the entrypoint at once, status 1, " \
	    "naming the variable, not its value, and starting nothing; " \
	    "API_KEYS unset or malformed is one"
}
config__bad_value_exits_body() {
	INST=$(scratch_dir)
	install_tree PREFIX="$INST/usr"
	EP_PORT=$(free_port)
	EP_DB="host=/nonexistent dbname=ep"
	C2S_SIM_URL=http://127.0.0.1:1
	ep_start MIGRATE_ON_START=0 MAX_REQUESTS=secret-looking-0
	ep_exit 300
	[ "$EP_STATUS" = 1 ] || atf_fail "exit status $EP_STATUS, expected 1"
	atf_check -o match:'MAX_REQUESTS' cat ep.log
	atf_check -s exit:1 grep secret-looking ep.log
	[ -z "$(from_tree)" ] || atf_fail "something was started"
	[ ! -e "$INST/run/sock" ] || atf_fail "a socket was made"
	# And a pool size out of range.
	ep_start MIGRATE_ON_START=0 C2S_POOL=0
	ep_exit 300
	[ "$EP_STATUS" = 1 ] || atf_fail "C2S_POOL=0: exit status $EP_STATUS"
	atf_check -o match:'C2S_POOL must be between 1 and' cat ep.log
	# The metrics listener on the public port.
	ep_start MIGRATE_ON_START=0 C2S_METRICS_PORT="$EP_PORT"
	ep_exit 300
	[ "$EP_STATUS" = 1 ] || atf_fail "C2S_METRICS_PORT: exit status $EP_STATUS"
	atf_check -o match:'C2S_METRICS_PORT must differ' cat ep.log
	# Closed by default: no API key, no start; one short, the same.
	for k in '' short-key; do
		ep_start MIGRATE_ON_START=0 API_KEYS=$k
		ep_exit 300
		[ "$EP_STATUS" = 1 ] || atf_fail "API_KEYS='$k': exit status $EP_STATUS"
		atf_check -o match:'config: API_KEYS: ' cat ep.log
		atf_check -s exit:1 grep short-key ep.log
		[ -z "$(from_tree)" ] || atf_fail "something was started"
	done
	scratch_rm
}
config__bad_value_exits_cleanup() { ep_cleanup; }

atf_test_case metrics_port__metrics_only cleanup
metrics_port__metrics_only_head() {
	atf_set descr "C2S_METRICS_PORT: /metrics there without the API key, " \
	    "every other route 404 and no static page; the public port still " \
	    "wants the key; the health mode (the image's HEALTHCHECK) says " \
	    "0 while up and non-zero once stopped"
	atf_set timeout 180
}
metrics_port__metrics_only_body() {
	local mp murl
	ep_setup
	EP_MPORT=$(free_port)
	while [ "$EP_MPORT" = "$EP_PORT" ]; do EP_MPORT=$(free_port); done
	ep_serve
	mp=$EP_MPORT
	EP_MPORT=
	murl=http://127.0.0.1:$mp
	atf_check -o match:"metrics on port $mp" cat ep.log
	# The metrics listener: the machine's counters, no key asked.
	atf_check -o inline:'200\n' curl -q -s -o metrics -w '%{http_code}\n' \
	    "$murl/metrics"
	atf_check -o ignore grep -E '^c2s_http_requests_total[{]' metrics
	atf_check -o inline:'200\n' curl -q -s -o /dev/null -w '%{http_code}\n' \
	    "$murl/health"
	# Nothing else there, not even with the key; no static page.
	for p in /api/v1/stats /ready /api/v1/leads/process?id=0; do
		atf_check -o inline:'404\n' curl -q -s -o body \
		    -H "X-API-Key: $EP_KEY" -w '%{http_code}\n' "$murl$p"
		expect_json_error not_found
	done
	atf_check -o inline:'403\n' curl -q -s -o /dev/null \
	    -w '%{http_code}\n' "$murl/status/"
	# A client cannot claim the listener with a header.
	atf_check -o inline:'401\n' curl -q -s -o /dev/null \
	    -H 'C2S-Listener: metrics' -w '%{http_code}\n' "$EP_URL/metrics"
	atf_check -o inline:'200\n' curl -q -s -o /dev/null \
	    -H "X-API-Key: $EP_KEY" -w '%{http_code}\n' "$EP_URL/metrics"
	atf_check -o inline:'200\n' curl -q -s -o /dev/null \
	    -H "X-API-Key: $EP_KEY" -w '%{http_code}\n' "$EP_URL/api/v1/stats"
	# The HEALTHCHECK command, with the same settings.
	atf_check env C2S_BIND=127.0.0.1 C2S_PORT="$EP_PORT" \
	    "$INST/usr/bin/c2s-enrich-entrypoint" health
	kill -TERM "$EP_PID"
	ep_exit 300
	[ "$EP_STATUS" = 0 ] || atf_fail "exit status $EP_STATUS: $(tail ep.log)"
	atf_check -s not-exit:0 -e ignore env C2S_BIND=127.0.0.1 \
	    C2S_PORT="$EP_PORT" "$INST/usr/bin/c2s-enrich-entrypoint" health
	private_stack_stop
	scratch_rm
}
metrics_port__metrics_only_cleanup() { ep_cleanup; }

atf_test_case forwarded__fly_client_ip cleanup
forwarded__fly_client_ip_head() {
	atf_set descr "on fly.io (FLY_APP_NAME set) lighttpd takes the" \
	    "client's address from the trusted proxy's Fly-Client-IP, not" \
	    "from X-Forwarded-For: the rate limit's buckets show it"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd make"
	atf_set timeout 120
}
# fly_client_req N: a request of client 10.9.0.1 by Fly-Client-IP, with
# a new X-Forwarded-For (10.8.0.N) each time; prints the status.
fly_client_req() {
	curl -q -s -o /dev/null -w '%{http_code}' -H 'Fly-Client-IP: 10.9.0.1' \
	    -H "X-Forwarded-For: 10.8.0.$1" "$EP_URL/api/v1/no-such-route"
}
forwarded__fly_client_ip_body() {
	ep_setup
	# curl from 127.0.0.1 plays fly's proxy.
	ep_serve FLY_APP_NAME=c2s-test TRUSTED_PROXIES=127.0.0.1 \
	    RATE_LIMIT=1 RATE_BURST=2
	# One client by Fly-Client-IP, a new one each time by X-Forwarded-For:
	# its bucket (2, then 1 a second) runs dry within 20 requests unless
	# each took a second; how many passed is bounded by the time they
	# took, not by a guess of it (rate_drain, rate_check).
	rate_drain 20 fly_client_req
	rate_check 10.9.0.1 2 2 1
	[ "$(grep -vc '^404$' st)" = 1 ] || atf_fail "statuses: $(tr '\n' ' ' <st)"
	atf_check -o inline:'404\n' curl -q -s -o /dev/null -w '%{http_code}\n' \
	    -H 'Fly-Client-IP: 10.9.0.2' "$EP_URL/api/v1/no-such-route"
	kill -TERM "$EP_PID"
	ep_exit 300
	[ "$EP_STATUS" = 0 ] || atf_fail "exit status $EP_STATUS: $(tail ep.log)"
	private_stack_stop
	scratch_rm
}
forwarded__fly_client_ip_cleanup() { ep_cleanup; }

atf_init_test_cases() {
	atf_add_test_case serve__probes_pages_and_a_lead
	atf_add_test_case stop__slow_request_finishes
	atf_add_test_case child_death__stops_everything
	atf_add_test_case config__bad_value_exits
	atf_add_test_case metrics_port__metrics_only
	atf_add_test_case image__non_root_under_tini
	atf_add_test_case forwarded__fly_client_ip
}

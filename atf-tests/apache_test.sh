#! /usr/bin/env atf-sh
# apache_test -- Apache httpd (Debian's apache2, mod_proxy_fcgi) in front of
# the shared stack's pool, through httpd-conf/apache-c2s-enrich.conf: a
# minimal server of the test's own (a free port, the modules it needs,
# everything in the test's directory) that includes the fragment as a site
# would, and the same answers as through lighttpd.

. "$(atf_get_srcdir)/common.subr"
. "$(atf_get_srcdir)/ops.subr"

MODULES=/usr/lib/apache2/modules

# apache_start [LINE ...]: Apache in the foreground on a free port, in
# front of a stack's pool socket (APACHE_POOL_SOCK, else $RUNDIR/sock),
# its master's socket ($C2S_HEALTH_SOCK; none: Define C2S_NO_MASTER) and
# static pages ($RUNDIR/www): the shared stack's unless the test started
# a private one first; each LINE (a Define, say) goes in before the
# fragment.  Its pid in ./apache.pid, URL set to it.  The sockets are
# www-data's: as root, Apache's children run as www-data.
apache_start() {
	local port i l conf=$PWD/apache/httpd.conf
	[ -n "${RUNDIR:-}" ] || shared_stack
	mkdir -p apache/run
	for i in 1 2 3 4 5; do
		port=$(free_port)
		{
			echo "ServerRoot $PWD/apache"
			echo "DefaultRuntimeDir $PWD/apache/run"
			echo "PidFile $PWD/apache/httpd.pid"
			echo "ErrorLog $PWD/apache/error.log"
			# As a Debian site logs (apache2.conf's format, with
			# the request line %r), before the fragment is read.
			echo 'LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"" combined'
			echo "CustomLog $PWD/apache/access.log combined"
			echo "LogLevel warn"
			echo "ServerName localhost"
			echo "Listen 127.0.0.1:$port"
			# Not the proxy modules: the fragment loads them.
			for m in mpm_event authz_core alias dir mime; do
				echo "LoadModule ${m}_module $MODULES/mod_$m.so"
			done
			echo "TypesConfig /etc/mime.types"
			if [ "$(id -u)" -eq 0 ]; then
				echo "User www-data"
				echo "Group www-data"
			fi
			[ -n "${C2S_HEALTH_SOCK:-}" ] || echo "Define C2S_NO_MASTER"
			for l in "$@"; do
				echo "$l"
			done
			echo "Include $TOP/httpd-conf/apache-c2s-enrich.conf"
		} >"$conf"
		: >apache/error.log
		C2S_SOCK=${APACHE_POOL_SOCK:-$RUNDIR/sock} C2S_WWW=$RUNDIR/www \
		    C2S_HEALTH_SOCK=${C2S_HEALTH_SOCK:-} \
		    apache2 -f "$conf" -DFOREGROUND &
		echo $! >apache.pid
		URL=http://127.0.0.1:$port
		wait_for 100 eval 'curl -s -o /dev/null "$URL/health" || ! alive $(cat apache.pid)'
		alive "$(cat apache.pid)" && return 0
		# Another process took the port in the meantime: try another.
		grep -q 'Address already in use' apache/error.log ||
		    atf_fail "apache2 did not start: $(cat apache/error.log)"
	done
	atf_fail "apache2 did not start"
}

# apache_stop [REGEX]: stop Apache; an error in its log fails the test,
# but for lines matching REGEX (the errors the test caused).
apache_stop() {
	local pid
	[ -r apache.pid ] || return 0
	pid=$(cat apache.pid)
	rm -f apache.pid
	kill -TERM "$pid" 2>/dev/null
	wait_for 100 eval "! alive $pid" ||
	    { kill -KILL $(descendants "$pid") "$pid" 2>/dev/null;
	    atf_fail "apache2 did not stop"; }
	# Nothing of Apache's may answer with a stale error after this.
	if grep -E 'AH[0-9]+: .*(error|failed)' apache/error.log 2>/dev/null |
	    grep -v 'caught SIGTERM' | grep -Ev "${1:-^\$}"; then
		atf_fail "errors in Apache's log"
	fi
}

# headers PATH: the response headers of GET PATH, lower-cased names, in
# ./headers.
headers() {
	curl -s -D - -o /dev/null --max-time 30 "$URL$1" | tr -d '\r' |
	    sed 's/^\([^:]*\):/\L\1:/' >headers
}

atf_test_case health__json cleanup
health__json_head() {
	atf_set descr "GET /health through Apache is the pool's 200 JSON"
	atf_set require.config "base_url stack_dir"
}
health__json_body() {
	apache_start
	expect_status 200 GET /health
	json '.status == "ok" and .service == "c2s-enrich" and .pid > 1'
	headers /health
	atf_check -o match:'^content-type: application/json' cat headers
	# One connection each: every request reaches a responder, none fails.
	for i in $(seq 1 20); do
		expect_status 200 GET /health
	done
	apache_stop
}
health__json_cleanup() { apache_stop; }

atf_test_case logs__no_query_secret cleanup
logs__no_query_secret_head() {
	atf_set descr "a C2S hook's ?token= secret and a proxy's documento " \
	    "reach neither Apache's access log (the site's combined " \
	    "format, as the fragment defines it) nor its error log"
	atf_set require.config "base_url stack_dir"
}
logs__no_query_secret_body() {
	local id
	apache_start
	id=$(rand_id)
	printf '{"hook_action":"on_close_lead","id":"%s","attributes":{}}' \
	    "$id" >ev
	expect_status 200 POST "/api/v1/webhooks/c2s?token=$C2S_WEBHOOK_SECRET" \
	    -H 'Content-Type: application/json' --data-binary @ev
	expect_status 401 POST "/webhook/c2s?token=wrong-$C2S_WEBHOOK_SECRET" \
	    -H 'Content-Type: application/json' --data-binary @ev
	http GET "/api/v1/work/modules/cpf?documento=52998224725&token=$C2S_WEBHOOK_SECRET" \
	    -H 'Referer: http://x/?token=r3ferer-secret' >/dev/null
	apache_stop
	# The requests are logged, by path.
	grep -q '"POST /api/v1/webhooks/c2s HTTP/1.1" 200' apache/access.log ||
	    atf_fail "no access line: $(tr "\n" " " <apache/access.log | head -c 400)"
	grep -q '"POST /webhook/c2s HTTP/1.1" 401' apache/access.log ||
	    atf_fail "no access line for the 401"
	for f in apache/access.log apache/error.log; do
		if grep -n -e "$C2S_WEBHOOK_SECRET" -e 52998224725 -e \
		    r3ferer-secret -e 'token=' "$f"; then
			atf_fail "a query reached $f"
		fi
	done
}
logs__no_query_secret_cleanup() { apache_stop; }

atf_test_case unknown_path__json_404 cleanup
unknown_path__json_404_head() {
	atf_set descr "an unknown path through Apache is the pool's JSON 404"
	atf_set require.config "base_url stack_dir"
}
unknown_path__json_404_body() {
	apache_start
	expect_status 404 GET /no/such/thing
	expect_json_error not_found
	# A wrong method: the pool's 405, not Apache's.
	expect_status 405 DELETE /health
	expect_json_error method_not_allowed
	apache_stop
}
unknown_path__json_404_cleanup() { apache_stop; }

atf_test_case lead__get cleanup
lead__get_head() {
	atf_set descr "GET /api/v1/leads/process through Apache runs the " \
	    "pipeline: 200 with success, the note posted"
	atf_set require.config "base_url stack_dir sim_url"
	atf_set timeout 120
}
lead__get_body() {
	apache_start
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.success == true and .lead_id == "'"$id"'" and .status == "completed"'
	atf_check -o inline:'1\n' -x \
	    "curl -s '$C2S_SIM_URL/__sim/notes?lead=$id' | jq '.notes | length'"
	apache_stop
}
lead__get_cleanup() { apache_stop; }

atf_test_case lead__post_empty_body cleanup
lead__post_empty_body_head() {
	atf_set descr "POST /api/v1/c2s/enrich/ID with an empty body through " \
	    "Apache: the pipeline's real status codes"
	atf_set require.config "base_url stack_dir sim_url"
	atf_set timeout 120
}
lead__post_empty_body_body() {
	apache_start
	id=$(find_lead normal)
	expect_status 200 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.success == true and .status == "completed"'
	# Again: answered from the de-duplication table.
	expect_status 200 POST "/api/v1/c2s/enrich/$id" -d ''
	json '.duplicate_request == true'
	# A lead with no CPF to find is a 404 here.
	id=$(find_lead no_cpf)
	expect_status 404 POST "/api/v1/c2s/enrich/$id" -d ''
	apache_stop
}
lead__post_empty_body_cleanup() { apache_stop; }

atf_test_case static__status_page cleanup
static__status_page_head() {
	atf_set descr "/status/ through Apache is the stack's static page " \
	    "(text/html, from its www), /status redirects there, and a " \
	    "missing static file is not sent to the pool"
	atf_set require.config "base_url stack_dir"
}
static__status_page_body() {
	apache_start
	expect_status 200 GET /status/
	headers /status/
	atf_check -o match:'^content-type: text/html' cat headers
	cmp -s body "$RUNDIR/www/status/index.html" ||
	    atf_fail "/status/ is not $RUNDIR/www/status/index.html"
	expect_status 301 GET /status
	headers /status
	atf_check -o match:"^location: $URL/status/\$" cat headers
	# Apache's own 404 for a missing page: the pool never saw it.
	expect_status 404 GET /status/no-such-file.js
	grep -q '"error"' body && atf_fail "a static miss reached the pool"
	apache_stop
}
static__status_page_cleanup() { apache_stop; }

atf_test_case static__security_headers cleanup
static__security_headers_head() {
	atf_set descr "through Apache the static pages send" \
	    "Content-Security-Policy, X-Frame-Options: DENY and nosniff," \
	    "the pool's JSON nosniff (mod_headers, loaded by the fragment)"
	atf_set require.config "base_url stack_dir"
}
static__security_headers_body() {
	local p
	apache_start
	for p in /docs/ /status/ /api-docs/openapi.yml; do
		headers "$p"
		grep -qx 'x-frame-options: DENY' headers ||
		    atf_fail "$p: no X-Frame-Options"
		grep -qx 'x-content-type-options: nosniff' headers ||
		    atf_fail "$p: no nosniff"
		grep -q "^content-security-policy: default-src '\(self\|none\)';.*frame-ancestors 'none'" \
		    headers || atf_fail "$p: CSP $(grep '^content-security' headers)"
	done
	headers /health
	grep -qx 'x-content-type-options: nosniff' headers ||
	    atf_fail "/health: no nosniff"
	grep -q '^x-frame-options' headers && atf_fail "/health: X-Frame-Options"
	apache_stop
}
static__security_headers_cleanup() { apache_stop; }

atf_test_case fragment__edge
fragment__edge_head() {
	atf_set descr "the fragment bounds slow clients (mod_reqtimeout) and" \
	    "takes the client's address from C2S_TRUSTED_PROXIES only" \
	    "(mod_remoteip)"
}
fragment__edge_body() {
	f=$TOP/httpd-conf/apache-c2s-enrich.conf
	atf_check -o inline:'RequestReadTimeout header=10-20,MinRate=500 body=20,MinRate=500\n' \
	    grep '^RequestReadTimeout ' "$f"
	atf_check -o match:'RemoteIPTrustedProxy \$\{C2S_TRUSTED_PROXIES\}' \
	    sed -n '/^<IfDefine C2S_TRUSTED_PROXIES>/,/^<\/IfDefine>/p' "$f"
}

atf_test_case fragment__no_reuse
fragment__no_reuse_head() {
	atf_set descr "the fragment proxies every path but the static pages " \
	    "to the socket with retry=0 and never enablereuse (one " \
	    "connection at a time per responder)"
}
fragment__no_reuse_body() {
	f=$TOP/httpd-conf/apache-c2s-enrich.conf
	atf_check -o inline:'"/" "unix:${C2S_SOCK}|fcgi://localhost/" retry=0 max=${C2S_POOL_CONNS} acquire=1000\n"/" "unix:${C2S_SOCK}|fcgi://localhost/" retry=0\n' \
	    sed -n 's/^[[:space:]]*ProxyPass //p' "$f"
	# The master's worker is its own: one named localhost too would
	# be the pool's (mod_proxy shares a worker by scheme and host).
	atf_check -o inline:'"^/(health|ready|__httpd_error)$" "unix:${C2S_HEALTH_SOCK}|fcgi://c2s-master/" retry=0\n' \
	    sed -n 's/^[[:space:]]*ProxyPassMatch \(.*health.*\)/\1/p' "$f"
	atf_check -s exit:1 grep -i '^[^#]*enablereuse' "$f"
}

# A lead whose C2S fetch the simulator holds SIM_FAULT_LATENCY_MS (its
# fault 01 on target c2, docs/SIMULATOR.md).
slow_lead() {
	echo "fa17c201$(rand_id | cut -c1-24)"
}

# hold_leads N: N slow leads through Apache in the background (their
# pids in HELD, their statuses in ./held.1 ... ./held.N; `wait $HELD`,
# never a bare wait: Apache is a child too); wait until the master's
# /health counts N responders busy.
hold_leads() {
	local i want=$1
	HELD=
	for i in $(seq 1 "$want"); do
		curl -s -o /dev/null -w '%{http_code}\n' --max-time 60 \
		    "$URL/api/v1/leads/process?id=$(slow_lead)" >"held.$i" &
		HELD="$HELD $!"
	done
	wait_for 50 eval '[ "$(curl -s --max-time 5 "$URL/health" |
	    jq .pool.busy)" = "$want" ]' ||
	    atf_fail "$want responders were not held"
}

atf_test_case health__own_socket cleanup
health__own_socket_head() {
	atf_set descr "through Apache, /health and /ready come from the " \
	    "pool master's own socket (its pid, its pool block) at once " \
	    "while every responder is held, and the pool's paths still " \
	    "reach the pool"
	atf_set timeout 120
}
health__own_socket_body() {
	local i
	private_stack C2S_POOL=2 SIM_FAULT_LATENCY_MS=3000 RATE_LIMIT=0
	apache_start
	wait_for 50 pool_full || atf_fail "pool not full"
	hold_leads 2
	for i in $(seq 1 10); do
		curl -s -o body -w '%{http_code} %{time_total}\n' --max-time 5 \
		    "$URL/health" >st
		read -r code t <st
		[ "$code" = 200 ] || atf_fail "/health: $code $(head -c 300 body)"
		json '.pid == '"$C2S_POOL_PID"' and .pool.busy == 2 and
		    .pool.idle == 0 and .pool.alive == 2'
		# Answered at once, not behind the 3 s leads.
		awk -v t="$t" 'BEGIN { exit !(t < 1) }' ||
		    atf_fail "/health took $t s"
		expect_status 200 GET /ready
		json '.status == "ready"'
	done
	# shellcheck disable=SC2086
	wait $HELD
	for i in 1 2; do
		atf_check -o inline:'200\n' cat "held.$i"
	done
	# The master's access lines, the pool's paths in the responders'.
	grep -q '"pid":'"$C2S_POOL_PID"',.*"route":"health"' \
	    "$RUNDIR/log/pool.log" || atf_fail "no /health line of the master"
	grep '"route":"leads_process"' "$RUNDIR/log/pool.log" |
	    grep -q '"pid":'"$C2S_POOL_PID"',' &&
	    atf_fail "the master answered a lead"
	apache_stop
	private_stack_stop
}
health__own_socket_cleanup() { apache_stop; private_stack_stop; }

atf_test_case overload__json_503 cleanup
overload__json_503_head() {
	atf_set descr "one responder held, a listen backlog of 4, the " \
	    "fragment's C2S_POOL_CONNS 2 and 150 requests at once through " \
	    "Apache: each answered 200, or 503 in JSON with Retry-After and " \
	    "code overloaded (the master's); never Apache's HTML"
	atf_set timeout 120
}
overload__json_503_body() {
	private_stack C2S_POOL=1 C2S_POOL_BACKLOG=4 SIM_FAULT_LATENCY_MS=3000 \
	    RATE_LIMIT=0
	apache_start "Define C2S_POOL_CONNS 2"
	wait_for 50 pool_full || atf_fail "pool not full"
	hold_leads 1
	overload_burst 150 100
	# shellcheck disable=SC2086
	wait $HELD
	atf_check -o inline:'200\n' cat held.1
	# One line a shed request, and no other error.
	[ "$(grep -c 'AH00941: FCGI: failed to acquire connection' \
	    apache/error.log)" = "$OVERLOADED" ] ||
	    atf_fail "not $OVERLOADED AH00941 lines in Apache's error log"
	apache_stop 'AH00941: '
	private_stack_stop
}
overload__json_503_cleanup() { apache_stop 'AH00941: '; private_stack_stop; }

atf_test_case pool_gone__json_503 cleanup
pool_gone__json_503_head() {
	atf_set descr "the pool's socket missing: mod_proxy's 503 is re-run " \
	    "to the master (REDIRECT_STATUS 503), a JSON 503 overloaded with " \
	    "Retry-After for a GET and a POST; /health still the master's"
	atf_set require.config "base_url stack_dir"
}
pool_gone__json_503_body() {
	shared_stack
	[ -n "$C2S_HEALTH_SOCK" ] || atf_skip "the shared stack has no master"
	APACHE_POOL_SOCK=$RUNDIR/no-such.sock apache_start
	expect_status 503 GET /api/v1/stats
	expect_json_error overloaded
	headers /api/v1/stats
	atf_check -o match:'^content-type: application/json' \
	    -o match:'^retry-after: 1$' cat headers
	expect_status 503 POST "/api/v1/c2s/enrich/$(rand_id)" \
	    -H 'Content-Type: application/json' -d '{}'
	expect_json_error overloaded
	expect_status 200 GET /health
	json '.pid == '"$C2S_POOL_PID"
	apache_stop 'AH02454: |AH01079: '
}
pool_gone__json_503_cleanup() { apache_stop 'AH02454: |AH01079: '; }

atf_init_test_cases() {
	atf_add_test_case fragment__no_reuse
	atf_add_test_case health__own_socket
	atf_add_test_case overload__json_503
	atf_add_test_case pool_gone__json_503
	atf_add_test_case health__json
	atf_add_test_case unknown_path__json_404
	atf_add_test_case logs__no_query_secret
	atf_add_test_case lead__get
	atf_add_test_case lead__post_empty_body
	atf_add_test_case static__status_page
	atf_add_test_case static__security_headers
	atf_add_test_case fragment__edge
}

#! /usr/bin/env atf-sh
# edge_test -- the edge holds (DESIGN.md 11.2): lighttpd in front of the
# pool bounds slow clients, takes the client's address from trusted
# proxies only (mod_extforward), webhooks have a rate bucket of their own,
# the static pages send their security headers, and the run directory's
# env files are the user's alone.  Private stacks, and the shared one for
# what only reads.

. "$(atf_get_srcdir)/common.subr"
. "$(atf_get_srcdir)/ops.subr"

# halfopen N SECONDS: N connections from 127.0.0.1 to the stack, each
# sending one header line and nothing more; how many of them lighttpd
# has closed once all are, or SECONDS later at most.  Prints "open N"
# once all are connected (to ./halfopen.out), then "closed K" at the end
# and the seconds it took.
halfopen() {
	python3 - "$C2S_PORT" "$1" "$2" >halfopen.out 2>&1 <<'EOF' &
import resource, socket, sys, time
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard != resource.RLIM_INFINITY and hard < n + 64:
    print("ulimit", hard, flush=True)
    sys.exit(2)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
print("open", len(socks), flush=True)
start = time.time()
end = start + secs
left = socks
for s in socks:
    s.setblocking(False)
while True:
    time.sleep(0.2)
    still = []
    for s in left:
        try:
            while s.recv(4096) != b"":
                pass
        except BlockingIOError:
            still.append(s)
        except OSError:
            pass
    left = still
    if not left or time.time() >= end:
        break
print("closed", n - len(left), flush=True)
print("after %.1f s" % (time.time() - start), flush=True)
EOF
	HALFOPEN_PID=$!
}

atf_test_case slow__halfopen_one_address cleanup
slow__halfopen_one_address_head() {
	atf_set descr "2048 half-open connections from 127.0.0.1 (one" \
	    "header line each) leave /health answering 127.0.0.2 in under" \
	    "a second; lighttpd closes them once they idle 10 s"
	atf_set require.progs "python3 curl spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
slow__halfopen_one_address_body() {
	local i t st
	private_stack C2S_WORKERS=0
	halfopen 2048 14
	wait_for 300 grep -q '^open 2048$' halfopen.out ||
	    atf_fail "the connections were not made: $(cat halfopen.out)"
	for i in 1 2 3 4 5; do
		st=$(curl -q -s -o /dev/null --interface 127.0.0.2 --max-time 5 \
		    -w '%{http_code} %{time_total}' "$URL/health")
		echo "/health from 127.0.0.2: $st"
		t=${st#* }
		[ "${st%% *}" = 200 ] || atf_fail "/health: $st"
		awk -v t="$t" 'BEGIN { exit !(t < 1.0) }' ||
		    atf_fail "/health took $t s"
	done
	# Silent for 14 s at most: every one of them is gone (max-read-idle
	# 10 s), however slowly the header would have come.
	wait "$HALFOPEN_PID"
	cat halfopen.out
	grep -q '^closed 2048$' halfopen.out ||
	    atf_fail "half-open connections still held: $(tail -1 halfopen.out)"
	st=$(curl -q -s -o /dev/null -w '%{http_code}' "$URL/health")
	[ "$st" = 200 ] || atf_fail "/health afterwards: $st"
	private_stack_stop
}
slow__halfopen_one_address_cleanup() {
	[ -n "${HALFOPEN_PID:-}" ] && kill "$HALFOPEN_PID" 2>/dev/null
	private_stack_stop
}

# front_start: a second lighttpd (fly's proxy, a load balancer) on a free
# port of 127.0.0.1, proxying everything to the stack with mod_proxy,
# which appends the client's address to X-Forwarded-For.  FRONT is its
# URL.
front_start() {
	local port i
	for i in 1 2 3 4 5; do
		port=$(free_port)
		cat >front.conf <<EOF
server.modules = ( "mod_proxy" )
server.document-root = "$PWD"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$PWD/front-error.log"
proxy.server = ( "" => (( "host" => "127.0.0.1", "port" => $C2S_PORT )) )
EOF
		lighttpd -D -f front.conf >>front-error.log 2>&1 &
		echo $! >front.pid
		FRONT=http://127.0.0.1:$port
		wait_for 50 curl -q -s -o /dev/null "$FRONT/health" &&
		    return 0
		kill "$(cat front.pid)" 2>/dev/null
	done
	atf_fail "the front lighttpd did not start: $(cat front-error.log)"
}

front_stop() {
	[ -r front.pid ] || return 0
	kill "$(cat front.pid)" 2>/dev/null
	rm -f front.pid
}

# nowhere BASE FROM [curl args]: a request for a path of no route (404,
# or 429 once the caller's bucket is empty) to BASE from address FROM;
# its status printed.  The forwarded cases' buckets: RATE_LIMIT=1 and
# RATE_BURST=10, neither the default, and ten seconds to refill, so that a
# bucket drawn from by another client could not pass for a fresh one.
nowhere() {
	local base=$1 from=$2
	shift 2
	curl -q -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    --interface "$from" "$@" "$base/api/v1/no-such-route"
}

# forged_via_front N: 127.0.0.5 through the front proxy, pretending to
# be others in both spellings of the header.
forged_via_front() {
	nowhere "$FRONT" 127.0.0.5 -H "X_Forwarded_For: 1.2.3.$1" \
	    -H "X-Forwarded-For: 9.9.9.$1"
}

via_front_6() { nowhere "$FRONT" 127.0.0.6; }

api_direct() { nowhere "$URL" 127.0.0.1; }

forged_direct() {
	nowhere "$URL" 127.0.0.9 -H "X-Forwarded-For: 10.7.0.$1"
}

atf_test_case forwarded__trusted_proxy_cidr cleanup
forwarded__trusted_proxy_cidr_head() {
	atf_set descr "through a trusted proxy (TRUSTED_PROXIES a CIDR" \
	    "range) each client has its own bucket, and its own" \
	    "X-Forwarded-For or X_Forwarded_For counts for nothing; from" \
	    "anyone else X-Forwarded-For is not believed"
	atf_set require.progs "curl spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
forwarded__trusted_proxy_cidr_body() {
	# The front proxy connects from 127.0.0.1, inside 127.0.0.0/31.
	private_stack C2S_WORKERS=0 RATE_LIMIT=1 RATE_BURST=10 \
	    TRUSTED_PROXIES=127.0.0.0/31,::1
	front_start
	# A client of the proxy (127.0.0.5) pretending to be others: one
	# bucket, the burst and what refilled, then 429.
	rate_drain 100 forged_via_front
	rate_check "127.0.0.5 through the proxy, forged headers" 10 10 1
	# Another client of the proxy: a full bucket of its own (the
	# proxy's own, just emptied, would not pass ten).
	rate_drain 100 via_front_6
	rate_check "127.0.0.6 through the proxy" 10 10 1
	# The responders' access lines name the clients, not the proxy.
	wait_for 50 grep -q '"client":"127\.0\.0\.5"' "$RUNDIR/log/pool.log" ||
	    atf_fail "the access lines do not name 127.0.0.5"
	! grep -qE '"client":"(1\.2\.3|9\.9\.9)\.' "$RUNDIR/log/pool.log" ||
	    atf_fail "a forged address reached the access lines"
	# Straight to the stack from an address that is not a proxy: the
	# header is the client's own, and believed by nobody.
	rate_drain 100 forged_direct
	rate_check "127.0.0.9 direct, forged X-Forwarded-For" 10 10 1
	front_stop
	private_stack_stop
}
forwarded__trusted_proxy_cidr_cleanup() {
	front_stop
	private_stack_stop
}

atf_test_case forwarded__fly_client_ip cleanup
forwarded__fly_client_ip_head() {
	atf_set descr "with C2S_FORWARDED_HEADER=Fly-Client-IP (fly.io) the" \
	    "trusted proxy's Fly-Client-IP names the client and its" \
	    "X-Forwarded-For does not"
	atf_set require.progs "curl spawn-fcgi multiwatch lighttpd"
	atf_set timeout 180
}
# fly_client N: curl from 127.0.0.1 (fly's proxy) naming client FLY_IP.
fly_client() { nowhere "$URL" 127.0.0.1 -H "Fly-Client-IP: $FLY_IP"; }

# fly_xff N: the proxy's own requests with an X-Forwarded-For.
fly_xff() { nowhere "$URL" 127.0.0.1 -H "X-Forwarded-For: 10.8.0.$1"; }

forwarded__fly_client_ip_body() {
	# curl from 127.0.0.1 plays fly's proxy.
	private_stack C2S_WORKERS=0 RATE_LIMIT=1 RATE_BURST=10 \
	    TRUSTED_PROXIES=127.0.0.1 C2S_FORWARDED_HEADER=Fly-Client-IP
	FLY_IP=10.9.0.1
	rate_drain 100 fly_client
	rate_check "Fly-Client-IP 10.9.0.1" 10 10 1
	# Another client: a full bucket of its own.
	FLY_IP=10.9.0.2
	rate_drain 100 fly_client
	rate_check "Fly-Client-IP 10.9.0.2" 10 10 1
	wait_for 50 grep -q '"client":"10\.9\.0\.2"' "$RUNDIR/log/pool.log" ||
	    atf_fail "the access lines do not name 10.9.0.2"
	# X-Forwarded-For is not the header here: all of these are the
	# proxy's own requests, one bucket.
	rate_drain 100 fly_xff
	rate_check "X-Forwarded-For under Fly-Client-IP" 10 10 1
	private_stack_stop
}
forwarded__fly_client_ip_cleanup() { private_stack_stop; }

atf_test_case forwarded__garbage_refused
forwarded__garbage_refused_head() {
	atf_set descr "a TRUSTED_PROXIES that is not addresses or CIDR" \
	    "ranges stops the responder (-n) and lighttpd at start"
	atf_set require.progs "lighttpd"
}
forwarded__garbage_refused_body() {
	local v
	for v in proxy.example.com 10.0.0.0/33 '10.0.0.1;10.0.0.2' '::1/129'; do
		env -i PATH="$PATH" API_KEYS=k TRUSTED_PROXIES="$v" \
		    "$TOP/fcgi/c2s-enrich" -n >out 2>err &&
		    atf_fail "the responder accepts TRUSTED_PROXIES=$v"
		grep -q TRUSTED_PROXIES err ||
		    atf_fail "not named: $(cat err)"
		grep -qF "$v" err && atf_fail "the value is echoed: $(cat err)"
	done
	for v in '10.0.0.1" => "trust", "0.0.0.0/0' 'a*b'; do
		C2S_HTTPD_TRUSTED_PROXIES=$v \
		    sh "$TOP/httpd-conf/lighttpd-extforward.sh" >out 2>err &&
		    atf_fail "lighttpd-extforward.sh accepts $v"
		grep -q C2S_HTTPD_TRUSTED_PROXIES err || atf_fail "$(cat err)"
	done
	C2S_HTTPD_TRUSTED_PROXIES='10.0.0.0/8, fdaa::/16' \
	    sh "$TOP/httpd-conf/lighttpd-extforward.sh" >out ||
	    atf_fail "lighttpd-extforward.sh refuses a good list"
	atf_check -o match:'"10\.0\.0\.0/8" => "trust", "fdaa::/16" => "trust"' \
	    cat out
}

atf_test_case webhooks__own_bucket cleanup
webhooks__own_bucket_head() {
	atf_set descr "with RATE_LIMIT=1, a C2S burst of 150 events from one" \
	    "address is not throttled (WEBHOOK_RATE_LIMIT's own bucket)" \
	    "while the API's routes get 429"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 300
}
webhooks__own_bucket_body() {
	local i
	private_stack C2S_WORKERS=0 RATE_LIMIT=1 RATE_BURST=2 \
	    WEBHOOK_RATE_LIMIT=100 WEBHOOK_RATE_BURST=200
	# The API's bucket of 127.0.0.1, emptied.
	rate_drain 100 api_direct
	rate_check "the API" 2 2 1
	mkdir ev
	# C2S's events as webhook_test sends them, each of its own lead.
	for i in $(seq 150); do
		printf '{"hook_action":"on_create_lead","data":{"type":"lead",' \
		    >"ev/$i"
		printf '"id":"%s","attributes":{"updated_at":' "$(rand_id ed9e)" \
		    >>"ev/$i"
		printf '"2026-12-01T10:00:00Z","customer":{"name":null,' >>"ev/$i"
		printf '"phone":null,"email":null},"lead_status":' >>"ev/$i"
		printf '{"alias":"novo"}}}}' >>"ev/$i"
	done
	seq 150 | xargs -P 8 -I{} curl -q -s -o /dev/null \
	    -w '%{http_code}\n' --max-time 30 -X POST \
	    -H 'Content-Type: application/json' \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
	    --data-binary @ev/{} "$URL/api/v1/webhooks/c2s" >hooks
	sort hooks | uniq -c
	[ "$(wc -l <hooks)" = 150 ] || atf_fail "$(wc -l <hooks) answers"
	! grep -qx 429 hooks || atf_fail "webhooks throttled by RATE_LIMIT"
	[ "$(grep -c '^2' hooks)" = 150 ] || atf_fail "not all accepted"
	# The API still has its own small bucket: however long the burst
	# took, at most RATE_BURST=2 (and what refilled during this run)
	# pass before a 429.
	rate_drain 100 api_direct
	rate_check "the API after the burst" 0 2 1
	private_stack_stop
}
webhooks__own_bucket_cleanup() { private_stack_stop; }

# headers PATH: GET PATH's response headers, names lower-cased, in
# ./headers.
headers() {
	curl -s -D - -o /dev/null --max-time 30 "$URL$1" | tr -d '\r' |
	    sed 's/^\([^:]*\):/\L\1:/' >headers
}

atf_test_case static__security_headers
static__security_headers_head() {
	atf_set descr "/docs, /status and /api-docs send a strict" \
	    "Content-Security-Policy, X-Frame-Options: DENY and nosniff;" \
	    "the JSON answers nosniff"
	atf_set require.config "base_url stack_dir"
	atf_set require.progs "curl"
}
static__security_headers_body() {
	local p
	shared_stack
	for p in /docs/ /docs/docs.js /status/ /status/status.css \
	    /api-docs/openapi.yml; do
		headers "$p"
		grep -q '^HTTP/1.1 200' headers || atf_fail "$p: $(head -1 headers)"
		grep -qx 'x-frame-options: DENY' headers ||
		    atf_fail "$p: no X-Frame-Options"
		grep -qx 'x-content-type-options: nosniff' headers ||
		    atf_fail "$p: no nosniff"
		grep -q "^content-security-policy: default-src '\(self\|none\)';.*frame-ancestors 'none'" \
		    headers || atf_fail "$p: CSP $(grep -i '^content-security' headers)"
		grep "^content-security-policy:" headers |
		    grep -q "script-src[^;]*unsafe" &&
		    atf_fail "$p: inline scripts allowed"
	done
	headers /status/
	grep -q "^content-security-policy:.*unsafe-inline" headers &&
	    atf_fail "/status allows inline styles"
	for p in /health /api/v1/no-such-route; do
		headers "$p"
		grep -qx 'x-content-type-options: nosniff' headers ||
		    atf_fail "$p: no nosniff"
		[ "$(grep -c '^x-content-type-options:' headers)" = 1 ] ||
		    atf_fail "$p: nosniff twice"
		grep -q '^x-frame-options' headers &&
		    atf_fail "$p: a static page's header on JSON"
	done
	return 0
}

atf_test_case rundir__env_files_private
rundir__env_files_private_head() {
	atf_set descr "the run directory's env and responder.env (keys," \
	    "tokens) are mode 0600"
	atf_set require.config "base_url stack_dir"
}
rundir__env_files_private_body() {
	local f
	shared_stack
	for f in env responder.env; do
		[ "$(stat -c %a "$RUNDIR/$f")" = 600 ] ||
		    atf_fail "$f: mode $(stat -c %a "$RUNDIR/$f")"
	done
}

atf_init_test_cases() {
	atf_add_test_case slow__halfopen_one_address
	atf_add_test_case forwarded__trusted_proxy_cidr
	atf_add_test_case forwarded__fly_client_ip
	atf_add_test_case forwarded__garbage_refused
	atf_add_test_case webhooks__own_bucket
	atf_add_test_case static__security_headers
	atf_add_test_case rundir__env_files_private
}

#! /usr/bin/env atf-sh
# badinput_test -- bad input on every route, on the shared stack: invalid
# lead ids, overlong and malformed query strings and headers (lighttpd's
# limits and the application's), NUL bytes and invalid UTF-8, deep and
# huge JSON bodies, wrong content types and methods.  Each request must be
# refused with the right 4xx (501 for a method lighttpd does not know) and
# a JSON error body {"error", "code"} as application/json, and nothing may
# be written: the rows of c2s.leads, c2s.webhook_events, c2s.google_leads,
# c2s.persons and c2s.jobs, and the calls the simulator received, are the
# same after each case as before it.  The route-specific checks of
# customer_test, work_test and webhook_test are not repeated here.

. "$(atf_get_srcdir)/common.subr"

ID=0123456789abcdef0123456789abcdef

# What a request could write, and what it could cost upstream.
counts() {
	printf '%s sim %s\n' "$(sql "SELECT (SELECT count(*) FROM c2s.leads)
	    || ' ' || (SELECT count(*) FROM c2s.webhook_events) || ' ' ||
	    (SELECT count(*) FROM c2s.google_leads) || ' ' ||
	    (SELECT count(*) FROM c2s.persons) || ' ' ||
	    (SELECT count(*) FROM c2s.jobs)")" \
	    "$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)"
}

jobs_idle() {
	[ "$(sql "SELECT count(*) FROM c2s.jobs WHERE state = 'running' OR
	    (state = 'queued' AND run_after <= now())")" = 0 ]
}

# The shared stack, once what earlier programs left to its worker is
# done and nothing moves for a second; the counts in BEFORE.
setup() {
	local a n=0
	shared_stack
	export PGHOST PGUSER PGDATABASE
	wait_for 600 jobs_idle || atf_fail "the worker is still busy"
	BEFORE=$(counts)
	while sleep 1; a=$(counts); [ "$a" != "$BEFORE" ]; do
		BEFORE=$a
		n=$((n + 1))
		[ $n -lt 30 ] || atf_fail "the shared stack never settles"
	done
}

nothing_written() {
	local now
	now=$(counts)
	[ "$now" = "$BEFORE" ] ||
	    atf_fail "bad input wrote or cost something: '$BEFORE' -> '$now'" \
	    "(leads, webhook events, Google forms, persons, jobs, sim calls)"
}

# bad STATUS CODE METHOD PATH [curl args]: refused with STATUS and the
# JSON error CODE, as application/json.
bad() {
	local st=$1 code=$2
	shift 2
	expect_status "$st" "$@" -D headers
	expect_json_error "$code"
	grep -qi '^content-type: application/json' headers ||
	    atf_fail "$1 $2: not application/json: $(grep -i '^content-type' headers)"
}

# bad_nokey STATUS CODE PATH [curl args]: the same for a GET sent
# without the stack's API key (curl -q skips ~/.curlrc).
bad_nokey() {
	local st=$1 code=$2 p=$3 got
	shift 3
	got=$(curl -q -s -o body -D headers -w '%{http_code}' --max-time 30 \
	    "$@" "$URL$p")
	[ "$got" = "$st" ] ||
	    atf_fail "GET $p: status $got, expected $st: $(head -c 300 body)"
	expect_json_error "$code"
}

# a string of N times character C
rep() {
	head -c "$1" /dev/zero | tr '\0' "$2"
}

atf_test_case ids__invalid
ids__invalid_head() {
	atf_set descr "invalid lead ids (length, non-hex, encoded slashes," \
	    "dots, NUL, control characters) on both triggers: 400 (404 for" \
	    "a path that is not the route's), nothing recorded or called"
}
ids__invalid_body() {
	local st code id
	setup
	while read -r st code id; do
		bad "$st" "$code" GET "/api/v1/leads/process?id=$id"
		bad "$st" "$code" POST "/api/v1/c2s/enrich/$id" -d ''
	done <<EOF
400 bad_request 0123456789abcdef0123456789abcde
400 bad_request ${ID}0
400 bad_request $ID$ID
400 bad_request 0123456789abcdef0123456789abcdeg
400 bad_request 0123456789ABCDEF0123456789ABCDEZ
400 bad_request 0123456789abcdef%2F123456789abcde
400 bad_request 0123456789abcdef%2f0123456789abcdef
400 bad_request 0123456789abcdef%5C123456789abcde
400 bad_request %2e%2e
400 bad_request ..%2F..%2F..%2Fetc%2Fpasswd
400 bad_request 0123456789abcdef%20123456789abcde
400 bad_request 0123456789abcdef+123456789abcdef
400 bad_request %C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9
400 bad_request 0123456789abcdef0123456789abcde%00
400 bad_request 0123456789abcdef0123456789abcde%0a
400 bad_request 0123456789abcdef0123456789abcd%0d%0a
400 bad_request 0123456789abcdef0123456789abcde%ff
400 bad_request %30123456789abcdef0123456789abcde%zz
EOF
	# Only the query's parameter: missing, empty, another name.
	bad 400 bad_request GET /api/v1/leads/process
	bad 400 bad_request GET "/api/v1/leads/process?id="
	bad 400 bad_request GET "/api/v1/leads/process?ID=$ID"
	bad 400 bad_request GET "/api/v1/leads/process?id=%"
	bad 400 bad_request GET "/api/v1/leads/process?id=%4"
	# Only the path: a segment too many, none, dot segments.
	bad 404 not_found POST "/api/v1/c2s/enrich/" -d ''
	bad 404 not_found POST "/api/v1/c2s/enrich/$ID/x" -d ''
	bad 404 not_found POST "/api/v1/c2s/enrich/0123456789abcdef/0123456789abcde" -d ''
	bad 400 bad_request POST "/api/v1/c2s/enrich/.." -d '' --path-as-is
	bad 404 not_found POST "/api/v1/c2s/enrich/../enrich/x/$ID" -d '' \
	    --path-as-is
	# A raw control byte and a raw non-UTF-8 byte, as sent.
	bad 400 bad_request GET / --request-target \
	    "$(printf '/api/v1/leads/process?id=0123456789abcdef0123456789abcde\001')"
	bad 400 bad_request POST / -d '' --request-target \
	    "$(printf '/api/v1/c2s/enrich/0123456789abcdef0123456789abcde\377')"
	nothing_written
}

atf_test_case query__overlong_and_malformed
query__overlong_and_malformed_head() {
	atf_set descr "on every route: a query over the application's 4 KiB" \
	    "and over lighttpd's 16 KiB, a path over 1 KiB, encoded NUL," \
	    "invalid UTF-8, raw control bytes; on the routes that read" \
	    "their query, bad escapes: 400 or 431, JSON, nothing written"
}
query__overlong_and_malformed_body() {
	local r q code
	setup
	for r in "GET /api/v1/leads/process" "POST /api/v1/c2s/enrich/$ID" \
	    "POST /api/v1/webhooks/c2s" "POST /api/v1/webhooks/google-ads" \
	    "GET /api/v1/contributor/customer" "POST /api/v1/enrich" \
	    "GET /api/v1/customers/00000000-0000-0000-0000-000000000000" \
	    "GET /api/v1/work/modules/cpf" "GET /api/v1/stats" \
	    "GET /metrics"; do
		set -- $r
		[ "$1" = POST ] && set -- "$@" -d ''
		# The application's cap on a query.
		bad 400 bad_request "$1" "$2?q=$(rep 5000 a)" "${@:3}"
		# lighttpd's cap on the request line.
		bad 431 bad_request "$1" "$2?q=$(rep 20000 a)" "${@:3}"
		bad 400 bad_request "$1" "$2?q=a%00b" "${@:3}"
		bad 400 bad_request "$1" "$2?q=%ff%fe" "${@:3}"
		bad 400 bad_request "$1" "$2?q=%c0%af" "${@:3}"
		bad 400 bad_request "$1" / "${@:3}" --request-target \
		    "$(printf '%s?q=a\001b' "$2")"
		bad 400 bad_request "$1" / "${@:3}" --request-target \
		    "$(printf '%s?q=\377' "$2")"
	done
	# The application's cap on a path.
	bad 400 bad_request GET "/api/v1/customers/$(rep 2000 a)"
	bad 400 bad_request POST "/api/v1/c2s/enrich/$(rep 2000 a)" -d ''
	# Bad escapes, where the query is read (the Work API proxy calls any
	# documento it cannot read an invalid one).
	while read -r code q; do
		bad 400 "$code" GET "$q"
	done <<'EOF'
bad_request /api/v1/leads/process?id=%zz
bad_request /api/v1/contributor/customer?cpf=%zz
bad_request /api/v1/contributor/customer?cpf=529%2
invalid_documento /api/v1/work/modules/cpf?documento=%g0
invalid_documento /api/v1/work/modules/all?documento=%
EOF
	nothing_written
}

atf_test_case headers__overlong_and_malformed
headers__overlong_and_malformed_head() {
	atf_set descr "a header over lighttpd's 16 KiB, headers over it in" \
	    "all, control bytes in a header: 431 or 400 on every route;" \
	    "long values under the cap (request id, API key, content type)" \
	    "are handled by the application"
}
headers__overlong_and_malformed_body() {
	local r i
	setup
	for i in $(seq 20); do
		echo "X-Filler-$i: $(rep 1000 f)"
	done >many
	for r in "GET /health" "GET /api/v1/leads/process?id=$ID" \
	    "POST /api/v1/c2s/enrich/$ID" "POST /api/v1/webhooks/c2s" \
	    "POST /api/v1/webhooks/google-ads" \
	    "GET /api/v1/contributor/customer?cpf=52998224725" \
	    "POST /api/v1/enrich" \
	    "GET /api/v1/customers/00000000-0000-0000-0000-000000000000" \
	    "GET /api/v1/work/modules/cpf?documento=52998224725" \
	    "GET /api/v1/stats" "GET /metrics"; do
		set -- $r
		[ "$1" = POST ] && set -- "$@" -d ''
		bad 431 bad_request "$@" -H "X-Big: $(rep 20000 b)"
		bad 431 bad_request "$@" -H @many
		bad 400 bad_request "$@" -H "$(printf 'X-Ctl: a\001b')"
		bad 400 bad_request "$@" -H "$(printf 'X-Del: a\177b')"
	done
	# Under lighttpd's cap: the application's own handling.  A request
	# id it will not echo (too long) is replaced by one of its own.
	expect_status 200 GET /health -D headers \
	    -H "X-Request-Id: $(rep 10000 r)"
	grep -qi '^x-request-id: [0-9a-f]*-[0-9a-f]*' headers ||
	    atf_fail "the request id: $(grep -i '^x-request-id' headers)"
	bad_nokey 401 unauthorized /api/v1/stats -H "X-API-Key: $(rep 10000 k)"
	bad_nokey 401 unauthorized /api/v1/stats \
	    -H "Authorization: Bearer $(rep 10000 k)"
	bad_nokey 401 unauthorized /api/v1/stats \
	    -H "$(printf 'X-API-Key: %s\377' "$C2S_API_KEY")"
	bad 415 unsupported_media_type POST /api/v1/enrich \
	    -H "Content-Type: application/$(rep 10000 j)" -d '{"cpf":"52998224725"}'
	bad 415 unsupported_media_type POST /api/v1/webhooks/c2s \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
	    -H "Content-Type: application/$(rep 10000 j)" -d '{"id":"x"}'
	nothing_written
}

atf_test_case bodies__json
bodies__json_head() {
	atf_set descr "JSON bodies: 10 000 nested arrays and objects, raw NUL" \
	    "bytes, escaped NUL, invalid UTF-8, overflowing numbers, cut" \
	    "short, empty, on every JSON route: 400; over MAX_BODY_SIZE and" \
	    "over lighttpd's 2 MiB on every POST route: 413; a body on a" \
	    "GET: 400"
}
bodies__json_body() {
	local r st code f url
	setup
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "["
	    for (i = 0; i < 10000; i++) printf "]" }' >deep-arrays.json
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "{\"a\":"
	    printf "1"; for (i = 0; i < 10000; i++) printf "}" }' \
	    >deep-objects.json
	printf '{"id":"%s","lead_id":"g-1","cpf":"529\000822"}' "$ID" >raw-nul.json
	printf '{"id":"%s","lead_id":"g-1","cpf":"5\\u0000"}' "$ID" >esc-nul.json
	printf '{"id":"%s","lead_id":"g-1","name":"\303\050"}' "$ID" >bad-utf8.json
	printf '{"id":"%s","lead_id":"g-1","cpf":1e999999}' "$ID" >overflow.json
	printf '{"id":"%s","lead_id":"g-1",' "$ID" >cut.json
	printf '{"cpf":"52998224725"}' >ok.json
	: >empty.json
	# Over MAX_BODY_SIZE (1 MiB), and over lighttpd's 2 MiB.
	{ printf '{"id":"%s","x":"' "$ID"; rep 1200000 x; printf '"}'; } >big1.json
	{ printf '{"id":"%s","x":"' "$ID"; rep 2200000 x; printf '"}'; } >big2.json
	for r in "webhooks/c2s bad_request" "webhooks/google-ads bad_request" \
	    "enrich invalid_json"; do
		set -- $r
		url="/api/v1/$1"
		[ "$1" = webhooks/google-ads ] && url="$url?google_key=$C2S_GOOGLE_KEY"
		for f in deep-arrays deep-objects raw-nul esc-nul bad-utf8 \
		    overflow cut empty; do
			bad 400 "$2" POST "$url" -H 'Content-Type: application/json' \
			    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
			    --data-binary "@$f.json"
		done
	done
	# Too large, on every POST route, as a length and as chunks.
	for url in "/api/v1/c2s/enrich/$ID" /api/v1/webhooks/c2s \
	    "/api/v1/webhooks/google-ads?google_key=$C2S_GOOGLE_KEY" \
	    /api/v1/enrich; do
		for f in big1 big2; do
			bad 413 too_large POST "$url" --data-binary "@$f.json" \
			    -H 'Content-Type: application/json' \
			    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET"
			bad 413 too_large POST "$url" --data-binary "@$f.json" \
			    -H 'Transfer-Encoding: chunked' \
			    -H 'Content-Type: application/json' \
			    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET"
		done
	done
	# lighttpd takes no body on a GET.
	for url in "/api/v1/leads/process?id=$ID" \
	    "/api/v1/contributor/customer?cpf=52998224725" \
	    "/api/v1/customers/00000000-0000-0000-0000-000000000000" \
	    "/api/v1/work/modules/cpf?documento=52998224725" \
	    /api/v1/stats /metrics; do
		bad 400 bad_request GET "$url" --data-binary @ok.json \
		    -H 'Content-Type: application/json'
	done
	# A POST without a length.
	bad 411 bad_request POST /api/v1/enrich -H 'Content-Type: application/json'
	nothing_written
}

atf_test_case content_types__wrong
content_types__wrong_head() {
	atf_set descr "every JSON route refuses a body that is not" \
	    "application/json (none, text, form, multipart, XML, look-alikes)" \
	    "with 415, whatever the body holds"
}
content_types__wrong_body() {
	local route ct
	setup
	printf '{"id":"%s","lead_id":"g-2","cpf":"52998224725"}' "$ID" >ok.json
	for route in /api/v1/webhooks/c2s \
	    "/api/v1/webhooks/google-ads?google_key=$C2S_GOOGLE_KEY" \
	    /api/v1/enrich; do
		for ct in 'Content-Type:' 'Content-Type: text/plain' \
		    'Content-Type: text/json' \
		    'Content-Type: application/x-www-form-urlencoded' \
		    'Content-Type: application/xml' \
		    'Content-Type: application/jsonx' \
		    'Content-Type: application/json-seq' \
		    'Content-Type: application/javascript' \
		    'Content-Type: json'; do
			bad 415 unsupported_media_type POST "$route" -H "$ct" \
			    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
			    --data-binary @ok.json
		done
		bad 415 unsupported_media_type POST "$route" \
		    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
		    -F "body=@ok.json;type=application/json"
	done
	nothing_written
}

atf_test_case methods__wrong
methods__wrong_head() {
	atf_set descr "every route: the methods it does not take are a 405" \
	    "naming the right one in Allow; a method lighttpd does not know" \
	    "is its 501; JSON each time, nothing written"
}
methods__wrong_body() {
	local r allow m
	setup
	for r in "GET /api/v1/leads/process?id=$(rand_id)" \
	    "POST /api/v1/c2s/enrich/$(rand_id)" \
	    "POST /api/v1/webhooks/c2s" "POST /api/v1/webhooks/google-ads" \
	    "GET /api/v1/contributor/customer?cpf=52998224725" \
	    "POST /api/v1/enrich" \
	    "GET /api/v1/customers/00000000-0000-0000-0000-000000000000" \
	    "GET /api/v1/work/modules/cpf?documento=52998224725" \
	    "GET /api/v1/work/modules/all?documento=52998224725" \
	    "GET /api/v1/stats" "GET /metrics"; do
		set -- $r
		allow=$1
		for m in GET POST PUT DELETE PATCH OPTIONS TRACE; do
			[ "$m" = "$allow" ] && continue
			bad 405 method_not_allowed "$m" "$2" -d ''
			grep -qix "allow: $allow"$'\r' headers ||
			    atf_fail "$m $2: $(grep -i '^allow' headers)"
		done
		bad 501 internal_error FOO "$2" -d ''
	done
	nothing_written
}

atf_init_test_cases() {
	atf_add_test_case ids__invalid
	atf_add_test_case query__overlong_and_malformed
	atf_add_test_case headers__overlong_and_malformed
	atf_add_test_case bodies__json
	atf_add_test_case content_types__wrong
	atf_add_test_case methods__wrong
}

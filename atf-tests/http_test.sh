#! /usr/bin/env atf-sh
# http_test -- the HTTP surface through the real lighttpd and pool that
# `make check` started: probes, JSON errors with their statuses, size caps
# (the application's and lighttpd's), request ids, and logs without query
# strings.

. "$(atf_get_srcdir)/common.subr"

atf_test_case health__json
health__json_head() {
	atf_set descr "GET /health is 200 JSON naming the service"
	atf_set require.config "base_url stack_dir"
}
health__json_body() {
	shared_stack
	expect_status 200 GET /health
	atf_check -o inline:'ok c2s-enrich true true true true\n' jq -r \
	    '"\(.status) \(.service) \(.version | test("^[0-9]+\\.[0-9]+\\.[0-9]+$")) \(.pid > 1) \(.rss_kb > 0) \(.requests >= 0)"' body
	atf_check -o match:'^content-type: application/json' \
	    -x "curl -sI '$URL/health' | tr A-Z a-z"
}

atf_test_case ready__ok
ready__ok_head() {
	atf_set descr "GET /ready is 200 with the database and migrations ok"
	atf_set require.config "base_url stack_dir"
}
ready__ok_body() {
	shared_stack
	expect_status 200 GET /ready
	atf_check -o inline:'ready ok\n' jq -r '"\(.status) \(.checks.database)"' body
	atf_check -o match:'^ok: version [0-9]+$' jq -r .checks.migrations body
}

atf_test_case unknown_path__404
unknown_path__404_head() {
	atf_set descr "an unknown path is a JSON 404"
	atf_set require.config "base_url stack_dir"
}
unknown_path__404_body() {
	shared_stack
	expect_status 404 GET /no/such/thing
	expect_json_error not_found
	expect_status 404 GET /
	expect_json_error not_found
}

atf_test_case wrong_method__405
wrong_method__405_head() {
	atf_set descr "a wrong method is a JSON 405 with Allow"
	atf_set require.config "base_url stack_dir"
}
wrong_method__405_body() {
	shared_stack
	expect_status 405 DELETE /health
	expect_json_error method_not_allowed
	atf_check -o match:'^allow: GET, HEAD' \
	    -x "curl -s -D - -o /dev/null -X PUT -d x '$URL/ready' | tr -d '\r' | sed 's/^Allow/allow/'"
	expect_status 405 POST /health -H 'Content-Type: application/json' -d '{}'
	expect_json_error method_not_allowed
}

atf_test_case oversized_body__413
oversized_body__413_head() {
	atf_set descr "a body over the application's cap (1 MiB) and over " \
	    "lighttpd's (2 MiB) are both JSON 413"
	atf_set require.config "base_url stack_dir"
}
oversized_body__413_body() {
	shared_stack
	head -c 1500000 /dev/zero | tr '\0' a >mid
	head -c 3000000 /dev/zero | tr '\0' a >big
	expect_status 413 POST /health -H 'Content-Type: application/json' \
	    --data-binary @mid
	expect_json_error too_large
	expect_status 413 POST /health -H 'Content-Type: application/json' \
	    --data-binary @big
	expect_json_error too_large
	# The responders are still all there and answering.
	expect_status 200 GET /health
}

atf_test_case no_length__411
no_length__411_head() {
	atf_set descr "a POST without Content-Length is a JSON 411 from " \
	    "lighttpd, re-run through the responder"
	atf_set require.config "base_url stack_dir"
}
no_length__411_body() {
	shared_stack
	expect_status 411 POST /health
	expect_json_error bad_request
}

atf_test_case request_id__echoed
request_id__echoed_head() {
	atf_set descr "X-Request-Id is echoed when sane, replaced otherwise"
	atf_set require.config "base_url stack_dir"
}
request_id__echoed_body() {
	shared_stack
	atf_check -o match:'^x-request-id: trace-42$' \
	    -x "curl -s -D - -o /dev/null -H 'X-Request-Id: trace-42' '$URL/health' | tr -d '\r' | tr A-Z a-z"
	atf_check -o match:'^x-request-id: [0-9a-f]+-[0-9a-f]+$' \
	    -x "curl -s -D - -o /dev/null -H 'X-Request-Id: a b;c' '$URL/health' | tr -d '\r' | tr A-Z a-z"
}

atf_test_case logs__no_query_string
logs__no_query_string_head() {
	atf_set descr "identifiers in a query string reach neither " \
	    "lighttpd's access log nor the pool's log; one access line " \
	    "per request: a static page's in lighttpd's log, the master's " \
	    "/health in the pool's log only"
	atf_set require.config "base_url stack_dir"
}
logs__no_query_string_body() {
	shared_stack
	expect_status 200 GET '/health?cpf=52998224725&email=ana@example.com'
	# Logs are written as requests finish; give the writes a moment.
	wait_for 100 grep -q '"path":"/health"' "$RUNDIR/log/pool.log" ||
	    atf_fail "no access line in the pool log"
	expect_status 200 GET '/docs/?cpf=52998224725&email=ana@example.com'
	wait_for 50 grep -q "GET /docs/" "$RUNDIR/log/access.log" ||
	    atf_fail "no line in lighttpd's access log"
	atf_check -s exit:1 grep -l -e 52998224725 -e ana@example.com \
	    "$RUNDIR/log/pool.log" "$RUNDIR/log/access.log"
	grep -q "/health" "$RUNDIR/log/access.log" &&
	    atf_fail "/health in lighttpd's access log too"
	grep -q '"path":"/docs/' "$RUNDIR/log/pool.log" &&
	    atf_fail "a static page in the pool's log too"
	return 0
}

atf_init_test_cases() {
	atf_add_test_case health__json
	atf_add_test_case ready__ok
	atf_add_test_case unknown_path__404
	atf_add_test_case wrong_method__405
	atf_add_test_case oversized_body__413
	atf_add_test_case no_length__411
	atf_add_test_case request_id__echoed
	atf_add_test_case logs__no_query_string
}

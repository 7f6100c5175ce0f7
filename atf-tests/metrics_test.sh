#! /usr/bin/env atf-sh
# metrics_test -- GET /metrics: valid Prometheus text (checked by a real
# parser, promtool), counters that move by exactly what was sent, summed
# across every responder of the machine through the shared file, and kept
# when a responder is killed.

. "$(atf_get_srcdir)/common.subr"

atf_test_case metrics__promtool_valid
metrics__promtool_valid_head() {
	atf_set descr "/metrics is Prometheus text that promtool accepts"
	atf_set require.progs "promtool"
}
metrics__promtool_valid_body() {
	shared_stack
	# Something in every family: a lead, a duplicate, a 404.
	expect_status 200 GET "/api/v1/leads/process?id=$(rand_id)"
	expect_status 200 GET "/api/v1/leads/process?id=$(jq -r .lead_id body)"
	expect_status 404 GET /nope
	curl -s -D headers -o metrics "$URL/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' headers ||
	    atf_fail "wrong content type: $(grep -i content-type headers)"
	atf_check -s exit:0 -o ignore -e ignore promtool check metrics <metrics
	promtool check metrics <metrics 2>&1 | grep . &&
	    atf_fail "promtool has remarks"
	for f in c2s_http_requests_total c2s_http_request_duration_seconds \
	    c2s_upstream_calls_total c2s_upstream_call_duration_seconds \
	    c2s_dedup_total c2s_cache_lookups_total c2s_leads_total \
	    c2s_processes_alive c2s_responders_recycled_total \
	    c2s_process_resident_memory_bytes c2s_dedup_slots_used; do
		grep -q "^# TYPE $f " metrics || atf_fail "no family $f"
	done
	return 0
}

atf_test_case metrics__counters_move
metrics__counters_move_head() {
	atf_set descr "requests, upstream calls, dedup hits, cache lookups" \
	    "and outcomes move by exactly what was sent, whichever" \
	    "responder answered"
}
metrics__counters_move_body() {
	local id i
	shared_stack
	scrape before
	# 40 requests at 8 at a time: every responder answers some.
	seq 40 | xargs -P 8 -I{} curl -s -o /dev/null "$URL/health"
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed" and .dossiers_fetched == 1'
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.duplicate_request == true and .dedup == "file"'
	expect_status 404 GET /no/such/path
	scrape after

	for s in 'c2s_http_requests_total{route="health",code="2xx"} 40' \
	    'c2s_http_requests_total{route="leads_process",code="2xx"} 2' \
	    'c2s_http_requests_total{route="none",code="4xx"} 1' \
	    'c2s_http_request_duration_seconds_count{route="health"} 40' \
	    'c2s_leads_total{outcome="completed"} 1' \
	    'c2s_dedup_total{result="hit_file"} 1' \
	    'c2s_dedup_total{result="miss"} 1' \
	    'c2s_upstream_calls_total{api="c2s",call="c2s_lead",outcome="ok"} 1' \
	    'c2s_upstream_calls_total{api="work",call="work_cpf",outcome="ok"} 1' \
	    'c2s_upstream_calls_total{api="c2s",call="c2s_message",outcome="ok"} 1' \
	    'c2s_upstream_call_duration_seconds_count{api="work",call="work_cpf"} 1'
	do
		set -- $s
		d=$(( $(metric "$1" after) - $(metric "$1" before) ))
		[ "$d" = "$2" ] || atf_fail "$1 moved by $d, not $2"
	done
	# The cache was asked (contacts and the dossier) and missed.
	[ $(( $(metric 'c2s_cache_lookups_total{result="miss"}' after) -
	    $(metric 'c2s_cache_lookups_total{result="miss"}' before) )) -ge 1 ] ||
	    atf_fail "no cache lookup counted"
	# Every responder is in the table, with its memory.
	[ "$(metric 'c2s_processes_alive{role="responder"}' after)" = "$C2S_POOL" ] ||
	    atf_fail "responders alive: $(metric 'c2s_processes_alive{role="responder"}' after)"
	[ "$(grep -c '^c2s_process_resident_memory_bytes{pid="[0-9]*",role="responder"} [1-9]' after)" = "$C2S_POOL" ] ||
	    atf_fail "not one memory series per responder"
	[ "$(metric 'c2s_processes_alive{role="worker"}' after)" -ge 1 ] ||
	    atf_fail "the worker is not counted"
}

atf_test_case metrics__survive_sigkill cleanup
metrics__survive_sigkill_head() {
	atf_set descr "counts of a responder killed with SIGKILL are kept;" \
	    "its replacement joins the table"
	atf_set require.progs "curl jq spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
metrics__survive_sigkill_body() {
	local victim n
	local h='c2s_http_requests_total{route="health",code="2xx"}'
	private_stack C2S_POOL=2
	scrape start
	seq 20 | xargs -P 4 -I{} curl -s -o /dev/null "$URL/health"
	scrape before
	n=$(( $(metric "$h" before) - $(metric "$h" start) ))
	[ "$n" = 20 ] || atf_fail "health counted $n times, not 20"
	for victim in $(responders); do
		kill -KILL "$victim"
	done
	wait_for 50 pool_full || atf_fail "pool not back to full size"
	sleep 0.5
	seq 10 | xargs -P 4 -I{} curl -s -o /dev/null "$URL/health"
	scrape after
	n=$(( $(metric "$h" after) - $(metric "$h" start) ))
	[ "$n" = 30 ] || atf_fail "after the kill: $n, not 30"
	[ "$(metric 'c2s_processes_alive{role="responder"}' after)" = 2 ] ||
	    atf_fail "dead responders still counted alive"
	[ "$(metric 'c2s_processes_started_total{role="responder"}' after)" -ge 3 ] ||
	    atf_fail "replacements did not join"
	private_stack_stop
}
metrics__survive_sigkill_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case metrics__promtool_valid
	atf_add_test_case metrics__counters_move
	atf_add_test_case metrics__survive_sigkill
}

#! /usr/bin/env atf-sh
# stats_test -- GET /api/v1/stats against the database it summarises:
# after real leads of known outcomes, every figure must equal what SQL
# counts in the tables, and the counts must move by what was added.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	export PGHOST PGUSER PGDATABASE
}

# is FILTER WANT WHAT: jq FILTER on ./body must print WANT.
is() {
	local got
	got=$(jq -c "$1" body)
	[ "$got" = "$2" ] || atf_fail "$3: stats say $got, the database $2"
}

atf_test_case stats__match_database
stats__match_database_head() {
	atf_set descr "every count of /api/v1/stats equals the database's"
}
stats__match_database_body() {
	local s today
	setup
	for v in normal normal no_cpf; do
		expect_status 200 GET "/api/v1/leads/process?id=$(find_lead $v)"
	done
	# A lead C2S cannot read (fault c2 02: 503): retryable, with an
	# error naming C2S.
	expect_status 200 GET "/api/v1/leads/process?id=fa17c202$(rand_id | cut -c1-24)"

	expect_status 200 GET /api/v1/stats
	is '.leads.total' "$(sql "SELECT count(*) FROM c2s.leads")" "total"
	for s in received processing completed partial basic unenriched \
	    invalid_contact failed; do
		is ".leads.by_status.$s" "$(sql "SELECT count(*) FROM c2s.leads
		    WHERE status = '$s'")" "status $s"
	done
	for s in api webhook poller google_ads retry; do
		is ".leads.by_source.$s" "$(sql "SELECT count(*) FROM c2s.leads
		    WHERE source = '$s'")" "source $s"
	done
	today=$(date -u +%F)
	is '.daily | length' 7 "days"
	is '.daily[6].date' "\"$today\"" "last day"
	is '.daily[6].total' "$(sql "SELECT count(*) FROM c2s.leads
	    WHERE (created_at AT TIME ZONE 'UTC')::date = '$today'")" "today"
	is '.daily[6].completed' "$(sql "SELECT count(*) FROM c2s.leads
	    WHERE (created_at AT TIME ZONE 'UTC')::date = '$today'
	    AND status = 'completed'")" "completed today"
	is '[.daily[].total] | add' "$(sql "SELECT count(*) FROM c2s.leads
	    WHERE created_at >= date_trunc('day', now() AT TIME ZONE 'UTC')
	    AT TIME ZONE 'UTC' - interval '6 days'")" "7 days"
	is '.enrichment_rate.today.leads' "$(sql "SELECT count(*)
	    FROM c2s.leads WHERE (created_at AT TIME ZONE 'UTC')::date =
	    '$today'")" "rate's leads"
	is '.enrichment_rate.all_time.rate' "$(sql "SELECT round(count(*)
	    FILTER (WHERE status = 'completed')::numeric / count(*), 4)::float8
	    FROM c2s.leads")" "rate"
	json '.enrichment_rate.all_time.enriched > 0'
	is '.saved.dossiers_fetched' "$(sql "SELECT sum(dossiers_fetched)
	    FROM c2s.leads")" "dossiers fetched"
	is '.saved.dossiers_reused' "$(sql "SELECT sum(dossiers_reused)
	    FROM c2s.leads")" "dossiers reused"
	is '.retryable.count' "$(sql "SELECT count(*) FROM c2s.leads WHERE
	    status IN ('partial', 'unenriched') AND next_retry_at IS NOT NULL")" \
	    "retryable"
	is '.failed.count' "$(sql "SELECT count(*) FROM c2s.leads
	    WHERE status = 'failed'")" "failed"
	json '.retryable.recent | length <= 10'
	json '[.retryable.recent[].status] | all(. == "partial" or
	    . == "unenriched")'
	json '[.failed.recent[].status] | all(. == "failed")'
	is '.upstreams.c2s.errors_1h' "$(sql "SELECT count(*) FROM c2s.leads
	    WHERE last_error ~ '^c2s' AND updated_at > now() -
	    interval '1 hour'")" "c2s errors"
	json '.upstreams.c2s.errors_1h >= 1 and
	    (.upstreams.c2s.last_error_at | type == "string")'
	json '.jobs | keys == ["done", "failed", "queued", "running"]'
}

atf_test_case stats__counts_move
stats__counts_move_head() {
	atf_set descr "a new completed lead moves total, completed, today's" \
	    "bar and the dossiers fetched by one; the same lead asked again" \
	    "moves the machine's duplicate leads found in the file by one" \
	    "and nothing else"
}
stats__counts_move_body() {
	setup
	expect_status 200 GET /api/v1/stats
	cp body before
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed" and .dossiers_fetched == 1'
	expect_status 200 GET /api/v1/stats
	cp body after
	jq -n --slurpfile a before --slurpfile b body '
	    ($a[0]) as $x | ($b[0]) as $y |
	    $y.leads.total == $x.leads.total + 1 and
	    $y.leads.by_status.completed == $x.leads.by_status.completed + 1 and
	    $y.daily[6].completed == $x.daily[6].completed + 1 and
	    $y.enrichment_rate.today.enriched ==
		$x.enrichment_rate.today.enriched + 1 and
	    $y.saved.dossiers_fetched == $x.saved.dossiers_fetched + 1' |
	    grep -qx true || atf_fail "counts did not move by one"
	# Asked again: answered from the shared file, no run.
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.duplicate_request == true and .dedup == "file"'
	expect_status 200 GET /api/v1/stats
	jq -n --slurpfile a after --slurpfile b body '
	    ($a[0].saved.duplicate_leads) as $x |
	    ($b[0].saved.duplicate_leads) as $y |
	    $y.scope == "machine" and
	    ($x.found_in_file | type) == "number" and
	    $y.found_in_file == $x.found_in_file + 1 and
	    $y.found_in_database == $x.found_in_database and
	    ($b[0].leads.total) == ($a[0].leads.total) and
	    ($b[0].saved.dossiers_fetched) == ($a[0].saved.dossiers_fetched)' |
	    grep -qx true || atf_fail "duplicate leads did not move by one: $(jq -c .saved body)"
	expect_status 405 POST /api/v1/stats -d ''
	expect_json_error method_not_allowed
}

atf_test_case stats__fast_with_many_leads cleanup
stats__fast_with_many_leads_head() {
	atf_set descr "with thousands of leads the stats take well under a" \
	    "second (no JIT compilation of the statement), inside a 2 s" \
	    "deadline"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
stats__fast_with_many_leads_body() {
	local i ms
	private_stack REQUEST_DEADLINE=2s C2S_WORKERS=0 RATE_LIMIT=0
	export PGHOST PGUSER PGDATABASE
	# 5000 leads over the last 7 days, every status and source.
	sql "INSERT INTO c2s.leads (lead_id, source, status, created_at,
	    next_retry_at, last_error)
	    SELECT md5('stats' || i), (ARRAY['api', 'webhook', 'poller',
	    'google_ads', 'retry'])[1 + i % 5], (ARRAY['received', 'processing',
	    'completed', 'partial', 'basic', 'unenriched', 'invalid_contact',
	    'failed'])[1 + i % 8], now() - (i % 7) * interval '1 day',
	    CASE WHEN i % 8 IN (3, 5) THEN now() + interval '1 hour' END,
	    CASE WHEN i % 3 = 0 THEN 'work_cpf: provider_down' END
	    FROM generate_series(1, 5000) i; ANALYZE c2s.leads;
	    SELECT count(*) FROM c2s.leads" >/dev/null
	for i in 1 2 3; do
		ms=$(curl -s -o body -w '%{http_code} %{time_total}' \
		    --max-time 30 "$URL/api/v1/stats" |
		    awk '$1 == 200 { printf "%d", $2 * 1000 }')
		[ -n "$ms" ] || atf_fail "stats failed: $(head -c 300 body)"
		echo "stats in $ms ms"
		[ "$ms" -lt 1000 ] || atf_fail "stats took $ms ms"
	done
	json '.leads.total == 5000'
	private_stack_stop
}
stats__fast_with_many_leads_cleanup() { private_stack_stop; }

atf_init_test_cases() {
	atf_add_test_case stats__match_database
	atf_add_test_case stats__counts_move
	atf_add_test_case stats__fast_with_many_leads
}

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
	for s in api webhook poller google_ads; do
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
	    "bar and the dossiers fetched by one"
}
stats__counts_move_body() {
	setup
	expect_status 200 GET /api/v1/stats
	cp body before
	expect_status 200 GET "/api/v1/leads/process?id=$(find_lead normal)"
	json '.status == "completed" and .dossiers_fetched == 1'
	expect_status 200 GET /api/v1/stats
	jq -n --slurpfile a before --slurpfile b body '
	    ($a[0]) as $x | ($b[0]) as $y |
	    $y.leads.total == $x.leads.total + 1 and
	    $y.leads.by_status.completed == $x.leads.by_status.completed + 1 and
	    $y.daily[6].completed == $x.daily[6].completed + 1 and
	    $y.enrichment_rate.today.enriched ==
		$x.enrichment_rate.today.enriched + 1 and
	    $y.saved.dossiers_fetched == $x.saved.dossiers_fetched + 1' |
	    grep -qx true || atf_fail "counts did not move by one"
	expect_status 405 POST /api/v1/stats -d ''
	expect_json_error method_not_allowed
}

atf_init_test_cases() {
	atf_add_test_case stats__match_database
	atf_add_test_case stats__counts_move
}

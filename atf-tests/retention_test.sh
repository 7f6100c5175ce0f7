#! /usr/bin/env atf-sh
# retention_test -- bounded tables (DESIGN.md 11.2): the worker prunes
# webhook events, finished jobs and Google Ads forms' raw payloads older
# than RETENTION_DAYS, in batches, every PRUNE_INTERVAL; a repeated
# invalid event is one row; GET /api/v1/stats reads counters kept by
# triggers (sql/0012), not count(*) over those tables, and stays under
# 20 ms with a million webhook events.

. "$(atf_get_srcdir)/common.subr"

# start_worker VAR=VALUE...: a worker with the responders' settings and
# those, in the background; its pid in ./worker.pid, its log ./worker.log.
start_worker() {
	(
		while IFS= read -r kv; do
			export "$kv"
		done <"$RUNDIR/responder.env"
		for kv in "$@"; do
			export "$kv"
		done
		exec "$RUNDIR/bin/c2s-enrich" --worker
	) >worker.log 2>&1 &
	echo $! >worker.pid
}

stop_worker() {
	local pid
	[ -r worker.pid ] || return 0
	pid=$(cat worker.pid)
	rm -f worker.pid
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	:
}

# pruned KIND: how many rows of KIND the worker's log says it pruned.
pruned() {
	sed -n "s/.*worker: pruned \([0-9]*\) $1 older than .*/\1/p" \
	    worker.log | awk '{ n += $1 } END { print n + 0 }'
}

# gen_bg QUERY: QUERY in a psql session of its own, in the background
# (its pid and number N a line of ./gen.pids, its output in ./gen.N);
# gen_wait waits for them all, failing if one did.
gen_bg() {
	local n
	n=$(($(wc -l <gen.pids) + 1))
	psql -X -At -v ON_ERROR_STOP=1 -c "$1" >"gen.$n" 2>&1 &
	echo "$! $n" >>gen.pids
}

gen_wait() {
	local pid n st=0
	while read -r pid n; do
		wait "$pid" || { st=1; cat "gen.$n" >&2; }
	done <gen.pids
	[ $st = 0 ] || atf_fail "generating the rows failed"
}

# counters_match: every counter equals what count(*) says.
counters_match() {
	local got
	got=$(sql "SELECT string_agg(c.name || '=' || c.value || '/' || x.n,
	    ' ' ORDER BY c.name) FROM c2s.counters c JOIN (
	    SELECT 'webhook_events' AS name, count(*) AS n
		FROM c2s.webhook_events
	    UNION ALL SELECT 'webhook_events_invalid', count(*)
		FROM c2s.webhook_events WHERE disposition = 'invalid'
	    UNION ALL SELECT 'webhook_events_merged', count(*)
		FROM c2s.webhook_events WHERE disposition IN ('merged',
		'unchanged', 'own_note', 'closed')
	    UNION ALL SELECT 'jobs_' || s, (SELECT count(*) FROM c2s.jobs j
		WHERE j.state = s) FROM unnest(ARRAY['queued', 'running',
		'done', 'failed']) s
	    UNION ALL SELECT 'leads_total', count(*) FROM c2s.leads
	    UNION ALL SELECT 'leads_status_' || status, count(*)
		FROM c2s.leads GROUP BY status
	    UNION ALL SELECT 'leads_source_' || source, count(*)
		FROM c2s.leads GROUP BY source
	    UNION ALL SELECT 'leads_dossiers_fetched', sum(dossiers_fetched)
		FROM c2s.leads
	    UNION ALL SELECT 'leads_dossiers_reused', sum(dossiers_reused)
		FROM c2s.leads) x ON x.name = c.name
	    WHERE c.value <> x.n")
	[ "$(sql "SELECT count(*) FROM c2s.counters")" -ge 20 ] ||
	    atf_fail "counters missing: $(sql "SELECT name FROM c2s.counters")"
	[ -z "$got" ] || atf_fail "counters differ from the tables: $got"
}

# median_ms: the median of 20 server-side executions of the stats
# statement (EXPLAIN ANALYZE's execution time), in ms, without JIT as the
# responders run it (lib/io/pg.c).
median_ms() {
	local i
	for i in $(seq 1 20); do
		PGOPTIONS='-c jit=off' psql -X -At -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT
		    c2s.stats_json() || jsonb_build_object('invalid_webhooks',
		    c2s.webhooks_invalid_json())" | jq '.[0]["Execution Time"]'
	done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

atf_test_case prune__million_events cleanup
prune__million_events_head() {
	atf_set descr "a million webhook events, half older than " \
	    "RETENTION_DAYS, and 300 000 leads: /api/v1/stats in under " \
	    "20 ms (median of 20) and " \
	    "its figures equal the tables'; the worker prunes the old half " \
	    "in batches and keeps the rest, deletes old finished jobs only " \
	    "and empties old created forms' payloads, keeping their rows; " \
	    "an invalid event sent twice is one row"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 600
}
prune__million_events_body() {
	local ev i ms old new t0
	private_stack C2S_POOL=1 C2S_WORKERS=0
	export PGHOST PGUSER PGDATABASE
	# An invalid event with a lead id (an unknown action), sent twice:
	# stored once, counted once.
	ev='{"hook_action":"on_nothing","id":"4e7e4e7e000000000000000000000001","attributes":{"updated_at":"2026-01-01T00:00:00Z"}}'
	for i in 1 2; do
		expect_status 422 POST /api/v1/webhooks/c2s \
		    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
		    -H 'Content-Type: application/json' --data-binary "$ev"
	done
	atf_check -o inline:'1\n' psql -X -At -c "SELECT count(*)
	    FROM c2s.webhook_events
	    WHERE lead_id = '4e7e4e7e000000000000000000000001'"
	atf_check -o inline:'1\n' psql -X -At -c \
	    "SELECT c2s.counter('webhook_events_invalid')"
	# A million events: the odd ones of the last 12 days, the even ones
	# 200 days old; every disposition; a tenth without a lead id.  Two
	# sessions of half a million each, and the leads' below, at once
	# (the counters' triggers take their rows in one order).
	t0=$(date +%s)
	: >gen.pids
	for i in 0 500000; do
		gen_bg "INSERT INTO c2s.webhook_events (lead_id, event_key,
		    hook_action, payload, disposition, error, received_at)
		    SELECT CASE WHEN i % 10 <> 0 THEN md5('ret' || i) END,
		    'k' || i, 'on_update_lead', jsonb_build_object('n', i),
		    (ARRAY['queued', 'merged', 'closed', 'unchanged',
		    'own_note', 'invalid', 'duplicate'])[1 + i % 7],
		    CASE WHEN i % 7 = 5 THEN 'x' END,
		    CASE WHEN i % 2 = 0 THEN now() - interval '200 days'
		    ELSE now() - i * interval '1 second' END
		    FROM generate_series($((i + 1)), $((i + 500000))) i"
	done
	# Jobs: old and new finished ones, an old one still queued (due in
	# a year: no worker runs it here).
	sql "INSERT INTO c2s.jobs (kind, ref, source, state, finished_at,
	    created_at, run_after) SELECT 'lead', md5('job' || i), 'webhook',
	    CASE WHEN i = 1 THEN 'queued' WHEN i % 2 = 0 THEN 'done'
	    ELSE 'failed' END, CASE WHEN i > 1 THEN now() - CASE WHEN i <= 100
	    THEN interval '200 days' ELSE interval '1 day' END END,
	    now() - interval '300 days', now() + interval '1 year'
	    FROM generate_series(1, 150) i" \
	    >/dev/null
	# 300 000 leads over two years (400 a day), every status and source.
	gen_bg "INSERT INTO c2s.leads (lead_id, source, status, created_at,
	    updated_at, next_retry_at, last_error, dossiers_fetched,
	    dossiers_reused) SELECT md5('lead' || i), (ARRAY['api', 'webhook',
	    'poller', 'google_ads', 'retry'])[1 + i % 5], (ARRAY['received',
	    'processing', 'completed', 'partial', 'basic', 'unenriched',
	    'invalid_contact', 'failed'])[1 + i % 8], t, t,
	    CASE WHEN i % 8 IN (3, 5) AND t > now() - interval '2 days'
	    THEN now() + interval '1 hour' END,
	    CASE WHEN i % 3 = 0 THEN 'work_cpf: provider_down' END, i % 3, i % 2
	    FROM generate_series(1, 300000) i,
	    LATERAL (SELECT now() - i * interval '216 seconds' AS t) x;
	    ANALYZE c2s.leads"
	gen_wait
	# Google forms: old and new in every state.
	sql "INSERT INTO c2s.google_leads (form_lead_id, payload, state,
	    is_test, created_at) SELECT 'form-' || s || '-' || a,
	    '{\"lead_id\":\"x\",\"user_column_data\":[]}', s, s = 'test',
	    now() - CASE a WHEN 'old' THEN interval '200 days'
	    ELSE interval '1 day' END
	    FROM unnest(ARRAY['received', 'creating', 'created', 'unknown',
	    'test']) s, unnest(ARRAY['old', 'new']) a;
	    ANALYZE c2s.webhook_events; ANALYZE c2s.jobs" >/dev/null
	echo "generated in $(($(date +%s) - t0)) s"
	counters_match
	# The figures, at a million events.
	expect_status 200 GET /api/v1/stats
	json '.leads.total == 300000 and .leads.by_status.failed == 37500 and
	    .failed.count == 37500 and .leads.by_source.retry == 60000 and
	    .saved.dossiers_fetched == 300000 and
	    .saved.dossiers_reused == 150000 and
	    .enrichment_rate.all_time.leads == 300000 and
	    .enrichment_rate.all_time.enriched == 37500 and
	    .saved.webhook_events == 1000001 and
	    .invalid_webhooks.count == 142858 and
	    .saved.webhook_events_merged == 571429 and
	    .jobs == {"queued": 1, "running": 0, "done": 75, "failed": 74} and
	    (.invalid_webhooks.recent | length) == 20'
	ms=$(median_ms)
	echo "stats statement: median $ms ms of 20"
	awk -v m="$ms" 'BEGIN { exit !(m < 20) }' ||
	    atf_fail "stats take $ms ms (median of 20) at a million events"
	for i in 1 2 3 4 5; do
		curl -s -o /dev/null -w 'GET /api/v1/stats: %{http_code} in %{time_total} s\n' \
		    "$URL/api/v1/stats"
	done
	# Prune, 30 days of retention.
	t0=$(date +%s)
	start_worker RETENTION_DAYS=30 PRUNE_INTERVAL=1s WORKER_POLL_INTERVAL=1s
	# 10 batches of 10 000 a turn: the 500 000 old events in 5 turns.
	wait_for 1200 eval '[ "$(pruned webhook_events)" = 500000 ]' ||
	    atf_fail "not pruned in 120 s: $(tail -5 worker.log)"
	wait_for 100 eval '[ "$(pruned google_payloads)" = 3 ]' ||
	    atf_fail "payloads: $(grep pruned worker.log)"
	echo "pruned in $(($(date +%s) - t0)) s"
	stop_worker
	cat worker.log
	[ "$(pruned jobs)" = 99 ] || atf_fail "jobs: $(grep pruned worker.log)"
	[ "$(grep -c 'pruned 100000 webhook_events older than 30 days (more next turn)' \
	    worker.log)" = 5 ] || atf_fail "not in batches: $(grep pruned worker.log)"
	old=$(sql "SELECT count(*) FROM c2s.webhook_events
	    WHERE received_at < now() - interval '30 days'")
	new=$(sql "SELECT count(*) FROM c2s.webhook_events")
	[ "$old" = 0 ] || atf_fail "$old old events left"
	[ "$new" = 500001 ] || atf_fail "$new events kept, expected 500001"
	atf_check -o inline:'queued 1\nfailed 25\ndone 25\n' psql -X -At -F ' ' \
	    -c "SELECT state, count(*) FROM c2s.jobs GROUP BY state
		ORDER BY count(*), state DESC"
	# Forms: every row kept; the old created, test and unknown ones'
	# payloads replaced by the marker, nothing else touched.
	atf_check -o inline:'10\n' psql -X -At -c \
	    'SELECT count(*) FROM c2s.google_leads'
	atf_check -o inline:'form-created-old\nform-test-old\nform-unknown-old\n' \
	    psql -X -At -c "SELECT form_lead_id FROM c2s.google_leads
		WHERE payload ? 'pruned_at' ORDER BY 1"
	atf_check -o inline:'7\n' psql -X -At -c "SELECT count(*)
	    FROM c2s.google_leads WHERE payload ? 'user_column_data'"
	counters_match
	expect_status 200 GET /api/v1/stats
	json '.saved.webhook_events == 500001 and
	    .jobs == {"queued": 1, "running": 0, "done": 25, "failed": 25}'
	private_stack_stop
}
prune__million_events_cleanup() {
	stop_worker
	private_stack_stop
}

atf_init_test_cases() {
	atf_add_test_case prune__million_events
}

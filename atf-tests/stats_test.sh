#! /usr/bin/env atf-sh
# stats_test -- GET /api/v1/stats against the database it summarises:
# after real leads of known outcomes and rows of every kind, every figure
# must equal what SQL counts in the rows (not the counters the service
# reads), and the counts must move by what was added.

. "$(atf_get_srcdir)/common.subr"

setup() {
	shared_stack
	export PGHOST PGUSER PGDATABASE
}

# figures STATS: one snapshot of the database, as one JSON object:
#   expected  every figure of /api/v1/stats counted from the rows
#             (c2s.leads, c2s.webhook_events, c2s.jobs), not from the
#             counters the service reads, timestamps as epoch seconds;
#   got       the stats of the file STATS, timestamps as epoch seconds,
#             without what is checked apart (generated_at, the recent
#             lists, the machine's duplicate leads);
#   wrong     what is wrong in STATS' recent lists: each entry must be
#             the row it names, in the order of the list's query, and no
#             row left out that should be in.
figures() {
	psql -X -q -At -v ON_ERROR_STOP=1 -v stats="$(cat "$1")" <<'SQL' ||
-- j with the timestamp at path p as epoch seconds.
CREATE FUNCTION pg_temp.ep(j jsonb, p text[]) RETURNS jsonb
LANGUAGE sql AS $$
	SELECT CASE WHEN j #>> p IS NULL THEN j ELSE jsonb_set(j, p,
	    to_jsonb(extract(epoch FROM (j #>> p)::timestamptz))) END
$$;
WITH s AS (
	SELECT :'stats'::jsonb AS j
), day AS (
	SELECT (now() AT TIME ZONE 'UTC')::date AS today
), l AS (
	SELECT *, (created_at AT TIME ZONE 'UTC')::date AS day FROM c2s.leads
), rate AS (
	SELECT w.name, jsonb_build_object('leads', count(l.lead_id),
	    'enriched', count(l.lead_id) FILTER (WHERE l.status = 'completed'),
	    'with_cpf', count(l.lead_id) FILTER (WHERE l.status IN
		('completed', 'partial', 'basic')),
	    'rate', round(count(l.lead_id) FILTER (WHERE l.status =
		'completed')::numeric / nullif(count(l.lead_id), 0), 4)) AS r
	FROM (VALUES ('today', 0), ('last_7_days', 6), ('all_time', NULL))
	    w(name, back) CROSS JOIN day
	LEFT JOIN l ON w.back IS NULL OR l.day >= day.today - w.back
	GROUP BY w.name
), expected AS (
	SELECT jsonb_build_object(
	    'leads', jsonb_build_object(
		'total', (SELECT count(*) FROM l),
		'by_status', (SELECT jsonb_object_agg(st, (SELECT count(*)
		    FROM l WHERE status = st)) FROM unnest(ARRAY['received',
		    'processing', 'completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) st),
		'by_source', (SELECT jsonb_object_agg(so, (SELECT count(*)
		    FROM l WHERE source = so)) FROM unnest(ARRAY['api',
		    'webhook', 'poller', 'google_ads', 'retry', 'backfill'])
		    so)),
	    'enrichment_rate', (SELECT jsonb_object_agg(name, r) FROM rate),
	    'daily', (SELECT jsonb_agg(jsonb_build_object('date', x.d,
		'total', (SELECT count(*) FROM l WHERE l.day = x.d)) ||
		(SELECT jsonb_object_agg(st, (SELECT count(*) FROM l
		    WHERE l.day = x.d AND l.status = st))
		    FROM unnest(ARRAY['completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) st)
		ORDER BY x.d)
		FROM day, generate_series(day.today - 6, day.today,
		    interval '1 day') g, LATERAL (SELECT g::date AS d) x),
	    'retryable', jsonb_build_object(
		'count', (SELECT count(*) FROM l WHERE status IN ('partial',
		    'unenriched') AND next_retry_at IS NOT NULL),
		'next_retry_at', (SELECT extract(epoch FROM min(next_retry_at))
		    FROM l WHERE status IN ('partial', 'unenriched'))),
	    'failed', jsonb_build_object('count', (SELECT count(*) FROM l
		WHERE status = 'failed')),
	    'upstreams', (SELECT jsonb_object_agg(u.name, jsonb_build_object(
		'errors_1h', (SELECT count(*) FROM l WHERE last_error ~ u.re
		    AND updated_at > now() - interval '1 hour'),
		'last_error_at', (SELECT extract(epoch FROM max(updated_at))
		    FROM l WHERE last_error ~ u.re
		    AND updated_at > now() - interval '1 hour')))
		FROM (VALUES ('c2s', '^c2s'), ('diretrix', '^diretrix'),
		    ('work_api', '^work')) u(name, re)),
	    'saved', (SELECT jsonb_build_object('dossiers_fetched',
		coalesce(sum(dossiers_fetched), 0), 'dossiers_reused',
		coalesce(sum(dossiers_reused), 0)) FROM l) ||
		(SELECT jsonb_build_object('webhook_events', count(*),
		'webhook_events_merged', count(*) FILTER (WHERE disposition
		IN ('merged', 'unchanged', 'own_note', 'closed')))
		FROM c2s.webhook_events),
	    'jobs', (SELECT jsonb_object_agg(st, (SELECT count(*)
		FROM c2s.jobs WHERE state = st)) FROM unnest(ARRAY['queued',
		'running', 'done', 'failed']) st),
	    'invalid_webhooks', jsonb_build_object('count', (SELECT count(*)
		FROM c2s.webhook_events WHERE disposition = 'invalid')),
	    'tiers', (SELECT jsonb_build_object('found', sum(t.n),
		'stored_share', round(sum(t.n) FILTER (WHERE t.tier =
		    'stored') / nullif((SELECT count(*) FROM l), 0), 4),
		'by_tier', jsonb_object_agg(t.tier, jsonb_build_object(
		    'leads', t.n,
		    'share', round(t.n::numeric / nullif((SELECT count(*) FROM l
			WHERE cpf_tier IS NOT NULL), 0), 4),
		    'name_score_avg', round(t.score, 1))))
		FROM (SELECT tier, count(l.lead_id) AS n,
		    avg(l.name_score) AS score FROM unnest(ARRAY['stored',
		    'work_phone', 'diretrix_phone', 'diretrix_email']) tier
		    LEFT JOIN l ON l.cpf_tier = tier GROUP BY tier) t)) AS e
), got AS (
	SELECT pg_temp.ep(pg_temp.ep(pg_temp.ep(pg_temp.ep(j
	    #- '{generated_at}' #- '{retryable,recent}' #- '{failed,recent}'
	    #- '{invalid_webhooks,recent}' #- '{saved,duplicate_leads}',
	    '{retryable,next_retry_at}'), '{upstreams,c2s,last_error_at}'),
	    '{upstreams,diretrix,last_error_at}'),
	    '{upstreams,work_api,last_error_at}') AS g FROM s
), lists AS (
	SELECT * FROM (VALUES ('retryable', ARRAY['partial', 'unenriched']),
	    ('failed', ARRAY['failed'])) x(name, states)
), recent AS (
	SELECT x.name, x.states, e.n, e.v FROM lists x, s,
	    jsonb_array_elements(s.j -> x.name -> 'recent')
	    WITH ORDINALITY e(v, n)
), wrong AS (
	SELECT format('%s.recent[%s] %s: not its row', r.name, r.n,
	    r.v ->> 'lead_id') AS w FROM recent r
	WHERE NOT EXISTS (SELECT 1 FROM l WHERE l.lead_id = r.v ->> 'lead_id'
	    AND l.status = ANY (r.states) AND l.status = r.v ->> 'status'
	    AND l.retries = (r.v ->> 'retries')::int
	    AND l.next_retry_at IS NOT DISTINCT FROM
		(r.v ->> 'next_retry_at')::timestamptz
	    AND l.last_error IS NOT DISTINCT FROM r.v ->> 'last_error'
	    AND l.updated_at = (r.v ->> 'updated_at')::timestamptz)
	UNION ALL
	SELECT format('%s.recent: %s entries (%s leads), %s rows', x.name,
	    jsonb_array_length(s.j -> x.name -> 'recent'),
	    (SELECT count(DISTINCT r.v ->> 'lead_id') FROM recent r
		WHERE r.name = x.name),
	    (SELECT count(*) FROM l WHERE status = ANY (x.states)))
	FROM lists x, s
	WHERE jsonb_array_length(s.j -> x.name -> 'recent') IS DISTINCT FROM
	    least(10, (SELECT count(*) FROM l WHERE status = ANY (x.states)))
	    OR (SELECT count(DISTINCT r.v ->> 'lead_id') FROM recent r
		WHERE r.name = x.name) <>
	    jsonb_array_length(s.j -> x.name -> 'recent')
	UNION ALL
	SELECT format('%s.recent[%s]: updated after the one before', a.name,
	    b.n)
	FROM recent a JOIN recent b ON a.name = b.name AND b.n = a.n + 1
	WHERE (a.v ->> 'updated_at')::timestamptz <
	    (b.v ->> 'updated_at')::timestamptz
	UNION ALL
	SELECT format('%s.recent: lead %s left out', x.name, l.lead_id)
	FROM lists x JOIN l ON l.status = ANY (x.states)
	WHERE l.updated_at > (SELECT min((r.v ->> 'updated_at')::timestamptz)
	    FROM recent r WHERE r.name = x.name)
	    AND l.lead_id NOT IN (SELECT r.v ->> 'lead_id' FROM recent r
	    WHERE r.name = x.name)
	UNION ALL
	-- The invalid webhook events: the 20 latest, by id, field by field.
	SELECT 'invalid_webhooks.recent: not the 20 latest invalid events'
	FROM s WHERE s.j ? 'invalid_webhooks' AND
	    (SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id,
	    'received_at', extract(epoch FROM e.received_at),
	    'hook_action', e.hook_action, 'error', e.error,
	    'keys', (SELECT coalesce(jsonb_agg(k ORDER BY k), '[]')
		FROM jsonb_object_keys(CASE WHEN jsonb_typeof(e.payload) =
		'object' THEN e.payload ELSE '{}' END) k)) ORDER BY e.id DESC),
	    '[]') FROM (SELECT * FROM c2s.webhook_events
	    WHERE disposition = 'invalid' ORDER BY id DESC LIMIT 20) e) IS
	    DISTINCT FROM (SELECT coalesce(jsonb_agg(pg_temp.ep(r.v,
	    '{received_at}') ORDER BY r.n), '[]')
	    FROM jsonb_array_elements(s.j -> 'invalid_webhooks' -> 'recent')
	    WITH ORDINALITY r(v, n))
)
SELECT jsonb_build_object('expected', (SELECT e FROM expected),
    'generated_at', (SELECT extract(epoch FROM (j ->> 'generated_at')::timestamptz)
	FROM s), 'now', extract(epoch FROM now()),
    'got', (SELECT g FROM got),
    'wrong', (SELECT coalesce(jsonb_agg(w), '[]') FROM wrong))
SQL
	    atf_fail "psql failed on the figures"
}

atf_test_case stats__match_database cleanup
stats__match_database_head() {
	atf_set descr "every figure of /api/v1/stats equals what SQL counts in" \
	    "the rows at the same moment (leads by status, source, day and" \
	    "window; rates; retryable and failed leads and their recent" \
	    "lists; upstream errors; dossiers; webhook events; jobs; invalid" \
	    "webhooks; leads and name scores by discovery tier), and the" \
	    "machine's duplicate leads equal its /metrics"
	atf_set require.progs "curl jq psql spawn-fcgi multiwatch lighttpd"
	atf_set timeout 120
}
stats__match_database_body() {
	local n=0 t0 v id
	# No worker: nothing changes the rows behind the test's back.
	private_stack C2S_WORKERS=0 RATE_LIMIT=0
	export PGHOST PGUSER PGDATABASE
	for v in normal normal no_cpf; do
		id=$(find_lead $v)
		expect_status 200 GET "/api/v1/leads/process?id=$id"
	done
	# A lead C2S cannot read (fault c2 02: 503): received, with an
	# error naming C2S.
	expect_status 200 GET "/api/v1/leads/process?id=fa17c202$(rand_id | cut -c1-24)"
	# A webhook event that will not run (no lead id): stored invalid.
	expect_status 422 POST /api/v1/webhooks/c2s \
	    -H "X-Webhook-Secret: $C2S_WEBHOOK_SECRET" \
	    -H 'Content-Type: application/json' \
	    -d '{"hook_action":"on_create_lead","attributes":{"x":1}}'
	# Duplicates: one found in the shared file (a lead asked again), one
	# in the database (a lead another machine completed, below).
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.duplicate_request == true and .dedup == "file"'
	# Rows of every kind, so that no figure is 0 for want of rows: leads
	# of every status and source over nine days, some older than the
	# 7 days, updated over 80 minutes (some outside the last hour),
	# with each upstream's errors, more than 10 retryable and failed;
	# jobs in every state; webhook events of every disposition, more
	# than 20 invalid.
	sql "INSERT INTO c2s.leads (lead_id, source, status, created_at,
	    updated_at, next_retry_at, last_error, retries, dossiers_fetched,
	    dossiers_reused, cpf_tier, name_score)
	    SELECT md5('figs' || i), (ARRAY['api', 'webhook', 'poller',
	    'google_ads', 'retry', 'backfill'])[1 + i % 6], (ARRAY['received',
	    'processing', 'completed', 'partial', 'basic', 'unenriched',
	    'invalid_contact', 'failed'])[1 + i % 8],
	    now() - (i % 9) * interval '1 day',
	    now() - i * interval '47 seconds',
	    CASE WHEN i % 8 IN (3, 5) AND i % 3 <> 0
		THEN now() + i * interval '1 minute' END,
	    (ARRAY['c2s_lead: http_503', 'diretrix_phone: provider_down',
	    'work_cpf: provider_down', NULL])[1 + i % 4], i % 3, i % 2,
	    (i % 3 = 0)::int,
	    CASE WHEN i % 8 IN (2, 3, 4) THEN (ARRAY['stored', 'work_phone',
	    'diretrix_phone', 'diretrix_email'])[1 + i / 8 % 4] END,
	    CASE WHEN i % 8 IN (2, 3, 4) AND i % 5 <> 0 THEN 40 + i % 61 END
	    FROM generate_series(1, 100) i;
	    INSERT INTO c2s.jobs (kind, ref, source, state)
	    SELECT 'lead', md5('job' || i), (ARRAY['webhook', 'retry',
	    'poller', 'google_ads'])[1 + i % 4], (ARRAY['queued', 'running',
	    'done', 'failed'])[1 + i % 4] FROM generate_series(1, 11) i;
	    INSERT INTO c2s.webhook_events (lead_id, event_key, hook_action,
	    payload, disposition, error)
	    SELECT md5('ev' || i), 'k' || i, 'on_update_lead',
	    jsonb_build_object('id', md5('ev' || i), 'n', i),
	    (ARRAY['queued', 'merged', 'closed', 'unchanged', 'own_note',
	    'invalid'])[1 + i % 6], CASE WHEN i % 6 = 5 THEN 'test' END
	    FROM generate_series(1, 150) i;
	    INSERT INTO c2s.lead_claims (lead_id, owner, state, outcome,
	    expires_at) VALUES (md5('figs' || 2), 'another-machine:1', 'done',
	    'completed', now() + interval '1 hour');
	    SELECT 1" >/dev/null
	expect_status 200 GET "/api/v1/leads/process?id=$(sql "SELECT
	    md5('figs' || 2)")"
	json '.duplicate_request == true and .dedup == "database"'

	# The database read before and after the stats must agree (else
	# once more): the stats and the counts are of one state.
	echo '{}' >none
	while :; do
		figures none | jq -S .expected >before
		t0=$(sql "SELECT extract(epoch FROM now())")
		scrape m1
		expect_status 200 GET /api/v1/stats
		scrape m2
		figures body >figs
		jq -S .expected figs >after
		cmp -s before after && [ "$(dedups m1)" = "$(dedups m2)" ] &&
		    break
		n=$((n + 1))
		[ $n -lt 10 ] || atf_fail "the database never held still"
	done
	# Figure by figure: every leaf of either side.
	jq -r '.expected as $e | .got as $g |
	    [($e, $g) | paths(type != "object" and type != "array")] |
	    unique | .[] | . as $p |
	    select(($e | getpath($p)) != ($g | getpath($p))) |
	    "\(map(tostring) | join(".")): stats \($g | getpath($p)), SQL \($e |
	    getpath($p))"' figs >wrong
	jq -r '.wrong[]' figs >>wrong
	[ ! -s wrong ] ||
	    atf_fail "$(wc -l <wrong) figures wrong: $(tr '\n' ';' <wrong)"
	# Nothing vacuous: every figure has rows to count (the recent lists'
	# retries aside).
	jq '[paths(numbers) as $p | select(getpath($p) == 0) |
	    $p | map(tostring) | join(".")] |
	    map(select(test("^[a-z_]+\\.recent\\.") | not))' body >zeros
	[ "$(jq length zeros)" = 0 ] ||
	    atf_fail "figures without rows: $(jq -c . zeros)"
	json '(.retryable.recent | length) == 10 and
	    (.failed.recent | length) == 10 and
	    (.invalid_webhooks.recent | length) == 20'
	# The parts add up to the total: no status or source left out.
	json '(.leads.by_status | add) == .leads.total and
	    (.leads.by_source | add) == .leads.total'
	# The tiers add up to the leads whose CPF one found.
	json '([.tiers.by_tier[].leads] | add) == .tiers.found and
	    (.tiers.by_tier | keys) == ["diretrix_email", "diretrix_phone",
	    "stored", "work_phone"]'
	# When it was made; the machine's duplicate leads, from its shared
	# file as /metrics prints them.
	jq -e --argjson t0 "$t0" '.generated_at >= $t0 and
	    .generated_at <= .now' figs >/dev/null ||
	    atf_fail "generated_at $(jq .generated_at body), not now"
	json ".saved.duplicate_leads == {\"scope\": \"machine\",
	    \"found_in_file\": $(metric 'c2s_dedup_total{result="hit_file"}' m2),
	    \"found_in_database\":
	    $(metric 'c2s_dedup_total{result="hit_database"}' m2)}"
	private_stack_stop
}
stats__match_database_cleanup() { private_stack_stop; }

# dedups SCRAPE: the machine's duplicate leads in a scrape.
dedups() {
	grep '^c2s_dedup_total{result="hit_' "$1"
}

atf_test_case stats__counts_move
stats__counts_move_head() {
	atf_set descr "a new completed lead moves total, completed, today's" \
	    "bar, the dossiers fetched and the leads Diretrix's phone tier" \
	    "found by one; the same lead asked again" \
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
	    $y.saved.dossiers_fetched == $x.saved.dossiers_fetched + 1 and
	    $y.tiers.found == $x.tiers.found + 1 and
	    $y.tiers.by_tier.diretrix_phone.leads ==
		$x.tiers.by_tier.diretrix_phone.leads + 1' |
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

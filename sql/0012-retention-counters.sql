-- sql/0012-retention-counters.sql
--
-- Bounded tables (issue [2.2]): webhook events, finished jobs and the raw
-- payloads of Google Ads forms are pruned by the worker after
-- RETENTION_DAYS (lib/worker.c), in batches, through the indexes made
-- here; and GET /api/v1/stats no longer counts whole tables (webhook
-- events, jobs, leads): it reads counters kept exact by statement
-- triggers in the very transactions that change the rows (a figure is
-- then what count(*) would say, over the rows still kept, at the cost of
-- one indexed read), and windows (today, 7 days, the last hour) through
-- their indexes.
--
-- Repeated invalid events: an event without a lead id is keyed by the
-- md5 of its payload (0010), one with a lead id by its updated_at (0005),
-- so the same event sent again, valid or not, is one row.  Two events of
-- one lead with different updated_at values are different events (C2S
-- changed the lead in between) and are two rows, invalid or not: what
-- bounds them is the retention.

-- Figures kept as they change: name, value.  Written only by the
-- triggers below (and set once here); read by c2s.stats_json().
CREATE TABLE c2s.counters (
	name	text PRIMARY KEY,
	value	bigint NOT NULL DEFAULT 0
);

-- Add the non-zero deltas to their counters, in name order (so that two
-- transactions take the rows' locks in one order, never a deadlock).
CREATE FUNCTION c2s.counters_add(p_names text[], p_deltas bigint[])
    RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	r	record;
BEGIN
	FOR r IN SELECT n, sum(d) AS d FROM unnest(p_names, p_deltas) u(n, d)
	    GROUP BY n HAVING sum(d) <> 0 ORDER BY n LOOP
		INSERT INTO c2s.counters AS c (name, value) VALUES (r.n, r.d)
		ON CONFLICT (name) DO UPDATE SET value = c.value + r.d;
	END LOOP;
END
$$;

-- The counter names of a webhook event's disposition: every event counts
-- in webhook_events; those that caused no run in webhook_events_merged
-- (as 0006 counts them); the invalid ones in webhook_events_invalid.
CREATE FUNCTION c2s.webhook_counter_names(p_disposition text)
    RETURNS text[]
LANGUAGE sql IMMUTABLE
RETURN ARRAY['webhook_events'] ||
    CASE WHEN p_disposition IN ('merged', 'unchanged', 'own_note', 'closed')
	THEN ARRAY['webhook_events_merged']
	WHEN p_disposition = 'invalid' THEN ARRAY['webhook_events_invalid']
	ELSE '{}'::text[] END;

-- After each statement on c2s.webhook_events: +1 for the rows it made or
-- changed to, -1 for the rows it removed or changed from, netted (an
-- update that moves no figure touches no counter).
CREATE FUNCTION c2s.webhook_events_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n	text[];
	d	bigint[];
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE c2s.counters SET value = 0
		WHERE name LIKE 'webhook\_events%';
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(k), array_agg(1::bigint) INTO n, d
		FROM new_rows, unnest(c2s.webhook_counter_names(disposition)) k;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(k), array_agg(-1::bigint) INTO n, d
		FROM old_rows, unnest(c2s.webhook_counter_names(disposition)) k;
	ELSE
		SELECT array_agg(k), array_agg(v) INTO n, d FROM (
		    SELECT k, 1::bigint AS v FROM new_rows,
			unnest(c2s.webhook_counter_names(disposition)) k
		    UNION ALL SELECT k, -1 FROM old_rows,
			unnest(c2s.webhook_counter_names(disposition)) k) x;
	END IF;
	PERFORM c2s.counters_add(coalesce(n, '{}'), coalesce(d, '{}'));
	RETURN NULL;
END
$$;

-- The same for c2s.jobs, by state: jobs_queued, jobs_running, jobs_done,
-- jobs_failed.
CREATE FUNCTION c2s.jobs_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n	text[];
	d	bigint[];
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE c2s.counters SET value = 0 WHERE name LIKE 'jobs\_%';
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg('jobs_' || state), array_agg(1::bigint)
		INTO n, d FROM new_rows;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg('jobs_' || state), array_agg(-1::bigint)
		INTO n, d FROM old_rows;
	ELSE
		SELECT array_agg(k), array_agg(v) INTO n, d FROM (
		    SELECT 'jobs_' || state AS k, 1::bigint AS v FROM new_rows
		    UNION ALL SELECT 'jobs_' || state, -1 FROM old_rows) x;
	END IF;
	PERFORM c2s.counters_add(coalesce(n, '{}'), coalesce(d, '{}'));
	RETURN NULL;
END
$$;

-- The figures of a lead row: it counts in leads_total, in its status's
-- and its source's counters, and its dossiers fetched and reused.
CREATE FUNCTION c2s.lead_counter_deltas(p_status text, p_source text,
    p_fetched integer, p_reused integer, p_sign integer,
    OUT name text, OUT delta bigint) RETURNS SETOF record
LANGUAGE sql IMMUTABLE
AS $$
	VALUES ('leads_total', p_sign::bigint),
	    ('leads_status_' || p_status, p_sign),
	    ('leads_source_' || p_source, p_sign),
	    ('leads_dossiers_fetched', p_sign::bigint * p_fetched),
	    ('leads_dossiers_reused', p_sign::bigint * p_reused)
$$;

-- The same for c2s.leads; a lead's status change moves two counters, an
-- update of anything else none.
CREATE FUNCTION c2s.leads_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n	text[];
	d	bigint[];
BEGIN
	IF TG_OP = 'TRUNCATE' THEN
		UPDATE c2s.counters SET value = 0 WHERE name LIKE 'leads\_%';
		RETURN NULL;
	END IF;
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d
		FROM new_rows r, c2s.lead_counter_deltas(r.status, r.source,
		    r.dossiers_fetched, r.dossiers_reused, 1) c;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d
		FROM old_rows r, c2s.lead_counter_deltas(r.status, r.source,
		    r.dossiers_fetched, r.dossiers_reused, -1) c;
	ELSE
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d FROM (
		    SELECT c.* FROM new_rows r, c2s.lead_counter_deltas(r.status,
			r.source, r.dossiers_fetched, r.dossiers_reused, 1) c
		    UNION ALL SELECT c.* FROM old_rows r,
			c2s.lead_counter_deltas(r.status, r.source,
			r.dossiers_fetched, r.dossiers_reused, -1) c) c;
	END IF;
	PERFORM c2s.counters_add(coalesce(n, '{}'), coalesce(d, '{}'));
	RETURN NULL;
END
$$;

-- The triggers first: they lock the tables against writers until this
-- migration commits, so the counts below miss nothing.
CREATE TRIGGER webhook_events_count_ins AFTER INSERT ON c2s.webhook_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.webhook_events_count();
CREATE TRIGGER webhook_events_count_upd AFTER UPDATE ON c2s.webhook_events
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.webhook_events_count();
CREATE TRIGGER webhook_events_count_del AFTER DELETE ON c2s.webhook_events
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.webhook_events_count();
CREATE TRIGGER webhook_events_count_trunc AFTER TRUNCATE
	ON c2s.webhook_events
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.webhook_events_count();
CREATE TRIGGER jobs_count_ins AFTER INSERT ON c2s.jobs
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.jobs_count();
CREATE TRIGGER jobs_count_upd AFTER UPDATE ON c2s.jobs
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.jobs_count();
CREATE TRIGGER jobs_count_del AFTER DELETE ON c2s.jobs
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.jobs_count();
CREATE TRIGGER jobs_count_trunc AFTER TRUNCATE ON c2s.jobs
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.jobs_count();
CREATE TRIGGER leads_count_ins AFTER INSERT ON c2s.leads
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_count();
CREATE TRIGGER leads_count_upd AFTER UPDATE ON c2s.leads
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_count();
CREATE TRIGGER leads_count_del AFTER DELETE ON c2s.leads
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_count();
CREATE TRIGGER leads_count_trunc AFTER TRUNCATE ON c2s.leads
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_count();

-- Every counter, from the rows there are now.
INSERT INTO c2s.counters (name, value)
SELECT n, 0 FROM unnest(ARRAY['webhook_events', 'webhook_events_merged',
    'webhook_events_invalid', 'jobs_queued', 'jobs_running', 'jobs_done',
    'jobs_failed']) n;
SELECT c2s.counters_add(coalesce(array_agg(k), '{}'),
    coalesce(array_agg(c), '{}'))
FROM (SELECT k, count(*) AS c FROM c2s.webhook_events e,
    unnest(c2s.webhook_counter_names(e.disposition)) k GROUP BY k) x;
SELECT c2s.counters_add(coalesce(array_agg('jobs_' || state), '{}'),
    coalesce(array_agg(c), '{}'))
FROM (SELECT state, count(*) AS c FROM c2s.jobs GROUP BY state) x;
SELECT c2s.counters_add(coalesce(array_agg(name), '{}'),
    coalesce(array_agg(delta), '{}'))
FROM (SELECT c.name, sum(c.delta)::bigint AS delta FROM c2s.leads r,
    c2s.lead_counter_deltas(r.status, r.source, r.dossiers_fetched,
    r.dossiers_reused, 1) c GROUP BY c.name) x;

-- A counter's value; 0 for one never set.
CREATE FUNCTION c2s.counter(p_name text) RETURNS bigint
LANGUAGE sql STABLE
RETURN coalesce((SELECT value FROM c2s.counters WHERE name = p_name), 0);

-- What the worker's pruning walks: the oldest first, by index.
CREATE INDEX webhook_events_received_idx
	ON c2s.webhook_events (received_at);
CREATE INDEX jobs_finished_idx ON c2s.jobs (finished_at)
	WHERE state IN ('done', 'failed');
CREATE INDEX google_leads_prune_idx ON c2s.google_leads (created_at)
	WHERE state IN ('created', 'test', 'unknown')
	AND NOT payload ? 'pruned_at';

-- One batch of pruning: at most p_limit rows of p_what ('webhook_events',
-- 'jobs' or 'google_payloads') older than p_days days deleted (a Google
-- form keeps its row, the idempotency key of the form, and its payload
-- becomes {"pruned_at": ...}).  Returns how many; the worker calls it
-- again, each call its own short transaction, until it returns less than
-- p_limit.  NULL for an unknown p_what.
CREATE FUNCTION c2s.prune_batch(p_what text, p_days integer,
    p_limit integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	cutoff	timestamptz := now() - make_interval(days => p_days);
	n	bigint;
BEGIN
	IF p_what = 'webhook_events' THEN
		DELETE FROM c2s.webhook_events WHERE id IN (SELECT id
		    FROM c2s.webhook_events WHERE received_at < cutoff
		    ORDER BY received_at LIMIT p_limit);
	ELSIF p_what = 'jobs' THEN
		DELETE FROM c2s.jobs WHERE id IN (SELECT id FROM c2s.jobs
		    WHERE state IN ('done', 'failed') AND finished_at < cutoff
		    ORDER BY finished_at LIMIT p_limit);
	ELSIF p_what = 'google_payloads' THEN
		UPDATE c2s.google_leads SET payload =
		    jsonb_build_object('pruned_at', now())
		WHERE form_lead_id IN (SELECT form_lead_id
		    FROM c2s.google_leads WHERE state IN ('created', 'test',
		    'unknown') AND NOT payload ? 'pruned_at'
		    AND created_at < cutoff ORDER BY created_at LIMIT p_limit);
	ELSE
		RETURN NULL;
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

-- The invalid events the operators see, as in 0010, counted from the
-- counter.
CREATE OR REPLACE FUNCTION c2s.webhooks_invalid_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_build_object(
	'count', c2s.counter('webhook_events_invalid'),
	'recent', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id,
	    'received_at', r.received_at, 'hook_action', r.hook_action,
	    'error', r.error, 'keys', (SELECT coalesce(jsonb_agg(k ORDER BY k),
		'[]') FROM jsonb_object_keys(CASE WHEN jsonb_typeof(r.payload)
		= 'object' THEN r.payload ELSE '{}' END) k))
	    ORDER BY r.id DESC), '[]')
	    FROM (SELECT id, received_at, hook_action, error, payload
		FROM c2s.webhook_events WHERE disposition = 'invalid'
		ORDER BY id DESC LIMIT 20) r));

-- The figures of GET /api/v1/stats as in 0006, bounded: what counts
-- over all time (leads by status and by source, the failed leads, the
-- dossiers, the webhook events, the jobs) is read from the counters; what
-- counts over a window (today and 7 days, by created_at; the upstreams'
-- last hour, by updated_at) reads that window through its index; the
-- retryable leads through leads_retry_idx (they leave it within the retry
-- schedule); the recent lists are LIMIT 10 through leads_updated_idx.
CREATE OR REPLACE FUNCTION c2s.stats_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN (
	WITH w AS (
		SELECT name, since FROM (VALUES
		    ('today', date_trunc('day', now() AT TIME ZONE 'UTC')
			AT TIME ZONE 'UTC'),
		    ('last_7_days', date_trunc('day', now() AT TIME ZONE 'UTC')
			AT TIME ZONE 'UTC' - interval '6 days')) v(name, since)
	), l AS (
		SELECT status, created_at FROM c2s.leads
		WHERE created_at >= (SELECT min(since) FROM w)
	), days AS (
		SELECT g::date AS day FROM generate_series(
		    (now() AT TIME ZONE 'UTC')::date - 6,
		    (now() AT TIME ZONE 'UTC')::date, interval '1 day') g
	), g AS (
		SELECT (created_at AT TIME ZONE 'UTC')::date AS day, status,
		    count(*) AS c FROM l GROUP BY 1, 2
	), a AS (
		SELECT c2s.counter('leads_total') AS leads,
		    c2s.counter('leads_status_completed') AS enriched,
		    c2s.counter('leads_status_completed') +
		    c2s.counter('leads_status_partial') +
		    c2s.counter('leads_status_basic') AS with_cpf
	)
	SELECT jsonb_build_object(
	    'generated_at', now(),
	    'leads', jsonb_build_object(
		'total', c2s.counter('leads_total'),
		'by_status', (SELECT jsonb_object_agg(s,
		    c2s.counter('leads_status_' || s)) FROM unnest(ARRAY[
		    'received', 'processing', 'completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) s),
		'by_source', (SELECT jsonb_object_agg(s,
		    c2s.counter('leads_source_' || s)) FROM unnest(ARRAY['api',
		    'webhook', 'poller', 'google_ads', 'retry']) s)),
	    'enrichment_rate', (SELECT jsonb_object_agg(w.name, r) FROM w,
		LATERAL (SELECT jsonb_build_object(
		    'leads', coalesce(sum(c), 0),
		    'enriched', coalesce(sum(c) FILTER (WHERE status =
			'completed'), 0),
		    'with_cpf', coalesce(sum(c) FILTER (WHERE status IN
			('completed', 'partial', 'basic')), 0),
		    'rate', round(coalesce(sum(c) FILTER (WHERE status =
			'completed'), 0) / nullif(sum(c), 0), 4))
		    AS r FROM g
		    WHERE g.day >= (w.since AT TIME ZONE 'UTC')::date) x) ||
		(SELECT jsonb_build_object('all_time', jsonb_build_object(
		    'leads', a.leads, 'enriched', a.enriched,
		    'with_cpf', a.with_cpf, 'rate', round(a.enriched::numeric /
		    nullif(a.leads, 0), 4))) FROM a),
	    'daily', (SELECT jsonb_agg(jsonb_build_object('date', days.day,
		'total', (SELECT coalesce(sum(g.c), 0) FROM g
		    WHERE g.day = days.day))
		|| (SELECT jsonb_object_agg(s, (SELECT coalesce(sum(g.c), 0)
		    FROM g WHERE g.status = s AND g.day = days.day))
		    FROM unnest(ARRAY['completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) s)
		ORDER BY days.day) FROM days),
	    'retryable', jsonb_build_object(
		'count', (SELECT count(*) FROM c2s.leads
		    WHERE status IN ('partial', 'unenriched')
		    AND next_retry_at IS NOT NULL),
		'next_retry_at', (SELECT min(next_retry_at) FROM c2s.leads
		    WHERE status IN ('partial', 'unenriched')),
		'recent', c2s.leads_recent(ARRAY['partial', 'unenriched'])),
	    'failed', jsonb_build_object(
		'count', c2s.counter('leads_status_failed'),
		'recent', c2s.leads_recent(ARRAY['failed'])),
	    'upstreams', (SELECT jsonb_object_agg(z.name, z.o) FROM (
		SELECT u.name, jsonb_build_object('errors_1h', count(x.lead_id),
		    'last_error_at', max(x.updated_at)) AS o
		FROM (VALUES ('c2s', '^c2s'), ('diretrix', '^diretrix'),
		    ('work_api', '^work')) u(name, re)
		LEFT JOIN c2s.leads x ON x.last_error ~ u.re
		    AND x.updated_at > now() - interval '1 hour'
		GROUP BY u.name) z),
	    'saved', jsonb_build_object(
		'dossiers_fetched', c2s.counter('leads_dossiers_fetched'),
		'dossiers_reused', c2s.counter('leads_dossiers_reused'),
		'webhook_events', c2s.counter('webhook_events'),
		'webhook_events_merged', c2s.counter('webhook_events_merged')),
	    'jobs', (SELECT jsonb_object_agg(s, c2s.counter('jobs_' || s))
		FROM unnest(ARRAY['queued', 'running', 'done', 'failed']) s))
);

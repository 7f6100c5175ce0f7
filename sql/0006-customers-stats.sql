-- sql/0006-customers-stats.sql
--
-- The read side of the API (issue [6/9]): one JSON shape for a stored
-- person, built here so that every route that shows a person shows the
-- same thing in one round trip, and what /api/v1/stats counts.

-- How many dossiers a lead's last run fetched from the Work API and how
-- many it reused (stored or cached): the calls de-duplication saved.
ALTER TABLE c2s.leads
	ADD COLUMN dossiers_fetched integer NOT NULL DEFAULT 0
		CHECK (dossiers_fetched >= 0),
	ADD COLUMN dossiers_reused integer NOT NULL DEFAULT 0
		CHECK (dossiers_reused >= 0);

-- Leads by day for the 7-day chart of the status page.
CREATE INDEX leads_created_idx ON c2s.leads (created_at);

-- Persons found by a phone or an e-mail also kept on the person's
-- contacts: the index on (type, value) serves both lookups.

-- "8.500,50" or "8500.50" as a number; NULL when it is not one.
CREATE FUNCTION c2s.brl_number(t text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE
	WHEN t ~ '^\s*[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?\s*$'
	    THEN replace(replace(btrim(t), '.', ''), ',', '.')::numeric
	WHEN t ~ '^\s*[0-9]+([.,][0-9]+)?\s*$'
	    THEN replace(btrim(t), ',', '.')::numeric
	END;

-- A stored person as the API shows it: identity, the newest dossier's
-- basic and economic data, contacts, addresses, the leads that found the
-- person (sources) and timestamps.  NULL when there is no such person.
CREATE FUNCTION c2s.customer_json(p_id uuid) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (
	SELECT jsonb_build_object(
	    'id', p.id,
	    'cpf', btrim(p.cpf),
	    'name', p.name,
	    'birth_date', p.birth_date,
	    'sex', nullif(d.raw #>> '{DadosBasicos,sexo}', ''),
	    'mother_name', nullif(d.raw #>> '{DadosBasicos,nomeMae}', ''),
	    'father_name', nullif(d.raw #>> '{DadosBasicos,nomePai}', ''),
	    'marital_status',
		nullif(d.raw #>> '{DadosBasicos,estadoCivil}', ''),
	    'economic', CASE WHEN jsonb_typeof(d.raw -> 'DadosEconomicos')
		= 'object' THEN jsonb_build_object(
		'income', c2s.brl_number(
		    d.raw #>> '{DadosEconomicos,renda}'),
		'income_text', nullif(
		    d.raw #>> '{DadosEconomicos,renda}', ''),
		'purchasing_power', nullif(d.raw #>>
		    '{DadosEconomicos,poderAquisitivo,poderAquisitivoDescricao}',
		    ''),
		'income_range', nullif(d.raw #>>
		    '{DadosEconomicos,poderAquisitivo,faixaPoderAquisitivo}',
		    ''),
		'credit_score', nullif(d.raw #>>
		    '{DadosEconomicos,score,scoreCSBA}', ''),
		'risk', nullif(d.raw #>>
		    '{DadosEconomicos,score,scoreCSBAFaixaRisco}', ''))
		END,
	    'phones', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'number', c.value, 'whatsapp', c.whatsapp,
		'source', c.source, 'first_seen', c.created_at)
		ORDER BY c.id)
		FROM c2s.contacts c
		WHERE c.person_id = p.id AND c.type = 'phone'), '[]'),
	    'emails', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'address', c.value, 'source', c.source,
		'first_seen', c.created_at) ORDER BY c.id)
		FROM c2s.contacts c
		WHERE c.person_id = p.id AND c.type = 'email'), '[]'),
	    'addresses', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'street', a.street, 'number', a.number,
		'complement', a.complement, 'district', a.district,
		'city', a.city, 'uf', a.uf, 'cep', a.cep,
		'first_seen', a.created_at) ORDER BY a.id)
		FROM c2s.addresses a WHERE a.person_id = p.id), '[]'),
	    'dossier', CASE WHEN d.id IS NOT NULL THEN jsonb_build_object(
		'source', 'work_api', 'fetched_at', d.fetched_at,
		'count', (SELECT count(*) FROM c2s.dossiers x
		    WHERE x.person_id = p.id)) END,
	    'leads', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'lead_id', l.lead_id, 'found_by', lp.found_by,
		'status', l.status, 'source', l.source,
		'created_at', l.created_at) ORDER BY l.created_at DESC)
		FROM c2s.lead_persons lp
		JOIN c2s.leads l ON l.lead_id = lp.lead_id
		WHERE lp.person_id = p.id), '[]'),
	    'created_at', p.created_at,
	    'updated_at', p.updated_at)
	FROM c2s.persons p
	LEFT JOIN LATERAL (SELECT x.id, x.raw, x.fetched_at
	    FROM c2s.dossiers x WHERE x.person_id = p.id
	    ORDER BY x.fetched_at DESC LIMIT 1) d ON true
	WHERE p.id = p_id
);

-- The ten leads in one of "states" updated last, as the status page
-- lists them (lead ids are C2S's, not personal data; last_error is
-- log-safe text).
CREATE FUNCTION c2s.leads_recent(states text[]) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (
	SELECT coalesce(jsonb_agg(jsonb_build_object('lead_id', r.lead_id,
	    'status', r.status, 'retries', r.retries,
	    'next_retry_at', r.next_retry_at, 'last_error', r.last_error,
	    'updated_at', r.updated_at) ORDER BY r.updated_at DESC), '[]')
	FROM (SELECT * FROM c2s.leads WHERE status = ANY (states)
	    ORDER BY updated_at DESC LIMIT 10) r
);

-- Which leads an upstream failed lately: last_error names the step.
CREATE INDEX leads_updated_idx ON c2s.leads (updated_at);

-- The figures of GET /api/v1/stats, in one statement.  "Enriched" means
-- completed (CPF and dossier); "with_cpf" adds partial and basic.  Days
-- are UTC days.
CREATE FUNCTION c2s.stats_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN (
	WITH l AS (
		SELECT status, source, created_at, dossiers_fetched,
		    dossiers_reused, next_retry_at FROM c2s.leads
	), w AS (
		SELECT name, since FROM (VALUES
		    ('today', date_trunc('day', now() AT TIME ZONE 'UTC')
			AT TIME ZONE 'UTC'),
		    ('last_7_days', date_trunc('day', now() AT TIME ZONE 'UTC')
			AT TIME ZONE 'UTC' - interval '6 days'),
		    ('all_time', '-infinity'::timestamptz)) v(name, since)
	), days AS (
		SELECT g::date AS day FROM generate_series(
		    (now() AT TIME ZONE 'UTC')::date - 6,
		    (now() AT TIME ZONE 'UTC')::date, interval '1 day') g
	)
	SELECT jsonb_build_object(
	    'generated_at', now(),
	    'leads', jsonb_build_object(
		'total', (SELECT count(*) FROM l),
		'by_status', (SELECT jsonb_object_agg(s, (SELECT count(*)
		    FROM l WHERE l.status = s)) FROM unnest(ARRAY['received',
		    'processing', 'completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) s),
		'by_source', (SELECT jsonb_object_agg(s, (SELECT count(*)
		    FROM l WHERE l.source = s)) FROM unnest(ARRAY['api',
		    'webhook', 'poller', 'google_ads', 'retry']) s)),
	    'enrichment_rate', (SELECT jsonb_object_agg(w.name, r) FROM w,
		LATERAL (SELECT jsonb_build_object(
		    'leads', count(*),
		    'enriched', count(*) FILTER (WHERE status = 'completed'),
		    'with_cpf', count(*) FILTER (WHERE status IN
			('completed', 'partial', 'basic')),
		    'rate', round(count(*) FILTER (WHERE status =
			'completed')::numeric / nullif(count(*), 0), 4))
		    AS r FROM l WHERE l.created_at >= w.since) x),
	    'daily', (SELECT jsonb_agg(jsonb_build_object('date', days.day,
		'total', (SELECT count(*) FROM l WHERE
		    (l.created_at AT TIME ZONE 'UTC')::date = days.day))
		|| (SELECT jsonb_object_agg(s, (SELECT count(*) FROM l
		    WHERE l.status = s AND
		    (l.created_at AT TIME ZONE 'UTC')::date = days.day))
		    FROM unnest(ARRAY['completed', 'partial', 'basic',
		    'unenriched', 'invalid_contact', 'failed']) s)
		ORDER BY days.day) FROM days),
	    'retryable', jsonb_build_object(
		'count', (SELECT count(*) FROM l
		    WHERE status IN ('partial', 'unenriched')
		    AND next_retry_at IS NOT NULL),
		'next_retry_at', (SELECT min(next_retry_at) FROM l
		    WHERE status IN ('partial', 'unenriched')),
		'recent', c2s.leads_recent(ARRAY['partial', 'unenriched'])),
	    'failed', jsonb_build_object(
		'count', (SELECT count(*) FROM l WHERE status = 'failed'),
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
		'dossiers_fetched', (SELECT coalesce(sum(dossiers_fetched), 0)
		    FROM l),
		'dossiers_reused', (SELECT coalesce(sum(dossiers_reused), 0)
		    FROM l),
		'webhook_events', (SELECT count(*) FROM c2s.webhook_events),
		'webhook_events_merged', (SELECT count(*)
		    FROM c2s.webhook_events
		    WHERE disposition IN ('merged', 'unchanged', 'own_note',
		    'closed'))),
	    'jobs', (SELECT jsonb_object_agg(s, (SELECT count(*)
		FROM c2s.jobs j WHERE j.state = s))
		FROM unnest(ARRAY['queued', 'running', 'done', 'failed']) s))
);

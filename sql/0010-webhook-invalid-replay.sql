-- sql/0010-webhook-invalid-replay.sql
--
-- C2S webhooks as C2S really sends them (issue [2.1]): an event that will
-- not run (no lead id, a missing or unknown hook_action) is kept as sent
-- with the reason, listed for the operators, and can be replayed once
-- fixed; one without a lead id is stored once however often it comes.
-- The choice of a disposition moves into one function that both the
-- ingest and the replay call.  One rule changes on the way: an
-- on_update_lead whose contacts are unusable, for a lead run with
-- unusable contacts, is 'unchanged' (there is nothing new to look up);
-- it was queued again.

-- Why an event was found invalid; NULL for the others.
ALTER TABLE c2s.webhook_events ADD COLUMN error text;

-- The invalid events, newest first, without a scan of the whole table.
CREATE INDEX webhook_events_invalid_idx ON c2s.webhook_events (id)
	WHERE disposition = 'invalid';

-- An invalid event replayed after its same (lead, updated_at) had come
-- valid meanwhile: kept, nothing queued.
ALTER TABLE c2s.webhook_events DROP CONSTRAINT
	webhook_events_disposition_check;
ALTER TABLE c2s.webhook_events ADD CONSTRAINT
	webhook_events_disposition_check CHECK (disposition IN ('queued',
	'merged', 'closed', 'unchanged', 'own_note', 'invalid', 'duplicate'));

-- The disposition of stored event "ev" (of lead p_lead, action p_action),
-- written into its row; a job is queued when the event asks for a run:
--   invalid    p_error is set (no lead id, no or unknown hook_action)
--   closed     on_close_lead: recorded only
--   own_note   the event carries a note this service posted
--   unchanged  the lead was processed with these same contacts (a lead
--              whose contacts were never usable counts as '' both ways)
--   merged     a job for the lead is already queued
--   queued     a new job; the workers are notified
CREATE FUNCTION c2s.webhook_dispose(ev bigint, p_lead text, p_action text,
    p_contacts text, p_message text, p_error text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	d	text;
BEGIN
	IF p_lead IS NULL OR p_error IS NOT NULL THEN
		d := 'invalid';
		p_error := coalesce(p_error, 'no lead id');
	ELSIF p_action = 'on_close_lead' THEN
		d := 'closed';
	ELSIF p_message <> '' AND EXISTS (SELECT 1 FROM c2s.notes n
	    WHERE n.lead_id = p_lead AND n.text_sha256 =
	    encode(sha256(convert_to(p_message, 'UTF8')), 'hex')) THEN
		d := 'own_note';
	ELSIF EXISTS (SELECT 1 FROM c2s.leads l
	    WHERE l.lead_id = p_lead
	    AND coalesce(l.contacts_seen, '') = p_contacts
	    AND (p_contacts <> '' OR p_action = 'on_update_lead')
	    AND l.status NOT IN ('received', 'processing')) THEN
		d := 'unchanged';
	ELSE
		INSERT INTO c2s.jobs (kind, ref, source)
		VALUES ('lead', p_lead, 'webhook')
		ON CONFLICT (kind, ref) WHERE state = 'queued' DO NOTHING;
		IF FOUND THEN
			d := 'queued';
			PERFORM pg_notify('c2s_jobs', 'lead');
		ELSE
			d := 'merged';
		END IF;
	END IF;
	UPDATE c2s.webhook_events SET disposition = d,
	    error = CASE WHEN d = 'invalid' THEN p_error END
	WHERE id = ev;
	RETURN d;
END
$$;

-- An event without a lead id is keyed by its content, so the same one
-- sent again is a repeat, stored once.  Rows stored before with the same
-- key (the event's updated_at) are told apart first.
UPDATE c2s.webhook_events e SET event_key = e.event_key || '#' || e.id
WHERE e.lead_id IS NULL AND EXISTS (SELECT 1 FROM c2s.webhook_events o
    WHERE o.lead_id IS NULL AND o.event_key = e.event_key AND o.id < e.id);
CREATE UNIQUE INDEX webhook_events_nolead_key_idx
	ON c2s.webhook_events (event_key) WHERE lead_id IS NULL;

-- One webhook event in, its disposition out, in one transaction; an
-- event stored before (same lead, same event key) is 'duplicate' and not
-- stored again, unless the one stored was invalid: sent again invalid, it
-- is 'invalid' again (it will not run: never a 200); sent again valid
-- (a corrected action), it takes the invalid one's place and runs.
CREATE FUNCTION c2s.webhook_ingest(p_lead text, p_key text, p_action text,
    p_payload jsonb, p_contacts text, p_message text, p_error text)
    RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	ev	bigint;
	old	text;
BEGIN
	IF p_lead IS NULL OR coalesce(p_key, '') = '' THEN
		p_key := 'md5:' || md5(p_payload::text);
	END IF;
	INSERT INTO c2s.webhook_events (lead_id, event_key, hook_action,
	    payload, disposition)
	VALUES (p_lead, p_key, p_action, p_payload, 'invalid')
	ON CONFLICT DO NOTHING
	RETURNING id INTO ev;
	IF ev IS NULL THEN
		SELECT id, disposition INTO ev, old FROM c2s.webhook_events
		WHERE lead_id IS NOT DISTINCT FROM p_lead AND event_key = p_key
		FOR UPDATE;
		IF old IS DISTINCT FROM 'invalid' THEN
			RETURN 'duplicate';
		ELSIF p_error IS NOT NULL THEN
			RETURN 'invalid';
		END IF;
		UPDATE c2s.webhook_events SET hook_action = p_action,
		    payload = p_payload WHERE id = ev;
	END IF;
	RETURN c2s.webhook_dispose(ev, p_lead, p_action, p_contacts,
	    p_message, p_error);
END
$$;

-- The function of 0005, for responders of the release before this one
-- while they finish (their prepared statement names it): the same, with
-- no parse error known.
CREATE OR REPLACE FUNCTION c2s.webhook_ingest(p_lead text, p_key text,
    p_action text, p_payload jsonb, p_contacts text, p_message text)
    RETURNS text
LANGUAGE sql AS $$
	SELECT c2s.webhook_ingest(p_lead, p_key, p_action, p_payload,
	    p_contacts, p_message, NULL)
$$;

-- Run invalid event "ev" again with what its payload parses to now.
-- Returns its new disposition; NULL when it is not (or no longer) an
-- invalid event.  Its (lead, event key) stored meanwhile by another
-- delivery (the unique key decides, a concurrent one included) makes it
-- 'duplicate': kept under a key of its own, nothing run.
CREATE FUNCTION c2s.webhook_replay(ev bigint, p_lead text, p_key text,
    p_action text, p_contacts text, p_message text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	k	text;
BEGIN
	SELECT coalesce(nullif(p_key, ''), 'md5:' || md5(e.payload::text))
	INTO k FROM c2s.webhook_events e
	WHERE e.id = ev AND e.disposition = 'invalid' FOR UPDATE;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	BEGIN
		UPDATE c2s.webhook_events SET lead_id = p_lead, event_key = k,
		    hook_action = p_action
		WHERE id = ev;
	EXCEPTION WHEN unique_violation THEN
		UPDATE c2s.webhook_events SET lead_id = p_lead,
		    event_key = k || '#replay' || ev, hook_action = p_action,
		    disposition = 'duplicate', error = NULL
		WHERE id = ev;
		RETURN 'duplicate';
	END;
	RETURN c2s.webhook_dispose(ev, p_lead, p_action, p_contacts,
	    p_message, NULL);
END
$$;

-- The invalid events the operators see: how many, and the newest 20 with
-- the reason and the start of what was sent (a payload holds a lead's
-- contacts: the page shows the keys only, not the values).
CREATE FUNCTION c2s.webhooks_invalid_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_build_object(
	'count', (SELECT count(*) FROM c2s.webhook_events
	    WHERE disposition = 'invalid'),
	'recent', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', r.id,
	    'received_at', r.received_at, 'hook_action', r.hook_action,
	    'error', r.error, 'keys', (SELECT coalesce(jsonb_agg(k ORDER BY k),
		'[]') FROM jsonb_object_keys(CASE WHEN jsonb_typeof(r.payload)
		= 'object' THEN r.payload ELSE '{}' END) k))
	    ORDER BY r.id DESC), '[]')
	    FROM (SELECT id, received_at, hook_action, error, payload
		FROM c2s.webhook_events WHERE disposition = 'invalid'
		ORDER BY id DESC LIMIT 20) r));

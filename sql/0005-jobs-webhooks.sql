-- sql/0005-jobs-webhooks.sql
--
-- Nothing lost (issue [5/9]): C2S webhook events are stored before they
-- are answered, the work they cause is a row in c2s.jobs that a worker
-- claims with FOR UPDATE SKIP LOCKED, and Google Ads forms are recorded
-- before the C2S lead is created, so a form is never created twice.

-- leads.retries counts the worker's scheduled retries (RETRY_SCHEDULE);
-- attempts still counts every run.  contacts_seen is "phone|email" as the
-- pipeline normalised them on its last run: a webhook whose contacts are
-- the same does not enrich again.  run_started_at is when the last run
-- began: a webhook job older than it was answered by that run.
ALTER TABLE c2s.leads
	ADD COLUMN retries integer NOT NULL DEFAULT 0 CHECK (retries >= 0),
	ADD COLUMN contacts_seen text,
	ADD COLUMN run_started_at timestamptz;

-- Every C2S webhook event, as received (unknown keys kept), once per
-- (lead, updated_at).  An event without a usable lead id is kept with a
-- NULL lead_id for the record.
CREATE TABLE c2s.webhook_events (
	id		bigserial PRIMARY KEY,
	lead_id		text CHECK (lead_id ~ '^[0-9a-f]{32}$'),
	event_key	text NOT NULL,	-- updated_at as sent, or payload hash
	hook_action	text,
	payload		jsonb NOT NULL,
	disposition	text NOT NULL CHECK (disposition IN ('queued',
			    'merged', 'closed', 'unchanged', 'own_note',
			    'invalid')),
	received_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (lead_id, event_key)
);

-- The worker's queue.  At most one queued job per (kind, ref); a job
-- 'running' whose worker died is taken again after JOB_TIMEOUT.
CREATE TABLE c2s.jobs (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('lead', 'google_ads')),
	ref		text NOT NULL,	-- lead id, or Google form lead id
	source		text NOT NULL CHECK (source IN ('webhook', 'retry',
			    'poller', 'google_ads')),
	state		text NOT NULL DEFAULT 'queued' CHECK (state IN
			    ('queued', 'running', 'done', 'failed')),
	run_after	timestamptz NOT NULL DEFAULT now(),
	tries		integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
	owner		text,		-- host:pid of the worker running it
	started_at	timestamptz,
	finished_at	timestamptz,
	result		text,
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_one_queued_idx ON c2s.jobs (kind, ref)
	WHERE state = 'queued';
CREATE INDEX jobs_due_idx ON c2s.jobs (run_after, id)
	WHERE state = 'queued';
CREATE INDEX jobs_running_idx ON c2s.jobs (started_at)
	WHERE state = 'running';

-- Google Ads lead forms.  'creating' is written before the C2S call:
-- a form found 'creating' (its worker died mid-call) becomes 'unknown'
-- and is never created again without a person looking at it.
CREATE TABLE c2s.google_leads (
	form_lead_id	text PRIMARY KEY
			CHECK (length(form_lead_id) BETWEEN 1 AND 200),
	payload		jsonb NOT NULL,
	name		text,
	phone		text,
	email		text,
	cpf		text,
	state		text NOT NULL DEFAULT 'received' CHECK (state IN
			    ('received', 'creating', 'created', 'unknown')),
	c2s_lead_id	text CHECK (c2s_lead_id ~ '^[0-9a-f]{32}$'),
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- One webhook event in, its disposition out, in one transaction:
--   duplicate  the same (lead, event key) was stored before
--   invalid    no usable lead id: kept, nothing queued
--   closed     on_close_lead: recorded only
--   own_note   the event carries a note this service posted
--   unchanged  the lead was processed with these same contacts
--   merged     a job for the lead is already queued
--   queued     a new job; the workers are notified
CREATE FUNCTION c2s.webhook_ingest(p_lead text, p_key text, p_action text,
    p_payload jsonb, p_contacts text, p_message text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	ev	bigint;
	d	text;
BEGIN
	p_key := coalesce(nullif(p_key, ''), 'md5:' || md5(p_payload::text));
	INSERT INTO c2s.webhook_events (lead_id, event_key, hook_action,
	    payload, disposition)
	VALUES (p_lead, p_key, p_action, p_payload, 'queued')
	ON CONFLICT (lead_id, event_key) DO NOTHING
	RETURNING id INTO ev;
	IF ev IS NULL THEN
		RETURN 'duplicate';
	END IF;
	IF p_lead IS NULL THEN
		d := 'invalid';
	ELSIF p_action = 'on_close_lead' THEN
		d := 'closed';
	ELSIF p_message <> '' AND EXISTS (SELECT 1 FROM c2s.notes n
	    WHERE n.lead_id = p_lead AND n.text_sha256 =
	    encode(sha256(convert_to(p_message, 'UTF8')), 'hex')) THEN
		d := 'own_note';
	ELSIF p_contacts <> '' AND EXISTS (SELECT 1 FROM c2s.leads l
	    WHERE l.lead_id = p_lead AND l.contacts_seen = p_contacts
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
	UPDATE c2s.webhook_events SET disposition = d WHERE id = ev;
	RETURN d;
END
$$;

-- A lead first seen by a scheduled retry (its row was lost) is 'retry'.
ALTER TABLE c2s.leads DROP CONSTRAINT leads_source_check;
ALTER TABLE c2s.leads ADD CONSTRAINT leads_source_check
	CHECK (source IN ('api', 'webhook', 'poller', 'google_ads', 'retry'));

-- A CPF typed into a lead form is a fourth way to find a person.
ALTER TABLE c2s.lead_persons DROP CONSTRAINT lead_persons_found_by_check;
ALTER TABLE c2s.lead_persons ADD CONSTRAINT lead_persons_found_by_check
	CHECK (found_by IN ('phone', 'email', 'both', 'form'));

-- Leads left 'processing' by a process that died are due again too.
DROP INDEX c2s.leads_retry_idx;
CREATE INDEX leads_retry_idx ON c2s.leads (next_retry_at)
	WHERE status IN ('received', 'processing', 'partial', 'unenriched')
	    OR note_state = 'pending';

-- sql/0016-backfill.sql
--
-- c2s-enrich --backfill (issue [2.6], DESIGN.md §11.4): the C2S lead list
-- walked newest first over a range of days, every lead never seen queued
-- as a worker job of source 'backfill'.  The walk's checkpoint is a row
-- of c2s.backfills, moved in the same statement that queues a page, so a
-- run killed anywhere resumes at the first page not done; every lead it
-- queued is a row of c2s.backfill_leads (once per lead id, whatever the
-- runs), with its normalised phone, so that the newest lead of a phone
-- runs first and the person's older leads after it, from its dossier.

-- Jobs and leads of source 'backfill'.  The values allowed so far are
-- read from each constraint and kept, so that this file does not undo
-- another migration's new source whatever their order.
DO $$
DECLARE
	r	record;
	vals	text[];
BEGIN
	FOR r IN SELECT * FROM (VALUES ('jobs', 'jobs_source_check'),
	    ('leads', 'leads_source_check')) v(tab, con) LOOP
		SELECT array_agg(DISTINCT m[1] ORDER BY m[1]) INTO vals
		FROM pg_constraint k,
		    regexp_matches(pg_get_constraintdef(k.oid), '''([^'']+)''',
		    'g') m
		WHERE k.conrelid = ('c2s.' || r.tab)::regclass
		    AND k.conname = r.con;
		IF vals IS NULL THEN
			RAISE EXCEPTION 'c2s.%: no constraint %', r.tab, r.con;
		END IF;
		IF NOT 'backfill' = ANY (vals) THEN
			vals := vals || 'backfill'::text;
		END IF;
		EXECUTE format('ALTER TABLE c2s.%I DROP CONSTRAINT %I',
		    r.tab, r.con);
		EXECUTE format('ALTER TABLE c2s.%I ADD CONSTRAINT %I '
		    'CHECK (source = ANY (%L::text[]))', r.tab, r.con, vals);
	END LOOP;
END
$$;

-- A backfill: its range [since, until), whether --until was given (a
-- run without it resumes the unfinished one of the same --since, its
-- until fixed at the first start), and its checkpoint: the next page to
-- read, the created_at of the last lead done, and what it counted.
CREATE TABLE c2s.backfills (
	id		bigserial PRIMARY KEY,
	since		timestamptz NOT NULL,
	until		timestamptz NOT NULL,
	until_given	boolean NOT NULL,
	state		text NOT NULL DEFAULT 'running'
			CHECK (state IN ('running', 'done')),
	next_page	integer NOT NULL DEFAULT 1 CHECK (next_page >= 1),
	last_created	timestamptz,
	pages		integer NOT NULL DEFAULT 0 CHECK (pages >= 0),
	seen		bigint NOT NULL DEFAULT 0 CHECK (seen >= 0),
	queued		bigint NOT NULL DEFAULT 0 CHECK (queued >= 0),
	known		bigint NOT NULL DEFAULT 0 CHECK (known >= 0),
	list_total	bigint,		-- C2S's meta.total, when it says
	runs		integer NOT NULL DEFAULT 1 CHECK (runs >= 1),
	started_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	finished_at	timestamptz,
	CHECK (since < until)
);

-- Every lead a backfill queued, once: its phone (national digits, NULL
-- when it has none) and whether it was the newest of that phone (head)
-- when queued.  Bounded by the CRM's own lead count.
CREATE TABLE c2s.backfill_leads (
	lead_id		text PRIMARY KEY CHECK (lead_id ~ '^[0-9a-f]{32}$'),
	backfill_id	bigint NOT NULL REFERENCES c2s.backfills
			ON DELETE CASCADE,
	phone		text,
	head		boolean NOT NULL,
	created_at	timestamptz,	-- the lead's, as C2S listed it
	queued_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backfill_leads_phone_idx ON c2s.backfill_leads (phone)
	WHERE phone IS NOT NULL;

-- "Was this lead ever a job?" for the backfill's and the poller's pages:
-- an index rather than a scan of every job kept.
CREATE INDEX jobs_kind_ref_idx ON c2s.jobs (kind, ref);

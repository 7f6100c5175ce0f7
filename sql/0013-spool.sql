-- sql/0013-spool.sql
--
-- Nothing lost (DESIGN.md 11.2): a request that PostgreSQL could not take
-- was written to the spool (SPOOL_DIR) and answered 202; the worker
-- replays each record once the database answers.  Each record is one row
-- here, keyed by the spool file's name and the record's offset, inserted
-- in the same transaction as the rows the record makes: a record whose
-- row exists was replayed, so a replay repeated after a crash (the worker
-- killed between the commit and the file's deletion) does nothing.  A
-- row is needed only while its file exists: the worker prunes old rows.
CREATE TABLE c2s.spool_done (
	spool_id	text PRIMARY KEY
			CHECK (length(spool_id) BETWEEN 1 AND 200),
	kind		text NOT NULL CHECK (kind IN ('lead', 'enrich',
			    'webhook', 'google', 'skipped')),
	done_at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX spool_done_at_idx ON c2s.spool_done (done_at);

-- A spooled Make.com or POST trigger becomes a job of source 'api': its
-- lead keeps the source 'api' when the worker runs it.
ALTER TABLE c2s.jobs DROP CONSTRAINT jobs_source_check;
ALTER TABLE c2s.jobs ADD CONSTRAINT jobs_source_check
	CHECK (source IN ('webhook', 'retry', 'poller', 'google_ads', 'api'));

-- sql/0020-jobs-claim-indexes.sql
--
-- The worker claims live jobs before a backfill's (sql/0016).  Sorting
-- on source = 'backfill' first, as the claim did, is served by no index:
-- every claim sorted every queued job due.  The claim now asks for a
-- live job, then for a backfill one, each in (run_after, id) order
-- through its own partial index; together they cover 0005's
-- jobs_due_idx, which no statement uses any longer.
CREATE INDEX jobs_live_due_idx ON c2s.jobs (run_after, id)
	WHERE state = 'queued' AND source <> 'backfill';
CREATE INDEX jobs_backfill_due_idx ON c2s.jobs (run_after, id)
	WHERE state = 'queued' AND source = 'backfill';
DROP INDEX c2s.jobs_due_idx;

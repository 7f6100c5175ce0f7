-- sql/0003-note-states.sql
--
-- Posting a note is an upstream call made after the data is committed, so
-- the note has its own state, apart from the lead's outcome:
--   leads.note_state  none     no note decided yet
--                     pending  a note must still be posted (C2S failed)
--                     posted   posted (or the same text was posted before)
--                     skipped  no note for this lead (no usable name)
--   notes.state       posting  claimed by a responder that is posting it
--                     posted   C2S accepted it
-- A 'posting' row whose responder died is taken over after a while; a
-- failed post deletes its row, so the retry can post it.

ALTER TABLE c2s.leads
	ADD COLUMN note_state text NOT NULL DEFAULT 'none'
	CHECK (note_state IN ('none', 'pending', 'posted', 'skipped'));

ALTER TABLE c2s.notes
	ADD COLUMN state text NOT NULL DEFAULT 'posted'
	CHECK (state IN ('posting', 'posted'));

-- The worker's queue also holds leads never processed to the end and
-- leads whose note is still to be posted.
DROP INDEX c2s.leads_retry_idx;
CREATE INDEX leads_retry_idx ON c2s.leads (next_retry_at)
	WHERE status IN ('received', 'partial', 'unenriched')
	    OR note_state = 'pending';

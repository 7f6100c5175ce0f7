-- sql/0022-dossier-misses.sql
--
-- The Work API answering "no dossier" for a CPF is remembered, so that
-- the next lead of that person does not pay for the same answer again
-- (the firm pays for every lookup, a "Document not found" included).
-- One row per person the Work API had nothing for, when it was last
-- asked; the pipeline asks again once DOSSIER_MISS_MAX_AGE has passed
-- (default 7 days), and on a reprocess (the operator asked for it).  A
-- dossier stored for the person removes the row.  Not part of the
-- customer document (sql/0021): no trigger refreshes anything for it.
CREATE TABLE c2s.dossier_misses (
	person_id	uuid PRIMARY KEY
			REFERENCES c2s.persons ON DELETE CASCADE,
	asked_at	timestamptz NOT NULL DEFAULT now(),
	misses		integer NOT NULL DEFAULT 1 CHECK (misses >= 1)
);

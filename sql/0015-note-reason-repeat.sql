-- sql/0015-note-reason-repeat.sql
--
-- What sales reads (DESIGN.md 11.3): a lead with no note says why, and a
-- second lead of a person already enriched points to the first.
--   leads.note_reason  why no note was posted: 'placeholder_name: <why>'
--                      (the lead's name is "Unknown", "Teste", digits, an
--                      e-mail: core/name.c) or 'no_name'; NULL when a note
--                      was made.
--   leads.repeat_of    the earlier lead of the same person whose note
--                      sales read in full: this lead's note is a pointer
--                      to it, and no dossier was paid for again.  NULL
--                      for a note of its own.

ALTER TABLE c2s.leads
	ADD COLUMN note_reason text
	CHECK (note_reason IS NULL OR length(note_reason) BETWEEN 1 AND 200);

ALTER TABLE c2s.leads
	ADD COLUMN repeat_of text
	REFERENCES c2s.leads (lead_id) ON DELETE SET NULL
	CHECK (repeat_of IS NULL OR repeat_of <> lead_id);

-- The leads of a person (the pointer's lookup goes from a CPF to them);
-- the primary key (lead_id, person_id) serves the other direction only.
CREATE INDEX lead_persons_person_idx ON c2s.lead_persons (person_id);

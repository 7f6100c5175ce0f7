-- sql/0017-high-value.sql
--
-- A high-value lead (DESIGN.md 11.4): the reasons its dossier makes it
-- one (income times INCOME_MULTIPLIER at or above HIGH_VALUE_INCOME,
-- poder aquisitivo ALTO or above, administrator of a company, ...), as
-- the note's "⭐ Lead de alto valor: ..." line lists them, joined by
-- "; ".  NULL: not a high-value lead (or not judged: a lead run before
-- this migration).  The pipeline writes it with the lead's outcome; the
-- worker's alerts read it (one alert per lead).

ALTER TABLE c2s.leads
	ADD COLUMN high_value text
	CHECK (high_value IS NULL OR length(high_value) BETWEEN 1 AND 500);

-- sql/0007-work-spacing.sql
--
-- Hardening (issue [7/9]): the Work API refuses calls made with one token
-- closer than WORK_API_MIN_INTERVAL (2 s).  Every machine sharing a token
-- reserves its calls' time slots in this row, advanced in one statement
-- (the row lock orders the machines).  The token is known by a 64-bit
-- SipHash of it (16 hex digits), never by itself.
CREATE TABLE c2s.work_spacing (
	token_id	text PRIMARY KEY CHECK (token_id ~ '^[0-9a-f]{16}$'),
	next_at		timestamptz NOT NULL
);

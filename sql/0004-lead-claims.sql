-- sql/0004-lead-claims.sql
--
-- Claims on leads across machines: the truth of de-duplication (DESIGN.md
-- section 6).  A responder claims a lead with INSERT ... ON CONFLICT DO
-- NOTHING semantics before it runs the pipeline; a claim in flight expires
-- after the request deadline and a margin, so a dead owner on another
-- machine blocks nobody for long (an owner on the same machine found dead
-- is taken over at once); a completed lead keeps its claim for DEDUP_TTL,
-- so a repeat within the window is answered without paying again.
CREATE TABLE c2s.lead_claims (
	lead_id		text PRIMARY KEY
			CHECK (lead_id ~ '^[0-9a-f]{32}$'),
	owner		text NOT NULL,		-- host:pid of the responder
	state		text NOT NULL CHECK (state IN ('inflight', 'done')),
	outcome		text,
	claimed_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);

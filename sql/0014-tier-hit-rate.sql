-- sql/0014-tier-hit-rate.sql
--
-- Discovery hit rate (DESIGN.md 11.3).
--
-- A phone written with the country code twice ("+55 55 11 98765-4321",
-- 14 or 15 digits starting 5555) was stored by 0009's phone_national()
-- as 55 followed by the national number, which a lookup (national digits,
-- as ce_phone_normalize in lib/core/brid.c gives them: it drops the
-- doubled code too) never finds.  phone_national() now drops both codes,
-- and the phones stored before are rewritten as 0009 rewrote them.
--
-- Which tier of CPF_TIERS found a lead's CPF ("stored", the service's own
-- contacts, free; or a paid one) and how well the provider's name matched
-- the lead's (ce_name_score, 0 to 100) are kept per person of the lead
-- (c2s.lead_persons) and, for the lead's first person, on c2s.leads,
-- where a statement trigger keeps the counters GET /api/v1/stats reads
-- (0012's way): leads_tier_<tier> (leads whose first CPF that tier
-- found), leads_tier_score_<tier> and leads_tier_scored_<tier> (the sum
-- and the number of their name scores).

CREATE OR REPLACE FUNCTION c2s.phone_national(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT CASE
	    WHEN d ~ '^5555[0-9]{10,11}$' THEN substr(d, 5)
	    WHEN d ~ '^55[0-9]{10,11}$' THEN substr(d, 3)
	    WHEN d ~ '^0[0-9]{10,11}$' THEN substr(d, 2)
	    ELSE d END
	FROM (SELECT regexp_replace(p, '[^0-9]', '', 'g') AS d) x
$$;

-- The phones stored before: each rewritten once, unless the person has
-- the national form already (that row stays, this one too).
UPDATE c2s.contacts c SET value = c2s.phone_national(c.value)
WHERE c.type = 'phone' AND c.value <> c2s.phone_national(c.value)
  AND c.id = (SELECT min(o.id) FROM c2s.contacts o
	      WHERE o.person_id = c.person_id AND o.type = 'phone'
		AND c2s.phone_national(o.value) = c2s.phone_national(c.value))
  AND NOT EXISTS (SELECT 1 FROM c2s.contacts o
		  WHERE o.person_id = c.person_id AND o.type = 'phone'
		    AND o.value = c2s.phone_national(c.value));

-- The tier that found each person of a lead, and the name score; NULL
-- for a CPF that came with the lead (a form's) or a lead without a name.
ALTER TABLE c2s.lead_persons
	ADD COLUMN tier text CHECK (tier IN ('stored', 'work_phone',
	    'diretrix_phone', 'diretrix_email')),
	ADD COLUMN name_score smallint CHECK (name_score BETWEEN 0 AND 100);
-- The same for the lead's first person (the phone's when both found
-- one); NULL when the lead has no CPF.
ALTER TABLE c2s.leads
	ADD COLUMN cpf_tier text CHECK (cpf_tier IN ('stored', 'work_phone',
	    'diretrix_phone', 'diretrix_email')),
	ADD COLUMN name_score smallint CHECK (name_score BETWEEN 0 AND 100);

-- The tier counters of a lead row.
CREATE FUNCTION c2s.lead_tier_deltas(p_tier text, p_score smallint,
    p_sign integer, OUT name text, OUT delta bigint) RETURNS SETOF record
LANGUAGE sql IMMUTABLE
AS $$
	SELECT * FROM (VALUES ('leads_tier_' || p_tier, p_sign::bigint),
	    ('leads_tier_score_' || p_tier,
		p_sign::bigint * coalesce(p_score, 0)),
	    ('leads_tier_scored_' || p_tier,
		CASE WHEN p_score IS NULL THEN 0 ELSE p_sign::bigint END)) v
	WHERE p_tier IS NOT NULL
$$;

-- After each statement on c2s.leads, as 0012's leads_count() (which
-- also zeroes these counters on TRUNCATE: they are leads_ ones).
CREATE FUNCTION c2s.leads_tier_count() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	n	text[];
	d	bigint[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d
		FROM new_rows r, c2s.lead_tier_deltas(r.cpf_tier, r.name_score,
		    1) c;
	ELSIF TG_OP = 'DELETE' THEN
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d
		FROM old_rows r, c2s.lead_tier_deltas(r.cpf_tier, r.name_score,
		    -1) c;
	ELSE
		SELECT array_agg(c.name), array_agg(c.delta) INTO n, d FROM (
		    SELECT c.* FROM new_rows r, c2s.lead_tier_deltas(r.cpf_tier,
			r.name_score, 1) c
		    UNION ALL SELECT c.* FROM old_rows r,
			c2s.lead_tier_deltas(r.cpf_tier, r.name_score, -1) c) c;
	END IF;
	PERFORM c2s.counters_add(coalesce(n, '{}'), coalesce(d, '{}'));
	RETURN NULL;
END
$$;

-- No row has a tier yet (the columns are new): the counters start at 0.
CREATE TRIGGER leads_tier_count_ins AFTER INSERT ON c2s.leads
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_tier_count();
CREATE TRIGGER leads_tier_count_upd AFTER UPDATE ON c2s.leads
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_tier_count();
CREATE TRIGGER leads_tier_count_del AFTER DELETE ON c2s.leads
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.leads_tier_count();

-- The lookup of tier 0 (lib/app/store.c, stored_cpf): contacts by type
-- and value, through 0002's contacts_value_idx.

-- The figures of GET /api/v1/stats: 0012's, under the name
-- c2s.stats_core_json(), and the hit rate of each tier (tiers) from the
-- counters: "found", the leads whose CPF a tier found; each tier's leads,
-- its share of "found" and the mean name score of its CPFs; and
-- "stored_share", the share of all leads that tier 0 answered (no paid
-- lookup).  A later change of the other figures replaces
-- c2s.stats_core_json().
ALTER FUNCTION c2s.stats_json() RENAME TO stats_core_json;

CREATE FUNCTION c2s.stats_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN c2s.stats_core_json() || jsonb_build_object('tiers', (
	SELECT jsonb_build_object(
	    'found', t.found,
	    'stored_share', round(c2s.counter('leads_tier_stored')::numeric
		/ nullif(c2s.counter('leads_total'), 0), 4),
	    'by_tier', jsonb_object_agg(t.tier, jsonb_build_object(
		'leads', t.n,
		'share', round(t.n::numeric / nullif(t.found, 0), 4),
		'name_score_avg', round(t.score::numeric /
		    nullif(t.scored, 0), 1))))
	FROM (SELECT s AS tier,
	    c2s.counter('leads_tier_' || s) AS n,
	    c2s.counter('leads_tier_score_' || s) AS score,
	    c2s.counter('leads_tier_scored_' || s) AS scored,
	    sum(c2s.counter('leads_tier_' || s)) OVER () AS found
	    FROM unnest(ARRAY['stored', 'work_phone', 'diretrix_phone',
	    'diretrix_email']) s) t
	GROUP BY t.found));

-- sql/0009-phone-national.sql
--
-- Phones from a Work API dossier were stored as their digits only, so
-- one written with the country code ("+55 11 98765-4321") or a trunk
-- prefix ("011 98765-4321") was stored as 5511987654321 or 011987654321
-- and a lookup by phone, which normalises to national digits (DDD
-- first, as the lead pipeline does: ce_phone_normalize in lib/brid.c),
-- never found it.  c2s.phone_national() takes the same two prefixes off;
-- the person_store statement (lib/db.c) stores its result.  It does not
-- judge the number: a dossier's phone is stored even when the pipeline
-- would not look it up.

CREATE FUNCTION c2s.phone_national(p text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
	SELECT CASE
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

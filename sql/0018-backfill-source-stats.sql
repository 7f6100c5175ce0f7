-- sql/0018-backfill-source-stats.sql
--
-- The leads a backfill queued (source 'backfill', sql/0016) in GET
-- /api/v1/stats' leads.by_source, from 0012's counter of that source
-- (its trigger counts every source by name).  0014's function, bound to
-- the figures before it, stays under the name c2s.stats_tiers_json().

ALTER FUNCTION c2s.stats_json() RENAME TO stats_tiers_json;

CREATE FUNCTION c2s.stats_json() RETURNS jsonb
LANGUAGE sql STABLE
RETURN jsonb_set(c2s.stats_tiers_json(), '{leads,by_source,backfill}',
    to_jsonb(c2s.counter('leads_source_backfill')));

-- sql/0023-alert-pool.sql
--
-- Two alert kinds (app/alert.c): the pool of a machine short of POOL_MIN
-- past POOL_SHORT_AFTER, as its master's scoreboard says (/ready answers
-- 503 then), and its recovery.
ALTER TABLE c2s.alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE c2s.alerts ADD CONSTRAINT alerts_kind_check CHECK (kind IN
	('lead_failed', 'provider_down', 'provider_recovered', 'work_refused',
	'low_rate', 'webhooks_silent', 'high_value', 'pool_short',
	'pool_recovered'));

-- sql/0019-alerts.sql
--
-- Alerts (DESIGN.md 11.4), raised and sent by the worker (lib/app/
-- alert.c), never on a request path.  Each alert is stored here before
-- it is sent, with the state of each channel (the Slack-compatible
-- webhook, e-mail): 'off' (not configured when it was raised), 'pending'
-- (to send at next_try, retried with a growing back-off while the
-- channel fails: the alert is kept), 'sent'.  /status lists the newest.
--
-- Throttling: c2s.alert_marks holds, per throttle key (the kind, with
-- the upstream for a breaker's alerts, with credits or token for the
-- Work API's refusals, with the lead for a high-value one), when an alert of that key was last raised; raising one moves
-- the mark only when it is older than ALERT_MIN_INTERVAL (a high-value
-- lead's never moves: one alert per lead), in the statement that stores
-- the alert, so that two workers never raise the same alert twice.
-- Alerts and marks older than RETENTION_DAYS are pruned (alert.c).

CREATE TABLE c2s.alert_marks (
	mark		text PRIMARY KEY,
	raised_at	timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE c2s.alerts (
	id		bigserial PRIMARY KEY,
	kind		text NOT NULL CHECK (kind IN ('lead_failed',
			    'provider_down', 'provider_recovered',
			    'work_refused', 'low_rate', 'webhooks_silent',
			    'high_value')),
	key		text NOT NULL DEFAULT '',	-- upstream, lead id, ...
	title		text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
	text		text NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
	link		text,		-- the lead in C2S (C2S_LEAD_URL)
	created_at	timestamptz NOT NULL DEFAULT now(),
	webhook_state	text NOT NULL CHECK (webhook_state IN ('off',
			    'pending', 'sent')),
	webhook_attempts integer NOT NULL DEFAULT 0,
	webhook_next	timestamptz NOT NULL DEFAULT now(),
	webhook_error	text,
	email_state	text NOT NULL CHECK (email_state IN ('off',
			    'pending', 'sent')),
	email_attempts	integer NOT NULL DEFAULT 0,
	email_next	timestamptz NOT NULL DEFAULT now(),
	email_error	text
);

-- The newest first (/status), what is due (the worker), and what is
-- older than RETENTION_DAYS (pruned by the worker, a batch at a time).
CREATE INDEX alerts_created_idx ON c2s.alerts (created_at);
CREATE INDEX alert_marks_raised_idx ON c2s.alert_marks (raised_at);
CREATE INDEX alerts_due_idx ON c2s.alerts (id)
	WHERE webhook_state = 'pending' OR email_state = 'pending';

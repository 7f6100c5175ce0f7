-- sql/0011-google-ads-test.sql
--
-- Google Ads' "send test data" button posts a form with is_test true.
-- Such a form is recorded like any other (is_test says so), but unless
-- the service accepts test forms (GOOGLE_ADS_ACCEPT_TEST=1) it is left in
-- a state of its own, 'test': no job is queued for it, nothing is paid
-- for and no C2S lead is created.  An accepted test form takes the usual
-- way ('received', 'creating', 'created') with is_test true.

-- Was the form one of Google's test forms?  The forms recorded before
-- were real ones.
ALTER TABLE c2s.google_leads
	ADD COLUMN is_test boolean NOT NULL DEFAULT false;

-- The states of 0005, and 'test': recorded only, never created.
ALTER TABLE c2s.google_leads
	DROP CONSTRAINT google_leads_state_check;
ALTER TABLE c2s.google_leads
	ADD CONSTRAINT google_leads_state_check CHECK (state IN
	    ('received', 'creating', 'created', 'unknown', 'test'));

-- A test form is in 'test' or came through a service accepting it; a
-- real one is never 'test'.
ALTER TABLE c2s.google_leads
	ADD CONSTRAINT google_leads_test_state_check
	    CHECK (state <> 'test' OR is_test);

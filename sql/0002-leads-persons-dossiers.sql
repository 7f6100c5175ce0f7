-- sql/0002-leads-persons-dossiers.sql
--
-- The lead pipeline's tables (issue [3/9]): leads and their outcome,
-- persons (one per CPF), their contacts and addresses, the Work API
-- dossiers as received (history kept), and the ledger of notes posted, so
-- that the same note is never posted twice.  Every constraint here is a
-- rule the pipeline relies on; races are decided by these unique keys.

-- A C2S lead, recorded before any paid call.
CREATE TABLE c2s.leads (
	lead_id		text PRIMARY KEY
			CHECK (lead_id ~ '^[0-9a-f]{32}$'),
	source		text NOT NULL DEFAULT 'api'
			CHECK (source IN ('api', 'webhook', 'poller',
			    'google_ads')),
	status		text NOT NULL DEFAULT 'received'
			CHECK (status IN ('received', 'processing',
			    'completed', 'partial', 'basic', 'unenriched',
			    'invalid_contact', 'failed')),
	attempts	integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error	text,
	customer_name	text,
	phone		text,		-- normalised national digits
	email		text,		-- normalised, lower case
	next_retry_at	timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- The worker's queue: retryable leads by due time.
CREATE INDEX leads_retry_idx ON c2s.leads (next_retry_at)
	WHERE status IN ('partial', 'unenriched');

-- A person, one row per CPF.
CREATE TABLE c2s.persons (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	cpf		char(11) NOT NULL UNIQUE CHECK (cpf ~ '^[0-9]{11}$'),
	name		text,
	name_folded	text,		-- accent-free upper case, for search
	birth_date	date,
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
-- Prefix search on names (accent- and case-insensitive through name_folded).
CREATE INDEX persons_name_folded_idx ON c2s.persons
	(name_folded text_pattern_ops);

-- Which persons a lead led to, and through what.
CREATE TABLE c2s.lead_persons (
	lead_id		text NOT NULL REFERENCES c2s.leads ON DELETE CASCADE,
	person_id	uuid NOT NULL REFERENCES c2s.persons ON DELETE CASCADE,
	found_by	text NOT NULL CHECK (found_by IN ('phone', 'email',
			    'both')),
	PRIMARY KEY (lead_id, person_id)
);

-- Phones and e-mails of a person, each once.
CREATE TABLE c2s.contacts (
	id		bigserial PRIMARY KEY,
	person_id	uuid NOT NULL REFERENCES c2s.persons ON DELETE CASCADE,
	type		text NOT NULL CHECK (type IN ('phone', 'email')),
	value		text NOT NULL CHECK (value <> ''),
	whatsapp	boolean,
	source		text NOT NULL DEFAULT 'work_api',
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (person_id, type, value)
);
-- Lookup of a person by phone or e-mail.
CREATE INDEX contacts_value_idx ON c2s.contacts (type, value);

-- Addresses of a person, deduplicated even where fields are missing.
CREATE TABLE c2s.addresses (
	id		bigserial PRIMARY KEY,
	person_id	uuid NOT NULL REFERENCES c2s.persons ON DELETE CASCADE,
	street		text,
	number		text,
	complement	text,
	district	text,
	city		text,
	uf		char(2),
	cep		text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE NULLS NOT DISTINCT (person_id, street, number, complement,
	    district, city, uf, cep)
);

-- Work API dossiers as received; the newest decides reuse
-- (DOSSIER_MAX_AGE), older ones stay as history.  Error-in-200 bodies are
-- never stored: DadosBasicos must be there.
CREATE TABLE c2s.dossiers (
	id		bigserial PRIMARY KEY,
	person_id	uuid NOT NULL REFERENCES c2s.persons ON DELETE CASCADE,
	raw		jsonb NOT NULL
			-- coalesce: a NULL check result would let it pass.
			CHECK (coalesce(jsonb_typeof(raw -> 'DadosBasicos')
			    = 'object', false)),
	fetched_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dossiers_person_fetched_idx ON c2s.dossiers
	(person_id, fetched_at DESC);

-- Notes posted on leads; the same text (by hash) is posted once.
CREATE TABLE c2s.notes (
	lead_id		text NOT NULL REFERENCES c2s.leads ON DELETE CASCADE,
	text_sha256	char(64) NOT NULL CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
	body		text NOT NULL,
	posted_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (lead_id, text_sha256)
);

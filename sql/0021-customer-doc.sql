-- sql/0021-customer-doc.sql
--
-- Performance (issue [2.7], docs/POOL-PLAN.md §9): GET
-- /api/v1/customers/{uuid} ran c2s.customer_json() (0008) over six
-- relations on every read, 3 975 req/s against 8 025 for SELECT 1.  The
-- document is now kept at write time, as the bytes served
-- (customer_json(id)::text), in a table of its own (persons keeps its HOT
-- updates), and a read is one primary-key lookup.
--
-- The document shows persons, dossiers, contacts, addresses, lead_persons
-- and leads (status, source, created_at).  Every write to one of them
-- refreshes the documents it touched, by trigger, in the writing
-- statement: whatever the path (the pipeline's PERSON_STORE, a form's
-- unlinked person, a lead's status through lead_finish, lead_gave_up, a
-- retry or an operator, a migration, psql), the document commits with its
-- rows or not at all.  The triggers are statement-level, over the
-- transition tables, so a statement refreshes each person once per
-- relation it wrote, however many rows (a dossier's ten contacts: one
-- refresh); leads' is row-level with a WHEN, so the many updates of a
-- lead that leave its status alone (attempts, notes, next_retry_at) cost
-- no call at all.  A migration that rewrites one of the six relations
-- refreshes the documents it touched (sql/README).

CREATE TABLE c2s.customer_docs (
	person_id	uuid PRIMARY KEY
			REFERENCES c2s.persons ON DELETE CASCADE,
	doc		text NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Person p_id's document made again from its rows (none when the person
-- is gone).  The person's row is locked first, so that two transactions
-- refreshing one person take turns, and the second builds its document
-- after the first committed (READ COMMITTED: a statement after the wait
-- sees it), never a document missing the other's rows.  An unchanged
-- document is not written again.
CREATE FUNCTION c2s.customer_doc_refresh(p_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	d	text;
BEGIN
	PERFORM 1 FROM c2s.persons WHERE id = p_id FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		DELETE FROM c2s.customer_docs WHERE person_id = p_id;
		RETURN;
	END IF;
	d := c2s.customer_json(p_id)::text;
	INSERT INTO c2s.customer_docs AS t (person_id, doc) VALUES (p_id, d)
	ON CONFLICT (person_id) DO UPDATE SET doc = EXCLUDED.doc,
	    updated_at = now()
	WHERE t.doc IS DISTINCT FROM EXCLUDED.doc;
END
$$;

-- The persons of "ids" (any order, repeats allowed), each refreshed
-- once, in CPF order: the order in which the pipeline's transaction locks
-- its persons (pipeline.c, step_store), so that a refresh never waits in
-- a cycle with it or with another refresh.  A person gone (deleted, its
-- document with it) is left out.
CREATE FUNCTION c2s.customer_docs_refresh_all(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM c2s.customer_doc_refresh(p.id) FROM c2s.persons p
	WHERE p.id = ANY (ids) ORDER BY p.cpf;
END
$$;

-- The statement triggers of persons, inserted or updated: their new
-- rows (an id never changes: customer_docs and the other relations
-- refer to it).
CREATE FUNCTION c2s.customer_docs_persons() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM c2s.customer_docs_refresh_all(ARRAY(SELECT id FROM n));
	RETURN NULL;
END
$$;

-- The statement triggers of dossiers, contacts, addresses and
-- lead_persons: every person in the statement's old or new rows.
CREATE FUNCTION c2s.customer_docs_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		PERFORM c2s.customer_docs_refresh_all(ARRAY(SELECT person_id
		    FROM n));
	ELSIF TG_OP = 'DELETE' THEN
		PERFORM c2s.customer_docs_refresh_all(ARRAY(SELECT person_id
		    FROM o));
	ELSE
		PERFORM c2s.customer_docs_refresh_all(ARRAY(SELECT person_id
		    FROM n UNION SELECT person_id FROM o));
	END IF;
	RETURN NULL;
END
$$;

-- A lead's status (or source, or date) shown in the leads[] of each of
-- its persons.
CREATE FUNCTION c2s.customer_docs_lead() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM c2s.customer_docs_refresh_all(ARRAY(SELECT person_id
	    FROM c2s.lead_persons WHERE lead_id = NEW.lead_id));
	RETURN NULL;
END
$$;

-- A person deleted takes its document with it (ON DELETE CASCADE).
CREATE TRIGGER persons_doc_ins AFTER INSERT ON c2s.persons
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.customer_docs_persons();
CREATE TRIGGER persons_doc_upd AFTER UPDATE ON c2s.persons
	REFERENCING NEW TABLE AS n
	FOR EACH STATEMENT EXECUTE FUNCTION c2s.customer_docs_persons();

-- dossiers_doc_ins, _upd, _del, and the same of contacts, addresses and
-- lead_persons.
DO $$
DECLARE
	t	text;
BEGIN
	FOREACH t IN ARRAY ARRAY['dossiers', 'contacts', 'addresses',
	    'lead_persons'] LOOP
		EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON c2s.%I '
		    'REFERENCING NEW TABLE AS n FOR EACH STATEMENT '
		    'EXECUTE FUNCTION c2s.customer_docs_rows()',
		    t || '_doc_ins', t);
		EXECUTE format('CREATE TRIGGER %I AFTER UPDATE ON c2s.%I '
		    'REFERENCING OLD TABLE AS o NEW TABLE AS n FOR EACH '
		    'STATEMENT EXECUTE FUNCTION c2s.customer_docs_rows()',
		    t || '_doc_upd', t);
		EXECUTE format('CREATE TRIGGER %I AFTER DELETE ON c2s.%I '
		    'REFERENCING OLD TABLE AS o FOR EACH STATEMENT '
		    'EXECUTE FUNCTION c2s.customer_docs_rows()',
		    t || '_doc_del', t);
	END LOOP;
END
$$;

-- A lead deleted removes its lead_persons rows (ON DELETE CASCADE), whose
-- trigger refreshes; a new lead has no persons yet.
CREATE TRIGGER leads_doc AFTER UPDATE OF status, source, created_at
	ON c2s.leads FOR EACH ROW
	WHEN (OLD.status IS DISTINCT FROM NEW.status
	    OR OLD.source IS DISTINCT FROM NEW.source
	    OR OLD.created_at IS DISTINCT FROM NEW.created_at)
	EXECUTE FUNCTION c2s.customer_docs_lead();

-- Every person stored so far.
INSERT INTO c2s.customer_docs (person_id, doc)
SELECT id, c2s.customer_json(id)::text FROM c2s.persons;

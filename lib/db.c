/*
 * db.c -- the responder's one PostgreSQL connection.  It is opened on first
 * use (after fork), statements are prepared on it lazily by number, and a
 * broken connection (a server restart, a killed backend) is reset and its
 * statements re-prepared; a statement marked safe is then retried once, so
 * a restart costs no request an error.  Parameters only: no SQL is ever
 * built from data.
 */
#include <limits.h>
#include <stdint.h>
#include <sys/select.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

static const struct {
	const char	*name;
	const char	*sql;
	int		 nparams;
	int		 safe;	/* may be repeated after a reconnect */
} stmts[CX_STMT__MAX] = {
	[CX_STMT_SCHEMA_VERSION] = { "schema_version",
	    "SELECT coalesce(max(version), 0) FROM public.schema_migrations",
	    0, 1 },
	/*
	 * Record a lead before any paid call.  $3: 1 when the worker runs
	 * it as a scheduled retry.  $4: milliseconds after which a lead left
	 * 'processing' (its process died) is due again.  Safe: a repeat
	 * after a lost reply only counts one attempt too many.
	 */
	[CX_STMT_LEAD_START] = { "lead_start",
	    "INSERT INTO c2s.leads AS l (lead_id, source, status, attempts, "
	    "retries, next_retry_at, run_started_at) VALUES ($1, $2, "
	    "'processing', 1, $3::int, now() + make_interval(secs => "
	    "$4::double precision / 1000), now()) "
	    "ON CONFLICT (lead_id) DO UPDATE SET status = 'processing', "
	    "attempts = l.attempts + 1, retries = l.retries + $3::int, "
	    "next_retry_at = EXCLUDED.next_retry_at, run_started_at = now(), "
	    "updated_at = now() "
	    "RETURNING attempts, retries",
	    4, 1 },
	/* $7: milliseconds until the next retry, '' for none. */
	[CX_STMT_LEAD_FINISH] = { "lead_finish",
	    "UPDATE c2s.leads SET status = $2, last_error = nullif($3, ''), "
	    "customer_name = coalesce(nullif($4, ''), customer_name), "
	    "phone = coalesce(nullif($5, ''), phone), "
	    "email = coalesce(nullif($6, ''), email), "
	    "next_retry_at = CASE WHEN $7 = '' THEN NULL ELSE now() + "
	    "make_interval(secs => $7::double precision / 1000) END, "
	    "note_state = coalesce(nullif($8, ''), note_state), "
	    "contacts_seen = coalesce(nullif($9, ''), contacts_seen), "
	    "dossiers_fetched = $10::int, dossiers_reused = $11::int, "
	    "updated_at = now() WHERE lead_id = $1",
	    11, 1 },
	/* The newest dossier of a CPF younger than $2 milliseconds, and its
	 * age in milliseconds. */
	[CX_STMT_DOSSIER_FRESH] = { "dossier_fresh",
	    "SELECT d.raw::text, floor(extract(epoch FROM now() - "
	    "d.fetched_at) * 1000)::bigint FROM c2s.dossiers d "
	    "JOIN c2s.persons p ON p.id = d.person_id WHERE p.cpf = $1 "
	    "AND d.fetched_at > now() - "
	    "make_interval(secs => $2::double precision / 1000) "
	    "ORDER BY d.fetched_at DESC LIMIT 1",
	    2, 1 },
	/*
	 * A person and what a lead found about it, in one statement: the
	 * person (one row per CPF), the link to the lead, a new dossier
	 * ($7, or NULL when a stored one was reused) with the contacts and
	 * addresses it lists (phones in national digits, sql/0009), and the
	 * lead's own phone ($8) and e-mail ($9) that found it.  Returns the
	 * person's id, whether it is new, and how many dossier, contact and
	 * address rows were written.
	 */
	[CX_STMT_PERSON_STORE] = { "person_store",
	    "WITH p AS ("
	    " INSERT INTO c2s.persons AS t (cpf, name, name_folded, birth_date)"
	    " VALUES ($1, nullif($2, ''), nullif($3, ''), nullif($4, '')::date)"
	    " ON CONFLICT (cpf) DO UPDATE SET"
	    " name = coalesce(EXCLUDED.name, t.name),"
	    " name_folded = coalesce(EXCLUDED.name_folded, t.name_folded),"
	    " birth_date = coalesce(EXCLUDED.birth_date, t.birth_date),"
	    " updated_at = now()"
	    " RETURNING id, (xmax = 0) AS created"
	    "), lp AS ("
	    " INSERT INTO c2s.lead_persons (lead_id, person_id, found_by)"
	    " SELECT $5, id, $6 FROM p WHERE $5::text IS NOT NULL"
	    " ON CONFLICT (lead_id, person_id)"
	    " DO UPDATE SET found_by = EXCLUDED.found_by"
	    "), j AS (SELECT $7::jsonb AS raw"
	    "), d AS ("
	    " INSERT INTO c2s.dossiers (person_id, raw)"
	    " SELECT p.id, j.raw FROM p, j WHERE j.raw IS NOT NULL RETURNING id"
	    "), c AS ("
	    " INSERT INTO c2s.contacts (person_id, type, value, whatsapp, source)"
	    " SELECT p.id, v.type, v.value, v.whatsapp, v.source FROM p, ("
	    "  SELECT 'email' AS type, lower(btrim(e ->> 'email')) AS value,"
	    "  NULL::boolean AS whatsapp, 'work_api' AS source FROM j,"
	    "  jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'emails')"
	    "  WHEN 'array' THEN j.raw -> 'emails' ELSE '[]' END) e"
	    "  UNION ALL"
	    "  SELECT 'phone', c2s.phone_national(x ->> 'telefone'),"
	    "  (x ->> 'whatsapp') = 'SIM', 'work_api' FROM j,"
	    "  jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'telefones')"
	    "  WHEN 'array' THEN j.raw -> 'telefones' ELSE '[]' END) x"
	    "  UNION ALL SELECT 'phone', $8, NULL, 'lead' WHERE $8 <> ''"
	    "  UNION ALL SELECT 'email', $9, NULL, 'lead' WHERE $9 <> ''"
	    " ) v WHERE coalesce(v.value, '') <> ''"
	    " ON CONFLICT (person_id, type, value) DO NOTHING RETURNING id"
	    "), a AS ("
	    " INSERT INTO c2s.addresses (person_id, street, number, complement,"
	    " district, city, uf, cep)"
	    " SELECT p.id, nullif(btrim(concat_ws(' ', x ->> 'tipoLogradouro',"
	    " x ->> 'logradouro')), ''), nullif(x ->> 'logradouroNumero', ''),"
	    " nullif(x ->> 'complemento', ''), nullif(x ->> 'bairro', ''),"
	    " nullif(x ->> 'cidade', ''),"
	    " CASE WHEN x ->> 'uf' ~ '^[A-Z]{2}$' THEN x ->> 'uf' END,"
	    " nullif(x ->> 'cep', '') FROM p, j,"
	    " jsonb_array_elements(CASE jsonb_typeof(j.raw -> 'enderecos')"
	    " WHEN 'array' THEN j.raw -> 'enderecos' ELSE '[]' END) x"
	    " WHERE jsonb_typeof(x) = 'object'"
	    " ON CONFLICT DO NOTHING RETURNING id"
	    ") SELECT p.id, p.created::int, (SELECT count(*) FROM d),"
	    " (SELECT count(*) FROM c), (SELECT count(*) FROM a) FROM p",
	    9, 0 },
	/*
	 * Claim the posting of a note: 'claimed' when this text was never
	 * posted on the lead (or a responder that claimed it died long ago),
	 * else the state of the earlier claim, 'posted' or 'posting'.
	 */
	[CX_STMT_NOTE_CLAIM] = { "note_claim",
	    "WITH h AS (SELECT encode(sha256(convert_to($2, 'UTF8')), 'hex') "
	    "AS sha), ins AS (INSERT INTO c2s.notes AS n (lead_id, "
	    "text_sha256, body, state) SELECT $1, h.sha, $2, 'posting' FROM h "
	    "ON CONFLICT (lead_id, text_sha256) DO UPDATE SET "
	    "posted_at = now() WHERE n.state = 'posting' AND "
	    "n.posted_at < now() - interval '10 minutes' "
	    "RETURNING text_sha256) "
	    "SELECT text_sha256, 'claimed' FROM ins UNION ALL "
	    "SELECT n.text_sha256, n.state FROM c2s.notes n, h "
	    "WHERE n.lead_id = $1 AND n.text_sha256 = h.sha "
	    "AND NOT EXISTS (SELECT 1 FROM ins)",
	    2, 0 },
	[CX_STMT_NOTE_DONE] = { "note_done",
	    "UPDATE c2s.notes SET state = 'posted', posted_at = now() "
	    "WHERE lead_id = $1 AND text_sha256 = $2",
	    2, 1 },
	/*
	 * Claims on leads (sql/0004).  A claim is ours if the row is new or
	 * had expired; safe to repeat, as a repeat finds its own claim.
	 */
	[CX_STMT_CLAIM_TAKE] = { "claim_take",
	    "INSERT INTO c2s.lead_claims AS c (lead_id, owner, state, "
	    "expires_at) VALUES ($1, $2, 'inflight', now() + "
	    "make_interval(secs => $3::double precision / 1000)) "
	    "ON CONFLICT (lead_id) DO UPDATE SET owner = EXCLUDED.owner, "
	    "state = 'inflight', outcome = NULL, claimed_at = now(), "
	    "expires_at = EXCLUDED.expires_at WHERE c.expires_at <= now() "
	    "RETURNING lead_id",
	    3, 1 },
	[CX_STMT_CLAIM_GET] = { "claim_get",
	    "SELECT owner, state, coalesce(outcome, '') FROM c2s.lead_claims "
	    "WHERE lead_id = $1",
	    1, 1 },
	/* Take over the claim of an owner found dead. */
	[CX_STMT_CLAIM_STEAL] = { "claim_steal",
	    "UPDATE c2s.lead_claims SET owner = $2, state = 'inflight', "
	    "outcome = NULL, claimed_at = now(), expires_at = now() + "
	    "make_interval(secs => $4::double precision / 1000) "
	    "WHERE lead_id = $1 AND owner = $3 AND state = 'inflight' "
	    "RETURNING lead_id",
	    4, 1 },
	[CX_STMT_CLAIM_DONE] = { "claim_done",
	    "UPDATE c2s.lead_claims SET state = 'done', outcome = $4, "
	    "expires_at = now() + make_interval(secs => $3::double precision "
	    "/ 1000) WHERE lead_id = $1 AND owner = $2",
	    4, 1 },
	[CX_STMT_CLAIM_RELEASE] = { "claim_release",
	    "DELETE FROM c2s.lead_claims WHERE lead_id = $1 AND owner = $2",
	    2, 1 },
	[CX_STMT_NOTE_RELEASE] = { "note_release",
	    "DELETE FROM c2s.notes WHERE lead_id = $1 AND text_sha256 = $2 "
	    "AND state = 'posting'",
	    2, 1 },
	/* One C2S webhook event (sql/0005): its disposition. */
	[CX_STMT_WEBHOOK_INGEST] = { "webhook_ingest",
	    "SELECT c2s.webhook_ingest(nullif($1, ''), $2, nullif($3, ''), "
	    "$4::jsonb, $5, $6, $7)",
	    7, 1 },
	/* The next $1 invalid webhook events after id $2, to parse again. */
	[CX_STMT_WEBHOOK_INVALID] = { "webhook_invalid",
	    "SELECT id, payload::text FROM c2s.webhook_events "
	    "WHERE disposition = 'invalid' AND id > $2::bigint "
	    "ORDER BY id LIMIT $1::int",
	    2, 1 },
	/*
	 * Invalid event $1 parsed anew: its disposition, or NULL when it
	 * was replayed meanwhile.  Safe: a repeat finds it no longer
	 * invalid.
	 */
	[CX_STMT_WEBHOOK_REPLAY] = { "webhook_replay",
	    "SELECT c2s.webhook_replay($1::bigint, $2, $3, $4, $5, $6)",
	    6, 1 },
	/*
	 * The next job due, or a running one whose worker has been silent
	 * for $2 milliseconds; skips rows another worker is claiming.
	 */
	[CX_STMT_JOB_CLAIM] = { "job_claim",
	    "UPDATE c2s.jobs j SET state = 'running', owner = $1, "
	    "started_at = now(), tries = j.tries + 1 FROM (SELECT id FROM "
	    "c2s.jobs WHERE (state = 'queued' AND run_after <= now()) OR "
	    "(state = 'running' AND started_at < now() - "
	    "make_interval(secs => $2::double precision / 1000)) "
	    "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) n "
	    "WHERE j.id = n.id RETURNING j.id, j.kind, j.ref, j.source, j.tries",
	    2, 0 },
	/* $3: 'done' or 'failed'.  Only while the job is still ours. */
	[CX_STMT_JOB_FINISH] = { "job_finish",
	    "UPDATE c2s.jobs SET state = $3, result = nullif($4, ''), "
	    "last_error = nullif($5, ''), finished_at = now() "
	    "WHERE id = $1::bigint AND owner = $2 AND state = 'running'",
	    5, 1 },
	/*
	 * Leads due again (a retry, a note still to post, a run whose
	 * process died) become jobs; their next_retry_at moves $1 ms ahead
	 * in the same statement, so each is queued once, and again only if
	 * that job is lost (its run moves the mark itself).  Returns how
	 * many.
	 */
	[CX_STMT_RETRIES_DUE] = { "retries_due",
	    "WITH due AS (SELECT lead_id FROM c2s.leads WHERE "
	    "next_retry_at <= now() AND (status IN ('received', 'processing', "
	    "'partial', 'unenriched') OR note_state = 'pending') "
	    "ORDER BY next_retry_at LIMIT 100 FOR UPDATE SKIP LOCKED), "
	    "upd AS (UPDATE c2s.leads l SET next_retry_at = now() + "
	    "make_interval(secs => $1::double precision / 1000) FROM due "
	    "WHERE l.lead_id = due.lead_id RETURNING l.lead_id), "
	    "ins AS (INSERT INTO c2s.jobs (kind, ref, source) "
	    "SELECT 'lead', lead_id, 'retry' FROM upd "
	    "ON CONFLICT (kind, ref) WHERE state = 'queued' DO NOTHING "
	    "RETURNING id) SELECT count(*) FROM ins",
	    1, 0 },
	/* Wake the other workers. */
	[CX_STMT_NOTIFY] = { "notify",
	    "SELECT pg_notify('c2s_jobs', $1)",
	    1, 1 },
	/* The poller's ids ($1, a text array) never seen become jobs. */
	[CX_STMT_POLL_QUEUE] = { "poll_queue",
	    "WITH ids AS (SELECT DISTINCT unnest($1::text[]) AS id), "
	    "ins AS (INSERT INTO c2s.jobs (kind, ref, source) "
	    "SELECT 'lead', ids.id, 'poller' FROM ids "
	    "WHERE ids.id ~ '^[0-9a-f]{32}$' "
	    "AND NOT EXISTS (SELECT 1 FROM c2s.leads l WHERE l.lead_id = ids.id) "
	    "AND NOT EXISTS (SELECT 1 FROM c2s.jobs j WHERE j.kind = 'lead' "
	    "AND j.ref = ids.id) "
	    "ON CONFLICT (kind, ref) WHERE state = 'queued' DO NOTHING "
	    "RETURNING id) SELECT count(*) FROM ins",
	    1, 1 },
	/* One poller across machines: a session lock, held while alive. */
	[CX_STMT_POLLER_LOCK] = { "poller_lock",
	    "SELECT pg_try_advisory_lock(7461094)",
	    0, 0 },
	/*
	 * Record a Google Ads form ($7 is_test) in state $8 ('received',
	 * or 'test': no job) and queue its job, once per form lead id:
	 * 'new', or the state of the form recorded before; its C2S lead id,
	 * the jobs queued, and whether it is a test form.
	 */
	[CX_STMT_GOOGLE_RECORD] = { "google_record",
	    "WITH ins AS (INSERT INTO c2s.google_leads (form_lead_id, payload, "
	    "name, phone, email, cpf, is_test, state) VALUES ($1, $2::jsonb, "
	    "nullif($3, ''), nullif($4, ''), nullif($5, ''), nullif($6, ''), "
	    "$7::boolean, $8) "
	    "ON CONFLICT (form_lead_id) DO NOTHING "
	    "RETURNING form_lead_id, state), "
	    "job AS (INSERT INTO c2s.jobs (kind, ref, source) "
	    "SELECT 'google_ads', form_lead_id, 'google_ads' FROM ins "
	    "WHERE state = 'received' "
	    "ON CONFLICT (kind, ref) WHERE state = 'queued' DO NOTHING "
	    "RETURNING id) "
	    "SELECT 'new', '', (SELECT count(*) FROM job), $7::boolean "
	    "FROM ins UNION ALL "
	    "SELECT g.state, coalesce(g.c2s_lead_id, ''), 0, g.is_test "
	    "FROM c2s.google_leads g WHERE g.form_lead_id = $1 "
	    "AND NOT EXISTS (SELECT 1 FROM ins)",
	    8, 1 },
	[CX_STMT_GOOGLE_GET] = { "google_get",
	    "SELECT state, coalesce(name, ''), coalesce(phone, ''), "
	    "coalesce(email, ''), coalesce(cpf, ''), payload::text, "
	    "coalesce(c2s_lead_id, '') FROM c2s.google_leads "
	    "WHERE form_lead_id = $1",
	    1, 1 },
	/* Move a form from state $3 to $2; no row when it was not in $3. */
	[CX_STMT_GOOGLE_SET] = { "google_set",
	    "UPDATE c2s.google_leads SET state = $2, "
	    "c2s_lead_id = coalesce(nullif($4, ''), c2s_lead_id), "
	    "last_error = nullif($5, ''), updated_at = now() "
	    "WHERE form_lead_id = $1 AND state = $3 RETURNING 1",
	    5, 0 },
	/*
	 * One batch of pruning (sql/0012): at most $3 rows of $1
	 * (webhook_events, jobs, google_payloads) older than $2 days; the
	 * count pruned.  The leads stay.
	 */
	[CX_STMT_PRUNE] = { "prune",
	    "SELECT c2s.prune_batch($1, $2::integer, $3::integer)",
	    3, 1 },
	/* Did lead $1's last run start after job $2 was queued? */
	[CX_STMT_LEAD_COVERED] = { "lead_covered",
	    "SELECT coalesce(l.run_started_at >= j.created_at, false) "
	    "FROM c2s.jobs j LEFT JOIN c2s.leads l ON l.lead_id = $1 "
	    "WHERE j.id = $2::bigint",
	    2, 1 },
	/* A done claim taken again by a scheduled retry. */
	[CX_STMT_CLAIM_REDO] = { "claim_redo",
	    "UPDATE c2s.lead_claims SET owner = $2, state = 'inflight', "
	    "outcome = NULL, claimed_at = now(), expires_at = now() + "
	    "make_interval(secs => $3::double precision / 1000) "
	    "WHERE lead_id = $1 AND state = 'done' RETURNING lead_id",
	    3, 1 },
	/* Queue job ($1 kind, $2 ref, $3 source) again in $4 ms. */
	[CX_STMT_JOB_AGAIN] = { "job_again",
	    "INSERT INTO c2s.jobs (kind, ref, source, run_after) VALUES "
	    "($1, $2, $3, now() + make_interval(secs => $4::double precision "
	    "/ 1000)) ON CONFLICT (kind, ref) WHERE state = 'queued' "
	    "DO NOTHING",
	    4, 1 },
	/*
	 * Stored persons as the API shows them (sql/0006): by CPF, by a
	 * contact ($1 type, $2 value), by a prefix of the folded name ($1,
	 * and $2 the first string after every string with that prefix, so
	 * the index serves a generic plan too), by id.  Then the limit and
	 * the offset ($2 and $3 by CPF, else $3 and $4).
	 */
	[CX_STMT_CUSTOMER_CPF] = { "customer_cpf",
	    "SELECT c2s.customer_json(id)::text FROM c2s.persons "
	    "WHERE cpf = $1 LIMIT $2::int OFFSET $3::int",
	    3, 1 },
	[CX_STMT_CUSTOMER_CONTACT] = { "customer_contact",
	    "SELECT c2s.customer_json(x.id)::text FROM (SELECT DISTINCT "
	    "person_id AS id FROM c2s.contacts WHERE type = $1 AND value = $2 "
	    "ORDER BY person_id LIMIT $3::int OFFSET $4::int) x ORDER BY x.id",
	    4, 1 },
	/* The page's ids first: no document is built for a skipped row. */
	[CX_STMT_CUSTOMER_NAME] = { "customer_name",
	    "SELECT c2s.customer_json(x.id)::text FROM (SELECT id, "
	    "name_folded FROM c2s.persons "
	    "WHERE name_folded ~>=~ $1 AND name_folded ~<~ $2 "
	    "ORDER BY name_folded, id LIMIT $3::int OFFSET $4::int) x "
	    "ORDER BY x.name_folded, x.id",
	    4, 1 },
	[CX_STMT_CUSTOMER_ID] = { "customer_id",
	    "SELECT c2s.customer_json($1::uuid)::text",
	    1, 1 },
	/*
	 * The database's figures, and this machine's duplicate leads from
	 * its shared file ($1 found there, $2 found in PostgreSQL; NULL
	 * without the file) under saved.duplicate_leads.
	 */
	[CX_STMT_STATS] = { "stats",
	    "SELECT (jsonb_set(c2s.stats_json(), '{saved,duplicate_leads}', "
	    "jsonb_build_object('scope', 'machine', 'found_in_file', "
	    "$1::bigint, 'found_in_database', $2::bigint)) || "
	    "jsonb_build_object('invalid_webhooks', "
	    "c2s.webhooks_invalid_json()))::text",
	    2, 1 },
	/*
	 * Reserve the next Work API slot of token $1 ($2 ms apart) for
	 * every machine, if it comes within $3 ms: the wait in ms before
	 * the call may go (sql/0007); no row when it does not (nothing
	 * reserved).  Not safe to repeat: a repeat would reserve a second
	 * slot.
	 */
	[CX_STMT_WORK_SPACING] = { "work_spacing",
	    "INSERT INTO c2s.work_spacing AS w (token_id, next_at) VALUES ($1, "
	    "clock_timestamp() + make_interval(secs => $2::double precision "
	    "/ 1000)) ON CONFLICT (token_id) DO UPDATE SET next_at = "
	    "greatest(w.next_at, clock_timestamp()) + make_interval(secs => "
	    "$2::double precision / 1000) WHERE w.next_at <= "
	    "clock_timestamp() + make_interval(secs => $3::double precision "
	    "/ 1000) RETURNING greatest(0, (extract(epoch FROM w.next_at - "
	    "clock_timestamp()) * 1000)::bigint - $2::bigint)",
	    3, 0 },
	/*
	 * The spool (spool.c, sql/0013): record $1 (file:offset) of kind $2
	 * marked replayed, inside the transaction that makes its rows; no
	 * row when it was replayed before.
	 */
	[CX_STMT_SPOOL_DONE] = { "spool_done",
	    "INSERT INTO c2s.spool_done (spool_id, kind) VALUES ($1, $2) "
	    "ON CONFLICT (spool_id) DO NOTHING RETURNING 1",
	    2, 0 },
	/*
	 * A spooled trigger of lead $1: what the route would have recorded,
	 * the lead 'received' (source 'api'; due again after $2 ms should
	 * its job be lost) and a job of source 'api' that runs it once.
	 */
	[CX_STMT_SPOOL_LEAD] = { "spool_lead",
	    "WITH l AS (INSERT INTO c2s.leads (lead_id, source, status, "
	    "next_retry_at) VALUES ($1, 'api', 'received', now() + "
	    "make_interval(secs => $2::double precision / 1000)) "
	    "ON CONFLICT (lead_id) DO NOTHING RETURNING 1) "
	    "INSERT INTO c2s.jobs (kind, ref, source) VALUES ('lead', $1, "
	    "'api') ON CONFLICT (kind, ref) WHERE state = 'queued' "
	    "DO NOTHING",
	    2, 0 },
	/* Rows of files long gone: older than $1 ms. */
	[CX_STMT_SPOOL_PRUNE] = { "spool_prune",
	    "DELETE FROM c2s.spool_done WHERE done_at < now() - "
	    "make_interval(secs => $1::double precision / 1000)",
	    1, 1 },
	/*
	 * A lead job given up after JOB_MAX_TRIES (its runs died): the lead
	 * left 'processing' by them is failed, with $2 as the reason, and
	 * never due again.  A lead that reached an outcome is left alone.
	 */
	[CX_STMT_LEAD_GAVE_UP] = { "lead_gave_up",
	    "UPDATE c2s.leads SET status = 'failed', last_error = $2, "
	    "next_retry_at = NULL, updated_at = now() "
	    "WHERE lead_id = $1 AND status = 'processing'",
	    2, 1 },
};

_Static_assert(CX_STMT__MAX <= 64, "prepared statements are one bit each");

struct cx_db {
	char		*dsn;
	PGconn		*conn;
	uint64_t	 prepared;	/* bit per statement, this connection */
	unsigned	 resets;
	int		 in_tx;		/* inside BEGIN ... COMMIT */
	int		 probe;		/* connect even if the breaker is open */
	char		 sqlstate[6];
	char		 options[96];	/* search_path, statement_timeout, jit */
	struct cx_log	*log;
	struct cx_pg_gate gate;		/* the breaker, as its owner wires it */
};

/*
 * Make a handle for "dsn" (a conninfo string or URI; empty means libpq's
 * PG* variables); no statement runs longer than "deadline_ms".  Errors go
 * to "log".  "gate" is asked before each connect and told how connects and
 * statements went; it is copied.  Connects nothing.  Returns NULL on
 * allocation failure.
 */
struct cx_db *
cx_db_new(const char *dsn, long long deadline_ms, struct cx_log *log,
    const struct cx_pg_gate *gate)
{
	struct cx_db	*db;

	if ((db = calloc(1, sizeof(*db))) == NULL)
		return NULL;
	if ((db->dsn = strdup(dsn)) == NULL) {
		free(db);
		return NULL;
	}
	db->log = log;
	db->gate = *gate;
	/*
	 * No statement outlives the request's deadline.  No JIT: every
	 * statement here is small, and compiling one whose estimated cost
	 * passes jit_above_cost (c2s.stats_json() with a few thousand leads)
	 * takes seconds, far more than running it.
	 */
	snprintf(db->options, sizeof(db->options), "-c search_path= "
	    "-c statement_timeout=%lld -c jit=off",
	    deadline_ms);
	return db;
}

/* For /ready: connect even when the breaker is open (it probes). */
void
cx_db_set_probe(struct cx_db *db, int on)
{
	db->probe = on;
}

void
cx_db_free(struct cx_db *db)
{
	if (db == NULL)
		return;
	if (db->conn != NULL)
		PQfinish(db->conn);
	free(db->dsn);
	free(db);
}

/* The SQLSTATE of the last failure, or "" after a success. */
const char *
cx_db_sqlstate(const struct cx_db *db)
{
	return db->sqlstate;
}

/* How many times the connection was re-established. */
unsigned
cx_db_resets(const struct cx_db *db)
{
	return db->resets;
}

/* Log libpq's message for this connection, first line only. */
static void
db_log_error(struct cx_db *db, const char *what, const PGresult *res)
{
	const char	*msg = NULL;
	char		 line[256];
	size_t		 n;

	if (res != NULL)
		msg = PQresultErrorMessage(res);
	if ((msg == NULL || *msg == '\0') && db->conn != NULL)
		msg = PQerrorMessage(db->conn);
	if (msg == NULL)
		msg = "";
	n = strcspn(msg, "\n");
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, msg, n);
	line[n] = '\0';
	cx_logf(db->log, CE_LOG_ERROR, "db: %s: %s%s%s", what, line,
	    db->sqlstate[0] != '\0' ? " sqlstate " : "", db->sqlstate);
}

/*
 * What libpq would print on stderr (a notice; the FATAL an idle
 * connection gets when the server shuts down) goes to the JSON log: its
 * first line, as a warning.
 */
static void
db_notice(void *arg, const char *msg)
{
	struct cx_db	*db = arg;
	char		 line[256];
	size_t		 n = strcspn(msg, "\n");

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, msg, n);
	line[n] = '\0';
	cx_logf(db->log, CE_LOG_WARN, "db: %s", line);
}

/*
 * Make sure there is an open connection: connect the first time, reset a
 * broken one.  Returns CE_OK or CE_EDB (logged).
 */
static enum ce_err
db_ensure(struct cx_db *db)
{
	static const char *const keys[] = {
		"connect_timeout", "application_name", "options", "dbname",
		NULL
	};
	const char	*vals[] = {
		"3", CE_SERVICE, db->options, db->dsn, NULL
	};

	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		return CE_OK;
	if (db->in_tx) {
		/* A reset now would run the rest outside the transaction. */
		db_log_error(db, "connection lost in a transaction", NULL);
		return CE_EDB;
	}
	/* PostgreSQL known down on this machine: fail fast. */
	if (!db->probe && !db->gate.allow(db->gate.arg)) {
		cx_logf(db->log, CE_LOG_DEBUG, "db: breaker open, not "
		    "connecting");
		return CE_EDB;
	}
	if (db->conn == NULL) {
		/* Later keys override the DSN's: the DSN goes last. */
		db->conn = PQconnectdbParams(keys, vals, 1);
		if (db->conn == NULL) {
			cx_logf(db->log, CE_LOG_ERROR,
			    "db: out of memory");
			return CE_EDB;
		}
		/* Kept by PQreset(). */
		PQsetNoticeProcessor(db->conn, db_notice, db);
	} else {
		PQreset(db->conn);
		db->resets++;
	}
	db->prepared = 0;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_log_error(db, "connect", NULL);
		db->gate.report(db->gate.arg, 0);
		return CE_EDB;
	}
	db->gate.report(db->gate.arg, 1);
	return CE_OK;
}

/*
 * After a failure that broke the connection: reset it even if libpq still
 * says it is fine (it learns of a server restart only on use).  A
 * connection libpq already knows broken is left to db_ensure().  Returns
 * CE_OK or CE_EDB (logged).
 */
static enum ce_err
db_force_reset(struct cx_db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return CE_OK;
	PQreset(db->conn);
	db->resets++;
	db->prepared = 0;
	if (PQstatus(db->conn) != CONNECTION_OK) {
		db_log_error(db, "reconnect", NULL);
		db->gate.report(db->gate.arg, 0);
		return CE_EDB;
	}
	return CE_OK;
}

/* Did this failure break the connection (so a reset may help)? */
static int
db_conn_lost(const struct cx_db *db)
{
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return 1;
	/* 08: connection exception; 57P01-03: shutdown, crash, cannot connect. */
	return strncmp(db->sqlstate, "08", 2) == 0 ||
	    strncmp(db->sqlstate, "57P", 3) == 0;
}

static void
db_set_state(struct cx_db *db, const PGresult *res)
{
	const char	*st = NULL;

	if (res != NULL)
		st = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	ce_strlcpy(db->sqlstate, st != NULL ? st : "", sizeof(db->sqlstate));
}

/*
 * Run prepared statement "s" with "nparams" text parameters.  On CE_OK
 * "*out" holds the result, which the caller must PQclear().  Returns
 * CE_EDB on any failure (logged; cx_db_sqlstate() tells which), with
 * "*out" NULL.  A statement marked safe is retried once on a fresh
 * connection when the old one turned out to be broken.
 */
enum ce_err
cx_db_exec(struct cx_db *db, enum cx_stmt s, int nparams,
    const char *const *params, PGresult **out)
{
	PGresult	*res = NULL;
	ExecStatusType	 st;
	int		 attempt;

	*out = NULL;
	if ((unsigned)s >= CX_STMT__MAX || nparams != stmts[s].nparams)
		return CE_ESYSTEM;
	for (attempt = 0; attempt < 2; attempt++) {
		db->sqlstate[0] = '\0';
		if (db_ensure(db) != CE_OK)
			return CE_EDB;
		if ((db->prepared & ((uint64_t)1 << s)) == 0) {
			res = PQprepare(db->conn, stmts[s].name, stmts[s].sql,
			    nparams, NULL);
			if (res == NULL ||
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				db_set_state(db, res);
				goto failed;
			}
			PQclear(res);
			db->prepared |= (uint64_t)1 << s;
		}
		res = PQexecPrepared(db->conn, stmts[s].name, nparams, params,
		    NULL, NULL, 0);
		st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			db->gate.report(db->gate.arg, 1);
			*out = res;
			return CE_OK;
		}
		db_set_state(db, res);
failed:
		if (attempt == 0 && stmts[s].safe && !db->in_tx &&
		    db_conn_lost(db)) {
			cx_logf(db->log, CE_LOG_WARN,
			    "db: connection lost, "
			    "reconnecting to retry %s", stmts[s].name);
			PQclear(res);
			res = NULL;
			if (db_force_reset(db) != CE_OK)
				return CE_EDB;
			continue;
		}
		db_log_error(db, stmts[s].name, res);
		PQclear(res);
		return CE_EDB;
	}
	return CE_EDB;
}

/*
 * Run a command without parameters ("BEGIN", "COMMIT", "ROLLBACK").
 * "retry": may be repeated on a fresh connection when the old one was
 * found broken (only BEGIN: nothing was done yet).
 */
static enum ce_err
db_command(struct cx_db *db, const char *cmd, int retry)
{
	PGresult	*res;
	int		 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		db->sqlstate[0] = '\0';
		if (db_ensure(db) != CE_OK)
			return CE_EDB;
		res = PQexec(db->conn, cmd);
		if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK) {
			PQclear(res);
			return CE_OK;
		}
		db_set_state(db, res);
		if (attempt == 0 && retry && db_conn_lost(db)) {
			PQclear(res);
			if (db_force_reset(db) != CE_OK)
				return CE_EDB;
			continue;
		}
		db_log_error(db, cmd, res);
		PQclear(res);
		return CE_EDB;
	}
	return CE_EDB;
}

/*
 * Transactions.  Statements run between cx_db_begin() and cx_db_commit()
 * are never retried on their own: a lost connection loses the whole
 * transaction, and the caller sees CE_EDB.
 */
enum ce_err
cx_db_begin(struct cx_db *db)
{
	enum ce_err	 er;

	if (db->in_tx)
		return CE_ESYSTEM;
	if ((er = db_command(db, "BEGIN", 1)) == CE_OK)
		db->in_tx = 1;
	return er;
}

enum ce_err
cx_db_commit(struct cx_db *db)
{
	enum ce_err	 er;

	if (!db->in_tx)
		return CE_ESYSTEM;
	db->in_tx = 0;
	er = db_command(db, "COMMIT", 0);
	return er;
}

/* Roll back, if a transaction is open; a failure is only logged. */
void
cx_db_rollback(struct cx_db *db)
{
	if (!db->in_tx)
		return;
	db->in_tx = 0;
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK)
		(void)db_command(db, "ROLLBACK", 0);
}

/*
 * LISTEN on the jobs channel, on the connection as it is now (a reset
 * loses it: compare cx_db_resets() to decide when to listen again).
 * Returns CE_OK or CE_EDB (logged).
 */
enum ce_err
cx_db_listen(struct cx_db *db)
{
	return db_command(db, "LISTEN c2s_jobs", 1);
}

/*
 * Wait up to "ms" for a notification on the connection, with the signal
 * mask "mask" while waiting (pselect: the caller blocks its stop signals
 * outside the wait, so that one that comes after its last check still
 * ends the wait at once), or the mask as it is if NULL.  Returns 1 when
 * one (or more) arrived, 0 on time out or a signal, -1 when the
 * connection is broken (the next statement reconnects).
 */
int
cx_db_wait(struct cx_db *db, long long ms, const sigset_t *mask)
{
	struct timespec	 ts;
	fd_set		 rfds;
	PGnotify	*n;
	int		 fd, got = 0, rc;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    (fd = PQsocket(db->conn)) < 0 || fd >= FD_SETSIZE)
		return -1;
	if (PQconsumeInput(db->conn) == 0)
		goto broken;
	if ((n = PQnotifies(db->conn)) == NULL) {
		FD_ZERO(&rfds);
		FD_SET(fd, &rfds);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		rc = pselect(fd + 1, &rfds, NULL, NULL, &ts, mask);
		if (rc <= 0)
			return 0;	/* time out, or EINTR: a signal */
		if (PQconsumeInput(db->conn) == 0)
			goto broken;
		n = PQnotifies(db->conn);
	}
	while (n != NULL) {
		got = 1;
		PQfreemem(n);
		n = PQnotifies(db->conn);
	}
	return got;
broken:
	db_log_error(db, "wait for notifications", NULL);
	/* libpq may not know yet: make the next statement reconnect. */
	if (PQstatus(db->conn) == CONNECTION_OK) {
		PQfinish(db->conn);
		db->conn = NULL;
		db->resets++;
	}
	return -1;
}

/*
 * store.c -- all the SQL: the statement table io/pg.c prepares, and each
 * statement as a typed function that takes C values, fills the positional
 * parameters itself and copies its rows out, so no caller builds parameter
 * text or touches a PGresult.  Every function returns CE_OK or CE_EDB (the
 * database could not answer) unless it says otherwise.
 */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/buf.h"
#include "core/call.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "io/pg.h"
#include "app/store.h"

/* The statements, by number: their index in stmts[]. */
enum cx_stmt {
	CX_STMT_SCHEMA_VERSION = 0,
	CX_STMT_LEAD_START,
	CX_STMT_LEAD_FINISH,
	CX_STMT_DOSSIER_FRESH,
	CX_STMT_STORED_CPF,
	CX_STMT_PERSON_STORE,
	CX_STMT_NOTE_CLAIM,
	CX_STMT_NOTE_DONE,
	CX_STMT_NOTE_RELEASE,
	CX_STMT_CLAIM_TAKE,
	CX_STMT_CLAIM_GET,
	CX_STMT_CLAIM_STEAL,
	CX_STMT_CLAIM_DONE,
	CX_STMT_CLAIM_RELEASE,
	CX_STMT_WEBHOOK_INGEST,
	CX_STMT_WEBHOOK_INVALID,
	CX_STMT_WEBHOOK_REPLAY,
	CX_STMT_JOB_CLAIM,
	CX_STMT_JOB_FINISH,
	CX_STMT_RETRIES_DUE,
	CX_STMT_NOTIFY,
	CX_STMT_POLL_QUEUE,
	CX_STMT_POLLER_LOCK,
	CX_STMT_GOOGLE_RECORD,
	CX_STMT_GOOGLE_GET,
	CX_STMT_GOOGLE_SET,
	CX_STMT_PRUNE,
	CX_STMT_CLAIM_REDO,
	CX_STMT_JOB_AGAIN,
	CX_STMT_LEAD_COVERED,
	CX_STMT_CUSTOMER_CPF,
	CX_STMT_CUSTOMER_CONTACT,
	CX_STMT_CUSTOMER_NAME,
	CX_STMT_CUSTOMER_ID,
	CX_STMT_STATS,
	CX_STMT_WORK_SPACING,
	CX_STMT_SPOOL_DONE,
	CX_STMT_SPOOL_LEAD,
	CX_STMT_SPOOL_PRUNE,
	CX_STMT_LEAD_GAVE_UP,
	CX_STMT_REPEAT_OF,
	CX_STMT_LEAD_NOTE_INFO,
	CX_STMT_LEAD_HIGH_VALUE,
	CX_STMT_LEADS_PAGE,
	CX_STMT_LEAD_KNOWN,
	CX_STMT_LOCAL_NOW,
	CX_STMT_BACKFILL_LOCK,
	CX_STMT_BACKFILL_START,
	CX_STMT_BACKFILL_PAGE,
	CX_STMT_BACKFILL_DONE,
	CX_STMT_SP_DAY_START,
	CX_STMT_ALERT_RAISE,
	CX_STMT_ALERT_DUE,
	CX_STMT_ALERT_RESULT,
	CX_STMT_ALERT_LIST,
	CX_STMT_ALERT_FAILED,
	CX_STMT_ALERT_HIGH_VALUE,
	CX_STMT_ALERT_RATE,
	CX_STMT_ALERT_SILENT,
	CX_STMT_ALERT_PRUNE,
	CX_STMT__MAX
};

static const struct cx_pg_stmt stmts[CX_STMT__MAX] = {
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
	/*
	 * $7: milliseconds until the next retry, '' for none.  $12, $13:
	 * the tier that found the first person's CPF and its name score
	 * ('' for none); a run with no outcome yet keeps the stored ones.
	 */
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
	    "cpf_tier = CASE WHEN $2 IN ('received', 'processing') "
	    "THEN cpf_tier ELSE nullif($12, '') END, "
	    "name_score = CASE WHEN $2 IN ('received', 'processing') "
	    "THEN name_score ELSE nullif($13, '')::smallint END, "
	    "updated_at = now() WHERE lead_id = $1",
	    13, 1 },
	/*
	 * The newest dossier of CPF $1 younger than $2 ms, and its age in
	 * ms; else, when the Work API had none for it less than $3 ms ago
	 * (sql/0022), a row with no dossier and the age of that answer.
	 */
	[CX_STMT_DOSSIER_FRESH] = { "dossier_fresh",
	    "SELECT raw, age FROM ("
	    "(SELECT 0 AS k, d.raw::text AS raw, floor(extract(epoch FROM "
	    "now() - d.fetched_at) * 1000)::bigint AS age FROM c2s.dossiers d "
	    "JOIN c2s.persons p ON p.id = d.person_id WHERE p.cpf = $1 "
	    "AND d.fetched_at > now() - "
	    "make_interval(secs => $2::double precision / 1000) "
	    "ORDER BY d.fetched_at DESC LIMIT 1) UNION ALL "
	    "(SELECT 1, NULL, floor(extract(epoch FROM now() - m.asked_at) * "
	    "1000)::bigint FROM c2s.dossier_misses m "
	    "JOIN c2s.persons p ON p.id = m.person_id WHERE p.cpf = $1 "
	    "AND m.asked_at > now() - "
	    "make_interval(secs => $3::double precision / 1000))) u "
	    "ORDER BY k LIMIT 1",
	    3, 1 },
	/*
	 * Tier 0: the persons a stored phone ($1) or e-mail ($2) belongs
	 * to, each with its CPF and name, phones first ('' matches none:
	 * a stored value is never empty).
	 */
	[CX_STMT_STORED_CPF] = { "stored_cpf",
	    "SELECT c.type, p.cpf, coalesce(p.name, '') FROM c2s.contacts c "
	    "JOIN c2s.persons p ON p.id = c.person_id "
	    "WHERE (c.type = 'phone' AND c.value = $1) "
	    "OR (c.type = 'email' AND c.value = $2) "
	    "GROUP BY c.type, p.cpf, p.name ORDER BY c.type DESC, p.cpf "
	    "LIMIT 64",
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
	    " INSERT INTO c2s.lead_persons (lead_id, person_id, found_by,"
	    " tier, name_score)"
	    " SELECT $5, id, $6, nullif($10, ''), nullif($11, '')::smallint"
	    " FROM p WHERE $5::text IS NOT NULL"
	    " ON CONFLICT (lead_id, person_id)"
	    " DO UPDATE SET found_by = EXCLUDED.found_by,"
	    " tier = EXCLUDED.tier, name_score = EXCLUDED.name_score"
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
	    "), m AS ("
	    " INSERT INTO c2s.dossier_misses AS t (person_id)"
	    " SELECT id FROM p WHERE $12::boolean"
	    " ON CONFLICT (person_id) DO UPDATE SET asked_at = now(),"
	    " misses = t.misses + 1"
	    "), dm AS ("
	    " DELETE FROM c2s.dossier_misses WHERE person_id IN"
	    " (SELECT p.id FROM p, j WHERE j.raw IS NOT NULL)"
	    ") SELECT p.id, p.created::int, (SELECT count(*) FROM d),"
	    " (SELECT count(*) FROM c), (SELECT count(*) FROM a) FROM p",
	    12, 0 },
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
	 * for $2 milliseconds; skips rows another worker is claiming.  A
	 * backfill's jobs (sql/0016) only when no other is due: live leads
	 * do not wait behind a firm's history.  Each class is asked on its
	 * own, queued ones through their partial index (sql/0020), and in
	 * each class a silent running job (a few rows, jobs_running_idx)
	 * before a queued one; coalesce() stops at the first found, so the
	 * later subqueries neither run nor lock.
	 */
	[CX_STMT_JOB_CLAIM] = { "job_claim",
	    "UPDATE c2s.jobs j SET state = 'running', owner = $1, "
	    "started_at = now(), tries = j.tries + 1 WHERE j.id = coalesce("
	    "(SELECT id FROM c2s.jobs WHERE state = 'running' AND "
	    "source <> 'backfill' AND started_at < now() - make_interval("
	    "secs => $2::double precision / 1000) ORDER BY run_after, id "
	    "LIMIT 1 FOR UPDATE SKIP LOCKED), "
	    "(SELECT id FROM c2s.jobs WHERE state = 'queued' AND "
	    "source <> 'backfill' AND run_after <= now() "
	    "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED), "
	    "(SELECT id FROM c2s.jobs WHERE state = 'running' AND "
	    "started_at < now() - make_interval(secs => "
	    "$2::double precision / 1000) ORDER BY run_after, id "
	    "LIMIT 1 FOR UPDATE SKIP LOCKED), "
	    "(SELECT id FROM c2s.jobs WHERE state = 'queued' AND "
	    "source = 'backfill' AND run_after <= now() "
	    "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)) "
	    "RETURNING j.id, j.kind, j.ref, j.source, j.tries",
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
	 * Stored persons as the API shows them: their documents kept at
	 * write time (c2s.customer_docs, sql/0021), or built now by
	 * c2s.customer_json() (sql/0008) for a person no document covers.
	 * By CPF, by a contact ($1 type, $2 value), by a prefix of the
	 * folded name ($1, and $2 the first string after every string with
	 * that prefix, so the index serves a generic plan too), by id.  Then
	 * the limit and the offset ($2 and $3 by CPF, else $3 and $4).
	 */
	[CX_STMT_CUSTOMER_CPF] = { "customer_cpf",
	    "SELECT coalesce(d.doc, c2s.customer_json(p.id)::text) "
	    "FROM c2s.persons p LEFT JOIN c2s.customer_docs d "
	    "ON d.person_id = p.id "
	    "WHERE p.cpf = $1 LIMIT $2::int OFFSET $3::int",
	    3, 1 },
	[CX_STMT_CUSTOMER_CONTACT] = { "customer_contact",
	    "SELECT coalesce(d.doc, c2s.customer_json(x.id)::text) "
	    "FROM (SELECT DISTINCT "
	    "person_id AS id FROM c2s.contacts WHERE type = $1 AND value = $2 "
	    "ORDER BY person_id LIMIT $3::int OFFSET $4::int) x "
	    "LEFT JOIN c2s.customer_docs d ON d.person_id = x.id "
	    "ORDER BY x.id",
	    4, 1 },
	/* The page's ids first: no document is read for a skipped row. */
	[CX_STMT_CUSTOMER_NAME] = { "customer_name",
	    "SELECT coalesce(d.doc, c2s.customer_json(x.id)::text) "
	    "FROM (SELECT id, "
	    "name_folded FROM c2s.persons "
	    "WHERE name_folded ~>=~ $1 AND name_folded ~<~ $2 "
	    "ORDER BY name_folded, id LIMIT $3::int OFFSET $4::int) x "
	    "LEFT JOIN c2s.customer_docs d ON d.person_id = x.id "
	    "ORDER BY x.name_folded, x.id",
	    4, 1 },
	/* One primary-key read; coalesce builds nothing when it finds. */
	[CX_STMT_CUSTOMER_ID] = { "customer_id",
	    "SELECT coalesce((SELECT doc FROM c2s.customer_docs "
	    "WHERE person_id = $1::uuid), c2s.customer_json($1::uuid)::text)",
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
	/*
	 * A repeat person (sql/0015): among the other leads of CPF $1 (lead
	 * $2 excluded), the completed one whose note was posted first, if
	 * before any note of lead $2 (so a redo of the first lead is no
	 * repeat of a later one), and that note's date in Sao Paulo.
	 */
	[CX_STMT_REPEAT_OF] = { "repeat_of",
	    "SELECT o.lead_id, to_char(f.first_at AT TIME ZONE "
	    "'America/Sao_Paulo', 'DD/MM/YYYY') FROM c2s.persons p "
	    "JOIN c2s.lead_persons lp ON lp.person_id = p.id "
	    "JOIN c2s.leads o ON o.lead_id = lp.lead_id "
	    "CROSS JOIN LATERAL (SELECT min(n.posted_at) AS first_at "
	    "FROM c2s.notes n WHERE n.lead_id = o.lead_id "
	    "AND n.state = 'posted') f "
	    "WHERE p.cpf = $1 AND o.lead_id <> $2 AND o.status = 'completed' "
	    "AND f.first_at < coalesce((SELECT min(n.posted_at) "
	    "FROM c2s.notes n WHERE n.lead_id = $2 AND n.state = 'posted'), "
	    "'infinity') ORDER BY f.first_at, o.lead_id LIMIT 1",
	    2, 1 },
	/* Why lead $1 has no note ($2), or whose pointer it is ($3). */
	[CX_STMT_LEAD_NOTE_INFO] = { "lead_note_info",
	    "UPDATE c2s.leads SET note_reason = nullif($2, ''), "
	    "repeat_of = nullif($3, '') WHERE lead_id = $1 AND "
	    "(note_reason IS DISTINCT FROM nullif($2, '') OR "
	    "repeat_of IS DISTINCT FROM nullif($3, ''))",
	    3, 1 },
	/* A lead's high-value reasons ($2, '' for none: NULL). */
	[CX_STMT_LEAD_HIGH_VALUE] = { "lead_high_value",
	    "UPDATE c2s.leads SET high_value = nullif($2, '') "
	    "WHERE lead_id = $1 AND high_value IS DISTINCT FROM nullif($2, '')",
	    2, 1 },
	/*
	 * The operators' list and export (GET /api/v1/leads): one page of
	 * leads, newest first, filtered by status $1 and source $2 ('': any),
	 * created at or after $3 and at or before $4 ('', a timestamp, or a
	 * YYYY-MM-DD day of America/Sao_Paulo), $5 rows at most ('': all)
	 * after skipping $6, and after key $7, $8 (the last row of the page
	 * before: created_at as text, lead_id; '': from the newest), which
	 * also bounds created_at so that the index on it serves each page.
	 * Dates in UTC ISO 8601 and in pt-BR, São Paulo time; the CPFs the
	 * lead found, in clear (the caller masks them); the key.
	 */
	[CX_STMT_LEADS_PAGE] = { "leads_page",
	    "SELECT l.lead_id, l.status, l.source, l.attempts, l.retries, "
	    "coalesce(l.customer_name, ''), coalesce(l.phone, ''), "
	    "coalesce(l.email, ''), l.note_state, coalesce(l.last_error, ''), "
	    "to_char(l.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "to_char(l.updated_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
	    "to_char(l.created_at AT TIME ZONE 'America/Sao_Paulo', "
	    "'DD/MM/YYYY HH24:MI'), "
	    "to_char(l.updated_at AT TIME ZONE 'America/Sao_Paulo', "
	    "'DD/MM/YYYY HH24:MI'), "
	    "coalesce((SELECT string_agg(p.cpf, ',' ORDER BY p.cpf) "
	    "FROM c2s.lead_persons lp JOIN c2s.persons p ON p.id = "
	    "lp.person_id WHERE lp.lead_id = l.lead_id), ''), "
	    "l.created_at::text FROM c2s.leads l "
	    "WHERE ($1 = '' OR l.status = $1) AND ($2 = '' OR l.source = $2) "
	    "AND l.created_at >= coalesce(CASE WHEN length($3) = 10 THEN "
	    "$3::date::timestamp AT TIME ZONE 'America/Sao_Paulo' "
	    "WHEN $3 <> '' THEN $3::timestamptz END, '-infinity') "
	    "AND l.created_at <= least(coalesce(CASE WHEN length($4) = 10 "
	    "THEN ($4::date + 1)::timestamp AT TIME ZONE 'America/Sao_Paulo' "
	    "- interval '1 microsecond' WHEN $4 <> '' THEN $4::timestamptz "
	    "END, 'infinity'), coalesce(nullif($7, '')::timestamptz, "
	    "'infinity')) "
	    "AND (nullif($7, '') IS NULL OR (l.created_at, l.lead_id) < "
	    "(nullif($7, '')::timestamptz, $8)) "
	    "ORDER BY l.created_at DESC, l.lead_id DESC "
	    "LIMIT nullif($5, '')::bigint OFFSET $6::bigint",
	    8, 1 },
	[CX_STMT_LEAD_KNOWN] = { "lead_known",
	    "SELECT 1 FROM c2s.leads WHERE lead_id = $1",
	    1, 1 },
	/* Now, in pt-BR, São Paulo time. */
	[CX_STMT_LOCAL_NOW] = { "local_now",
	    "SELECT to_char(now() AT TIME ZONE 'America/Sao_Paulo', "
	    "'DD/MM/YYYY HH24:MI:SS')",
	    0, 1 },
	/*
	 * c2s-enrich --backfill (backfill.c, sql/0016).  One backfill at a
	 * time: a session lock, held while the run lives.
	 */
	[CX_STMT_BACKFILL_LOCK] = { "backfill_lock",
	    "SELECT pg_try_advisory_lock(7461095)",
	    0, 0 },
	/*
	 * The unfinished backfill of range [$1, $2) (Unix seconds; $3
	 * false: --until left out, any until) counted one run more, or a
	 * new one: its id, until, next page, counts, total (-1: unknown)
	 * and runs.
	 */
	[CX_STMT_BACKFILL_START] = { "backfill_start",
	    "WITH old AS (SELECT id FROM c2s.backfills WHERE state = "
	    "'running' AND since = to_timestamp($1::double precision) AND "
	    "until_given = $3::boolean AND (NOT $3::boolean OR until = "
	    "to_timestamp($2::double precision)) ORDER BY id DESC LIMIT 1), "
	    "upd AS (UPDATE c2s.backfills b SET runs = b.runs + 1, "
	    "updated_at = now() FROM old WHERE b.id = old.id RETURNING b.*), "
	    "ins AS (INSERT INTO c2s.backfills (since, until, until_given) "
	    "SELECT to_timestamp($1::double precision), "
	    "to_timestamp($2::double precision), $3::boolean "
	    "WHERE NOT EXISTS (SELECT 1 FROM old) RETURNING *) "
	    "SELECT id, floor(extract(epoch FROM until))::bigint, next_page, "
	    "seen, queued, known, coalesce(list_total, -1), runs "
	    "FROM (SELECT * FROM upd UNION ALL SELECT * FROM ins) b",
	    3, 0 },
	/*
	 * One page of backfill $1: the leads ($2 ids, $3 phones, $4 created
	 * as Unix seconds, '' unknown; newest first) never seen (no lead,
	 * no job, not backfilled) become jobs of source 'backfill', the
	 * newest of a phone never backfilled at once, the others $5 ms
	 * later, so that they run after it from its dossier; and the
	 * checkpoint moves to page $6 ($7 the last created_at done, $8 the
	 * list's total, '' to keep them), all in one statement; $9 true for
	 * a page done before (a resumed run's first), whose leads count as
	 * seen only when queued now.  Returns the jobs queued, how many of
	 * them later, and the backfill's counts.
	 */
	[CX_STMT_BACKFILL_PAGE] = { "backfill_page",
	    "WITH page AS (SELECT u.id, nullif(u.phone, '') AS phone, "
	    "to_timestamp(nullif(u.created, '')::double precision) AS created, "
	    "u.ord FROM unnest($2::text[], $3::text[], $4::text[]) "
	    "WITH ORDINALITY AS u(id, phone, created, ord)), "
	    "fresh AS (SELECT p.* FROM page p WHERE p.id ~ '^[0-9a-f]{32}$' "
	    "AND NOT EXISTS (SELECT 1 FROM c2s.leads l WHERE l.lead_id = p.id) "
	    "AND NOT EXISTS (SELECT 1 FROM c2s.jobs j WHERE j.kind = 'lead' "
	    "AND j.ref = p.id) AND NOT EXISTS (SELECT 1 FROM "
	    "c2s.backfill_leads b WHERE b.lead_id = p.id)), "
	    "grouped AS (SELECT f.id, f.phone, f.created, f.ord, "
	    "f.phone IS NULL OR (row_number() OVER (PARTITION BY f.phone "
	    "ORDER BY f.ord) = 1 AND NOT EXISTS (SELECT 1 FROM "
	    "c2s.backfill_leads b WHERE b.phone = f.phone)) AS head "
	    "FROM fresh f), "
	    "bl AS (INSERT INTO c2s.backfill_leads (lead_id, backfill_id, "
	    "phone, head, created_at) SELECT id, $1::bigint, phone, head, "
	    "created FROM grouped ORDER BY ord ON CONFLICT (lead_id) "
	    "DO NOTHING RETURNING lead_id), "
	    "jb AS (INSERT INTO c2s.jobs (kind, ref, source, run_after) "
	    "SELECT 'lead', g.id, 'backfill', CASE WHEN g.head THEN now() "
	    "ELSE now() + make_interval(secs => $5::double precision / 1000) "
	    "END FROM grouped g JOIN bl ON bl.lead_id = g.id ORDER BY g.ord "
	    "ON CONFLICT (kind, ref) WHERE state = 'queued' DO NOTHING "
	    "RETURNING run_after > now() AS later), "
	    "n AS (SELECT count(*) AS q, count(*) FILTER (WHERE later) AS f, "
	    "(SELECT count(*) FROM page) AS s FROM jb), "
	    "cp AS (UPDATE c2s.backfills b SET next_page = $6::int, "
	    "last_created = coalesce(to_timestamp(nullif($7, '')::double "
	    "precision), b.last_created), pages = b.pages + 1, "
	    "seen = b.seen + CASE WHEN $9::boolean THEN n.q ELSE n.s END, "
	    "queued = b.queued + n.q, "
	    "known = b.known + CASE WHEN $9::boolean THEN 0 ELSE n.s - n.q END, "
	    "list_total = coalesce(nullif($8, '')::bigint, b.list_total), "
	    "updated_at = now() FROM n WHERE b.id = $1::bigint "
	    "RETURNING b.seen, b.queued, b.known) "
	    "SELECT n.q, n.f, cp.seen, cp.queued, cp.known FROM n, cp",
	    9, 0 },
	[CX_STMT_BACKFILL_DONE] = { "backfill_done",
	    "UPDATE c2s.backfills SET state = 'done', finished_at = now(), "
	    "updated_at = now() WHERE id = $1::bigint",
	    1, 1 },
	/*
	 * The first instant of São Paulo day $1, in Unix seconds, by the
	 * zone's rules (its summer time until 2019), as LEADS_PAGE reads a
	 * day.
	 */
	[CX_STMT_SP_DAY_START] = { "sp_day_start",
	    "SELECT floor(extract(epoch FROM $1::date::timestamp "
	    "AT TIME ZONE 'America/Sao_Paulo'))::bigint",
	    1, 1 },
	/*
	 * The alerts (app/alert.c, sql/0019).  Raise one: mark $1 moves
	 * when older than $2 ms ($2 < 0: never moves once made), and only
	 * then is the alert stored (kind $3, key $4, title $5, text $6,
	 * link $7 or ''), each channel pending when on ($8 webhook, $9
	 * e-mail), else off.  Its id, or no row: throttled.
	 */
	[CX_STMT_ALERT_RAISE] = { "alert_raise",
	    "WITH m AS (INSERT INTO c2s.alert_marks AS a (mark) VALUES ($1) "
	    "ON CONFLICT (mark) DO UPDATE SET raised_at = now() "
	    "WHERE $2::bigint >= 0 AND a.raised_at <= now() - "
	    "make_interval(secs => $2::double precision / 1000) RETURNING 1) "
	    "INSERT INTO c2s.alerts (kind, key, title, text, link, "
	    "webhook_state, email_state) SELECT $3, $4, $5, $6, "
	    "nullif($7, ''), CASE WHEN $8::boolean THEN 'pending' ELSE 'off' "
	    "END, CASE WHEN $9::boolean THEN 'pending' ELSE 'off' END "
	    "FROM m RETURNING id",
	    9, 1 },
	/*
	 * At most $1 alerts with a channel due, oldest first, of the
	 * channels configured now ($2 webhook, $3 e-mail): id, kind, title,
	 * text, link, created (São Paulo, pt-BR; RFC 5322 in UTC), whether
	 * the webhook and the e-mail are due.
	 */
	[CX_STMT_ALERT_DUE] = { "alert_due",
	    "SELECT id, kind, title, text, coalesce(link, ''), "
	    "to_char(created_at AT TIME ZONE 'America/Sao_Paulo', "
	    "'DD/MM/YYYY HH24:MI:SS'), "
	    "to_char(created_at AT TIME ZONE 'UTC', "
	    "'Dy, DD Mon YYYY HH24:MI:SS \"+0000\"'), w, e FROM (SELECT *, "
	    "$2::boolean AND webhook_state = 'pending' AND "
	    "webhook_next <= now() AS w, $3::boolean AND "
	    "email_state = 'pending' AND email_next <= now() AS e "
	    "FROM c2s.alerts WHERE webhook_state = 'pending' OR "
	    "email_state = 'pending') a WHERE w OR e ORDER BY id LIMIT $1",
	    3, 1 },
	/*
	 * Alert $1's channel $2 ('webhook', 'email') sent ($3 true), or
	 * failed with $4: tried again after $5 ms doubled per attempt
	 * (64 times at most), the alert kept pending.
	 */
	[CX_STMT_ALERT_RESULT] = { "alert_result",
	    "UPDATE c2s.alerts SET "
	    "webhook_state = CASE WHEN $2 = 'webhook' AND $3::boolean "
	    "THEN 'sent' ELSE webhook_state END, "
	    "webhook_attempts = webhook_attempts + ($2 = 'webhook')::int, "
	    "webhook_next = CASE WHEN $2 = 'webhook' AND NOT $3::boolean "
	    "THEN now() + make_interval(secs => $5::double precision / 1000 "
	    "* 2 ^ least(webhook_attempts, 6)) ELSE webhook_next END, "
	    "webhook_error = CASE WHEN $2 = 'webhook' THEN nullif($4, '') "
	    "ELSE webhook_error END, "
	    "email_state = CASE WHEN $2 = 'email' AND $3::boolean "
	    "THEN 'sent' ELSE email_state END, "
	    "email_attempts = email_attempts + ($2 = 'email')::int, "
	    "email_next = CASE WHEN $2 = 'email' AND NOT $3::boolean "
	    "THEN now() + make_interval(secs => $5::double precision / 1000 "
	    "* 2 ^ least(email_attempts, 6)) ELSE email_next END, "
	    "email_error = CASE WHEN $2 = 'email' THEN nullif($4, '') "
	    "ELSE email_error END WHERE id = $1",
	    5, 1 },
	/* The newest $1 alerts as a JSON document (GET /api/v1/alerts). */
	[CX_STMT_ALERT_LIST] = { "alert_list",
	    "SELECT json_build_object('alerts', coalesce(json_agg(json_build_"
	    "object('id', a.id, 'kind', a.kind, 'key', a.key, 'title', "
	    "a.title, 'text', a.text, 'link', a.link, 'created_at', "
	    "to_char(a.created_at AT TIME ZONE 'UTC', "
	    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'webhook', json_build_"
	    "object('state', a.webhook_state, 'attempts', a.webhook_attempts, "
	    "'error', a.webhook_error), 'email', json_build_object('state', "
	    "a.email_state, 'attempts', a.email_attempts, 'error', "
	    "a.email_error)) ORDER BY a.created_at DESC, a.id DESC), "
	    "'[]'::json))::text FROM (SELECT * FROM c2s.alerts "
	    "ORDER BY created_at DESC, id DESC LIMIT $1) a",
	    1, 1 },
	/*
	 * The latest lead failed after $1 (ms since the epoch): id, error,
	 * name, when (ms, rounded up: the next look starts after it), and
	 * how many failed since.
	 */
	[CX_STMT_ALERT_FAILED] = { "alert_failed",
	    "SELECT lead_id, coalesce(last_error, ''), "
	    "coalesce(customer_name, ''), "
	    "ceil(extract(epoch FROM updated_at) * 1000)::bigint, "
	    "count(*) OVER () FROM c2s.leads WHERE status = 'failed' AND "
	    "updated_at > to_timestamp($1::double precision / 1000) "
	    "ORDER BY updated_at DESC LIMIT 1",
	    1, 1 },
	/*
	 * High-value leads (sql/0017) changed after $1 ms, oldest first, 20
	 * at most: id, reasons, name, a CPF (in clear: the caller masks
	 * it), when (ms).
	 */
	[CX_STMT_ALERT_HIGH_VALUE] = { "alert_high_value",
	    "SELECT l.lead_id, l.high_value, coalesce(l.customer_name, ''), "
	    "coalesce((SELECT p.cpf FROM c2s.lead_persons lp JOIN "
	    "c2s.persons p ON p.id = lp.person_id WHERE lp.lead_id = "
	    "l.lead_id ORDER BY p.cpf LIMIT 1), ''), "
	    "ceil(extract(epoch FROM l.updated_at) * 1000)::bigint "
	    "FROM c2s.leads l WHERE l.high_value IS NOT NULL AND "
	    "l.updated_at > to_timestamp($1::double precision / 1000) "
	    "ORDER BY l.updated_at LIMIT 20",
	    1, 1 },
	/*
	 * The last hour's leads with an outcome (the newest 100 000 at
	 * most, by the index on created_at), and how many were enriched.
	 */
	[CX_STMT_ALERT_RATE] = { "alert_rate",
	    "SELECT count(*), count(*) FILTER (WHERE status = 'completed') "
	    "FROM (SELECT status FROM c2s.leads WHERE created_at >= now() - "
	    "interval '1 hour' AND status NOT IN ('received', 'processing') "
	    "ORDER BY created_at DESC LIMIT 100000) l",
	    0, 1 },
	/*
	 * Milliseconds without a C2S webhook, counted from the last one or
	 * from today's business hours' start (hour $3, São Paulo), whichever
	 * is later (NULL: none ever came); whether now is within business
	 * hours (ISO weekdays $1 to $2, hours $3 to $4, São Paulo).
	 */
	[CX_STMT_ALERT_SILENT] = { "alert_silent",
	    "SELECT (extract(epoch FROM now() - greatest((SELECT "
	    "max(received_at) FROM c2s.webhook_events), (date_trunc('day', "
	    "now() AT TIME ZONE 'America/Sao_Paulo') + make_interval(hours "
	    "=> $3::int)) AT TIME ZONE 'America/Sao_Paulo')) * 1000)::bigint "
	    "* (SELECT count(*) FROM (SELECT 1 FROM c2s.webhook_events "
	    "LIMIT 1) e), "
	    "extract(isodow FROM now() AT TIME ZONE 'America/Sao_Paulo') "
	    "BETWEEN $1::int AND $2::int AND extract(hour FROM now() AT TIME "
	    "ZONE 'America/Sao_Paulo') >= $3::int AND extract(hour FROM now() "
	    "AT TIME ZONE 'America/Sao_Paulo') < $4::int",
	    4, 1 },
	/*
	 * Alerts and throttle marks older than $1 days, $2 of each at
	 * most, oldest first through their indexes: how many went.
	 */
	[CX_STMT_ALERT_PRUNE] = { "alert_prune",
	    "WITH a AS (DELETE FROM c2s.alerts WHERE id IN (SELECT id FROM "
	    "c2s.alerts WHERE created_at < now() - make_interval(days => "
	    "$1::int) ORDER BY created_at LIMIT $2::int) RETURNING 1), "
	    "m AS (DELETE FROM c2s.alert_marks WHERE mark IN (SELECT mark "
	    "FROM c2s.alert_marks WHERE raised_at < now() - make_interval("
	    "days => $1::int) ORDER BY raised_at LIMIT $2::int) RETURNING 1) "
	    "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM m)",
	    2, 1 },
};

_Static_assert(CX_STMT__MAX <= 64, "prepared statements are one bit each");

/*
 * Run statement "s", whose one row is a document (JSON), appended to
 * "out".  CE_ESYSTEM when it gives none.
 */
static enum ce_err
exec_doc(struct cx_db *db, enum cx_stmt s, int n, const char *const *p,
    struct ce_buf *out)
{
	PGresult	*res;
	enum ce_err	 er;

	if (cx_db_exec(db, s, n, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		er = CE_ESYSTEM;
	else
		er = ce_buf_puts(out, PQgetvalue(res, 0, 0));
	PQclear(res);
	return er;
}

/*
 * The connection for "dsn" with the statements above (see cx_db_new()):
 * NULL on allocation failure.
 */
struct cx_db *
cx_store_new(const char *dsn, long long deadline_ms, struct cx_log *log,
    const struct cx_pg_gate *gate)
{
	return cx_db_new(dsn, deadline_ms, log, gate, stmts, CX_STMT__MAX);
}

/*
 * Run a statement that returns at most one row; *got: whether it did
 * (with "want" not NULL: and whether its first column is "want").
 */
static enum ce_err
exec_got(struct cx_db *db, enum cx_stmt s, int n, const char *const *p,
    const char *want, int *got)
{
	PGresult	*res;

	if (cx_db_exec(db, s, n, p, &res) != CE_OK)
		return CE_EDB;
	*got = PQntuples(res) == 1 &&
	    (want == NULL || strcmp(PQgetvalue(res, 0, 0), want) == 0);
	PQclear(res);
	return CE_OK;
}

/* CLAIM_TAKE or CLAIM_REDO: "lead" for "owner", "ms" long. */
static enum ce_err
claim_for(struct cx_db *db, enum cx_stmt s, const char *lead,
    const char *owner, long long ms, int *got)
{
	const char	*p[3];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	return exec_got(db, s, 3, p, NULL, got);
}

/* Insert or take over an expired claim of "lead" for "owner", "ms" long. */
enum ce_err
cx_store_claim_take(struct cx_db *db, const char *lead, const char *owner,
    long long ms, int *got)
{
	return claim_for(db, CX_STMT_CLAIM_TAKE, lead, owner, ms, got);
}

/* The claim row of "lead"; *found 0 when there is none. */
enum ce_err
cx_store_claim_get(struct cx_db *db, const char *lead,
    struct cx_claim_row *row, int *found)
{
	PGresult	*res;
	const char	*p[1];

	p[0] = lead;
	if (cx_db_exec(db, CX_STMT_CLAIM_GET, 1, p, &res) != CE_OK)
		return CE_EDB;
	if ((*found = PQntuples(res) == 1)) {
		ce_strlcpy(row->owner, PQgetvalue(res, 0, 0),
		    sizeof(row->owner));
		row->done = strcmp(PQgetvalue(res, 0, 1), "done") == 0;
		ce_strlcpy(row->outcome, PQgetvalue(res, 0, 2),
		    sizeof(row->outcome));
	}
	PQclear(res);
	return CE_OK;
}

/* Take a done claim of "lead" again for "owner", "ms" long. */
enum ce_err
cx_store_claim_redo(struct cx_db *db, const char *lead, const char *owner,
    long long ms, int *got)
{
	return claim_for(db, CX_STMT_CLAIM_REDO, lead, owner, ms, got);
}

/* Take over the claim in flight of "dead", found dead. */
enum ce_err
cx_store_claim_steal(struct cx_db *db, const char *lead, const char *owner,
    const char *dead, long long ms, int *got)
{
	const char	*p[4];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = dead;
	p[3] = t;
	return exec_got(db, CX_STMT_CLAIM_STEAL, 4, p, NULL, got);
}

/* Mark the claim done with "outcome", kept "ttl_ms". */
enum ce_err
cx_store_claim_done(struct cx_db *db, const char *lead, const char *owner,
    long long ttl_ms, const char *outcome)
{
	PGresult	*res;
	const char	*p[4];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", ttl_ms);
	p[0] = lead;
	p[1] = owner;
	p[2] = t;
	p[3] = outcome;
	if (cx_db_exec(db, CX_STMT_CLAIM_DONE, 4, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}

/* Drop the claim, so that a retry can run at once. */
enum ce_err
cx_store_claim_release(struct cx_db *db, const char *lead, const char *owner)
{
	PGresult	*res;
	const char	*p[2];

	p[0] = lead;
	p[1] = owner;
	if (cx_db_exec(db, CX_STMT_CLAIM_RELEASE, 2, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}

/* Write the lead's state at the end of a run. */
enum ce_err
cx_store_lead_finish(struct cx_db *db, const struct cx_lead_state *ls)
{
	PGresult	*res;
	char		 retry[32] = "", fetched[16], reused[16], score[16] = "";
	const char	*p[13];
	enum ce_err	 er;

	if (ls->retry_ms >= 0)
		snprintf(retry, sizeof(retry), "%lld", ls->retry_ms);
	p[0] = ls->lead_id;
	p[1] = ls->status;
	p[2] = ls->error;
	p[3] = ls->name;
	p[4] = ls->phone;
	p[5] = ls->email;
	p[6] = retry;
	p[7] = ls->note_state;
	p[8] = ls->contacts;
	snprintf(fetched, sizeof(fetched), "%d", ls->fetched);
	snprintf(reused, sizeof(reused), "%d", ls->reused);
	p[9] = fetched;
	p[10] = reused;
	p[11] = ls->tier != NULL ? ls->tier : "";
	if (ls->score >= 0)
		snprintf(score, sizeof(score), "%d", ls->score);
	p[12] = score;
	er = cx_db_exec(db, CX_STMT_LEAD_FINISH, 13, p, &res);
	PQclear(res);
	return er;
}

/*
 * The stored dossier of "cpf" younger than "max_age_ms": *json (the
 * caller frees it; NULL when there is none) and its age, "max_age_ms"
 * when unreadable.  Without one, *miss_ms is the age of the Work API's
 * last "no dossier" for it when younger than "miss_max_ms" (sql/0022),
 * else -1.  CE_ESYSTEM when the dossier cannot be copied.
 */
enum ce_err
cx_store_dossier_fresh(struct cx_db *db, const char *cpf,
    long long max_age_ms, long long miss_max_ms, char **json,
    long long *age_ms, long long *miss_ms)
{
	PGresult	*res;
	const char	*p[3];
	char		 age[32], miss[32];
	long long	 v;

	*json = NULL;
	*miss_ms = -1;
	snprintf(age, sizeof(age), "%lld", max_age_ms);
	snprintf(miss, sizeof(miss), "%lld", miss_max_ms);
	p[0] = cpf;
	p[1] = age;
	p[2] = miss;
	if (cx_db_exec(db, CX_STMT_DOSSIER_FRESH, 3, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return CE_OK;
	}
	if (ce_strtonum(PQgetvalue(res, 0, 1), 0, LLONG_MAX / 2, &v) == -1)
		v = max_age_ms;
	if (PQgetisnull(res, 0, 0)) {
		*miss_ms = v;
		PQclear(res);
		return CE_OK;
	}
	*age_ms = v;
	*json = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return *json == NULL ? CE_ESYSTEM : CE_OK;
}

/*
 * Tier 0: the persons the stored phone "phone" and e-mail "email" ("" for
 * none) belong to, into "ph" and "em" (at most CE_CANDS_MAX each, the
 * others counted in "dropped").  On CE_EDB both are left empty.
 */
enum ce_err
cx_store_stored_cpf(struct cx_db *db, const char *phone, const char *email,
    struct ce_cands *ph, struct ce_cands *em)
{
	PGresult	*res;
	struct ce_cands	*cs;
	const char	*p[2];
	int		 i;
	enum ce_err	 er;

	ph->n = ph->dropped = 0;
	em->n = em->dropped = 0;
	p[0] = phone;
	p[1] = email;
	if ((er = cx_db_exec(db, CX_STMT_STORED_CPF, 2, p, &res)) != CE_OK)
		return er;
	for (i = 0; i < PQntuples(res) && PQnfields(res) == 3; i++) {
		cs = strcmp(PQgetvalue(res, i, 0), "phone") == 0 ? ph : em;
		if (cs->n == CE_CANDS_MAX ||
		    PQgetlength(res, i, 1) != 11) {
			cs->dropped++;
			continue;
		}
		ce_strlcpy(cs->c[cs->n].cpf, PQgetvalue(res, i, 1),
		    sizeof(cs->c[cs->n].cpf));
		ce_strlcpy(cs->c[cs->n].name, PQgetvalue(res, i, 2),
		    sizeof(cs->c[cs->n].name));
		cs->n++;
	}
	PQclear(res);
	return CE_OK;
}

/*
 * Store a person, its dossier, contacts and addresses; *rows: the rows
 * written, as the statement counts them (0 when it does not say).
 */
enum ce_err
cx_store_person(struct cx_db *db, const struct cx_person_row *row,
    long long *rows)
{
	PGresult	*res;
	const char	*p[12];
	char		 score[16] = "";
	long long	 v;
	int		 f;
	enum ce_err	 er;

	*rows = 0;
	p[0] = row->cpf;
	p[1] = row->name;
	p[2] = row->folded;
	p[3] = row->birth;
	p[4] = row->lead_id;
	p[5] = row->found_by;
	p[6] = row->dossier;
	p[7] = row->phone;
	p[8] = row->email;
	p[9] = row->tier != NULL ? row->tier : "";
	if (row->score >= 0)
		snprintf(score, sizeof(score), "%d", row->score);
	p[10] = score;
	p[11] = row->dossier_missing ? "true" : "false";
	if ((er = cx_db_exec(db, CX_STMT_PERSON_STORE, 12, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1 && PQnfields(res) == 5)
		for (f = 1; f < 5; f++)
			if (ce_strtonum(PQgetvalue(res, 0, f), 0, 1000000,
			    &v) == 0)
				*rows += v;
	PQclear(res);
	return CE_OK;
}

/*
 * Claim the note "text" of "lead" for posting: *state says whom it is
 * for, and "sha" (of "shasz" bytes) gets its hash unless CX_NC_NONE.
 */
enum ce_err
cx_store_note_claim(struct cx_db *db, const char *lead, const char *text,
    char *sha, size_t shasz, enum cx_note_claim *state)
{
	PGresult	*res;
	const char	*p[2];
	enum ce_err	 er;

	*state = CX_NC_NONE;
	p[0] = lead;
	p[1] = text;
	if ((er = cx_db_exec(db, CX_STMT_NOTE_CLAIM, 2, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1) {
		ce_strlcpy(sha, PQgetvalue(res, 0, 0), shasz);
		if (strcmp(PQgetvalue(res, 0, 1), "claimed") == 0)
			*state = CX_NC_CLAIMED;
		else if (strcmp(PQgetvalue(res, 0, 1), "posted") == 0)
			*state = CX_NC_POSTED;
		else
			*state = CX_NC_POSTING;
	}
	PQclear(res);
	return CE_OK;
}

static enum ce_err
note_by_sha(struct cx_db *db, enum cx_stmt s, const char *lead,
    const char *sha)
{
	PGresult	*res;
	const char	*p[2];
	enum ce_err	 er;

	p[0] = lead;
	p[1] = sha;
	if ((er = cx_db_exec(db, s, 2, p, &res)) != CE_OK)
		return er;
	PQclear(res);
	return CE_OK;
}

/* The note "sha" of "lead" is posted. */
enum ce_err
cx_store_note_done(struct cx_db *db, const char *lead, const char *sha)
{
	return note_by_sha(db, CX_STMT_NOTE_DONE, lead, sha);
}

/* Give back the claim on the note "sha" of "lead" (surely not posted). */
enum ce_err
cx_store_note_release(struct cx_db *db, const char *lead, const char *sha)
{
	return note_by_sha(db, CX_STMT_NOTE_RELEASE, lead, sha);
}

/*
 * Record the start of a run of "lead"; "retry": a scheduled retry; due
 * again in "stall_ms" if the run dies.  *attempts and *retries are set
 * only when the row says.
 */
enum ce_err
cx_store_lead_start(struct cx_db *db, const char *lead, const char *source,
    int retry, long long stall_ms, int *attempts, int *retries)
{
	PGresult	*res;
	const char	*p[4];
	char		 stall[32];
	long long	 n;
	enum ce_err	 er;

	snprintf(stall, sizeof(stall), "%lld", stall_ms);
	p[0] = lead;
	p[1] = source;
	p[2] = retry ? "1" : "0";
	p[3] = stall;
	if ((er = cx_db_exec(db, CX_STMT_LEAD_START, 4, p, &res)) != CE_OK)
		return er;
	if (PQntuples(res) == 1 && PQnfields(res) == 2) {
		if (ce_strtonum(PQgetvalue(res, 0, 0), 1, INT_MAX, &n) == 0)
			*attempts = (int)n;
		if (ce_strtonum(PQgetvalue(res, 0, 1), 0, INT_MAX, &n) == 0)
			*retries = (int)n;
	}
	PQclear(res);
	return CE_OK;
}

/* the handlers' statements */

/* Free the strings of "s" and empty it. */
void
cx_strs_free(struct cx_strs *s)
{
	size_t	 i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* The first column of every row of "res" into "out" (NULL for NULL). */
static enum ce_err
strs_copy(PGresult *res, struct cx_strs *out)
{
	int	 i, n = PQntuples(res);

	if ((out->v = calloc(n > 0 ? (size_t)n : 1, sizeof(*out->v))) ==
	    NULL)
		return CE_ENOMEM;
	out->n = (size_t)n;
	for (i = 0; i < n; i++)
		if (!PQgetisnull(res, i, 0) &&
		    (out->v[i] = strdup(PQgetvalue(res, i, 0))) == NULL) {
			cx_strs_free(out);
			return CE_ENOMEM;
		}
	return CE_OK;
}

/*
 * "s" with its last byte raised: the first string after every string
 * that starts with "s" (folded names are printable ASCII).
 */
static void
prefix_end(const char *s, char *out, size_t outsz)
{
	size_t	 n = ce_strlcpy(out, s, outsz);

	if (n >= outsz)
		n = outsz - 1;
	if (n > 0)
		out[n - 1]++;
}

/*
 * The customer JSON of the persons "value" finds by "by" (a name: a
 * folded prefix), "limit" rows from "offset", into "docs" (a NULL entry:
 * a person gone since; the caller frees it with cx_strs_free).
 * CE_ENOMEM when the rows cannot be copied.
 */
enum ce_err
cx_store_customers(struct cx_db *db, enum cx_cust_by by, const char *value,
    long long limit, long long offset, struct cx_strs *docs)
{
	PGresult	*res;
	const char	*p[4];
	char		 end[256], lim[24], off[24];
	enum ce_err	 er;

	docs->n = 0;
	docs->v = NULL;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(off, sizeof(off), "%lld", offset);
	switch (by) {
	case CX_CUST_CPF:
		p[0] = value;
		p[1] = lim;
		p[2] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_CPF, 3, p, &res);
		break;
	case CX_CUST_NAME:
		prefix_end(value, end, sizeof(end));
		p[0] = value;
		p[1] = end;
		p[2] = lim;
		p[3] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_NAME, 4, p, &res);
		break;
	default:
		p[0] = by == CX_CUST_EMAIL ? "email" : "phone";
		p[1] = value;
		p[2] = lim;
		p[3] = off;
		er = cx_db_exec(db, CX_STMT_CUSTOMER_CONTACT, 4, p, &res);
		break;
	}
	if (er != CE_OK)
		return CE_EDB;
	er = strs_copy(res, docs);
	PQclear(res);
	return er;
}

/*
 * The customer JSON of person "uuid" appended to "doc"; *found 0 when
 * there is none.  CE_OK, CE_EDB or a buffer error.
 */
enum ce_err
cx_store_customer(struct cx_db *db, const char *uuid, struct ce_buf *doc,
    int *found)
{
	PGresult	*res;
	const char	*p[1];
	enum ce_err	 er = CE_OK;

	p[0] = uuid;
	if (cx_db_exec(db, CX_STMT_CUSTOMER_ID, 1, p, &res) != CE_OK)
		return CE_EDB;
	if ((*found = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)))
		er = ce_buf_puts(doc, PQgetvalue(res, 0, 0));
	PQclear(res);
	return er;
}

/*
 * The schema's version, asked as a probe: it connects even while the
 * database's breaker is open, and its success closes it.  *version is -1
 * when the answer is unreadable.  CE_ENOTFOUND when no migration was
 * ever applied.
 */
enum ce_err
cx_store_schema_version(struct cx_db *db, long long *version)
{
	PGresult	*res = NULL;
	enum ce_err	 er;

	*version = -1;
	cx_db_set_probe(db, 1);
	er = cx_db_exec(db, CX_STMT_SCHEMA_VERSION, 0, NULL, &res);
	cx_db_set_probe(db, 0);
	if (er != CE_OK) {
		/* 42P01: undefined table, so no migration was ever applied. */
		er = strcmp(cx_db_sqlstate(db), "42P01") == 0 ?
		    CE_ENOTFOUND : CE_EDB;
		PQclear(res);
		return er;
	}
	if (PQntuples(res) != 1 || ce_strtonum(PQgetvalue(res, 0, 0), 0,
	    1000000, version) == -1)
		*version = -1;
	PQclear(res);
	return CE_OK;
}

/* The schema version's statement, for the pool master's own probe
 * (io/pgprobe.c): one row, one integer. */
const char *
cx_store_schema_sql(void)
{
	return stmts[CX_STMT_SCHEMA_VERSION].sql;
}

/*
 * The status page's JSON appended to "out", with this machine's
 * duplicate leads found in its shared file and in the database (NULL
 * pointers without the file).  CE_OK, CE_EDB, CE_ESYSTEM (no document)
 * or a buffer error.
 */
enum ce_err
cx_store_stats(struct cx_db *db, const uint64_t *nfile, const uint64_t *ndb,
    struct ce_buf *out)
{
	const char	*p[2] = { NULL, NULL };
	char		 file[24], indb[24];

	if (nfile != NULL && ndb != NULL) {
		snprintf(file, sizeof(file), "%llu",
		    (unsigned long long)*nfile);
		snprintf(indb, sizeof(indb), "%llu",
		    (unsigned long long)*ndb);
		p[0] = file;
		p[1] = indb;
	}
	return exec_doc(db, CX_STMT_STATS, 2, p, out);
}

/*
 * Store webhook event "e" sent as "payload": its disposition into "disp"
 * (of "dispsz" bytes), "invalid" when the statement says none.
 */
enum ce_err
cx_store_webhook_ingest(struct cx_db *db, const struct cx_event *e,
    const char *payload, char *disp, size_t dispsz)
{
	PGresult	*res;
	const char	*p[7];

	p[0] = e->lid;
	p[1] = e->updated_at;
	p[2] = e->action;
	p[3] = payload;
	p[4] = e->contacts;
	p[5] = e->message;
	p[6] = e->error;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_INGEST, 7, p, &res) != CE_OK)
		return CE_EDB;
	ce_strlcpy(disp, PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) :
	    "invalid", dispsz);
	PQclear(res);
	return CE_OK;
}

/*
 * The next "limit" invalid webhook events after id "after", oldest
 * first, each given to "row" with its payload; *rows: how many were
 * read.  Stops at the first "row" that does not return CE_OK and returns
 * what it did; CE_EDB, or CE_ESYSTEM for an unreadable id.
 */
enum ce_err
cx_store_webhook_invalid(struct cx_db *db, long long after, long long limit,
    enum ce_err (*row)(void *, long long id, const char *payload),
    void *arg, int *rows)
{
	PGresult	*res;
	const char	*p[2];
	char		 lim[24], aft[24];
	long long	 id;
	int		 i;
	enum ce_err	 er = CE_OK;

	*rows = 0;
	snprintf(lim, sizeof(lim), "%lld", limit);
	snprintf(aft, sizeof(aft), "%lld", after);
	p[0] = lim;
	p[1] = aft;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_INVALID, 2, p, &res) != CE_OK)
		return CE_EDB;
	*rows = PQntuples(res);
	for (i = 0; i < *rows && er == CE_OK; i++)
		if (ce_strtonum(PQgetvalue(res, i, 0), 0, 1LL << 62, &id) ==
		    -1)
			er = CE_ESYSTEM;
		else
			er = row(arg, id, PQgetvalue(res, i, 1));
	PQclear(res);
	return er;
}

/*
 * Run invalid webhook event "id" again as "e": its disposition into
 * "disp" (of "dispsz" bytes); *replayed 0 when it was replayed by
 * someone else meanwhile.
 */
enum ce_err
cx_store_webhook_replay(struct cx_db *db, long long id,
    const struct cx_event *e, char *disp, size_t dispsz, int *replayed)
{
	PGresult	*res;
	const char	*p[6];
	char		 t[24];

	snprintf(t, sizeof(t), "%lld", id);
	p[0] = t;
	p[1] = e->lid;
	p[2] = e->updated_at;
	p[3] = e->action;
	p[4] = e->contacts;
	p[5] = e->message;
	if (cx_db_exec(db, CX_STMT_WEBHOOK_REPLAY, 6, p, &res) != CE_OK)
		return CE_EDB;
	/* NULL: replayed by someone else meanwhile. */
	if ((*replayed = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)))
		ce_strlcpy(disp, PQgetvalue(res, 0, 0), dispsz);
	PQclear(res);
	return CE_OK;
}

/* worker.c's statements */

/* Run statement "s", whose one row is a count, into *n (0 when unread). */
static enum ce_err
exec_count(struct cx_db *db, enum cx_stmt s, int np, const char *const *p,
    long long *n)
{
	PGresult	*res;

	*n = 0;
	if (cx_db_exec(db, s, np, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1 &&
	    ce_strtonum(PQgetvalue(res, 0, 0), 0, 1LL << 62, n) == -1)
		*n = 0;
	PQclear(res);
	return CE_OK;
}

/* Run statement "s", whose rows are not read. */
static enum ce_err
exec_none(struct cx_db *db, enum cx_stmt s, int np, const char *const *p)
{
	PGresult	*res;

	if (cx_db_exec(db, s, np, p, &res) != CE_OK)
		return CE_EDB;
	PQclear(res);
	return CE_OK;
}

/* The poller's leads "ids" never seen become jobs; *queued: how many. */
enum ce_err
cx_store_poll_queue(struct cx_db *db, const struct ce_lead_list *ids,
    long long *queued)
{
	const char	*p[1];
	char		 v[CE_LIST_MAX * 34 + 3];
	size_t		 i, len;

	/* A text array literal of hex ids: nothing to escape. */
	len = 0;
	v[len++] = '{';
	for (i = 0; i < ids->n; i++) {
		memcpy(v + len, ids->id[i], 32);
		len += 32;
		if (i + 1 < ids->n)
			v[len++] = ',';
	}
	v[len++] = '}';
	v[len] = '\0';
	p[0] = v;
	return exec_count(db, CX_STMT_POLL_QUEUE, 1, p, queued);
}

/* Leads due again become jobs, due again in "stall_ms" if lost. */
enum ce_err
cx_store_retries_due(struct cx_db *db, long long stall_ms, long long *queued)
{
	const char	*p[1];
	char		 ms[32];

	snprintf(ms, sizeof(ms), "%lld", stall_ms);
	p[0] = ms;
	return exec_count(db, CX_STMT_RETRIES_DUE, 1, p, queued);
}

/* Prune at most "batch" rows of "what" older than "days"; *pruned. */
enum ce_err
cx_store_prune(struct cx_db *db, const char *what, long long days,
    int batch, long long *pruned)
{
	const char	*p[3];
	char		 d[24], lim[24];

	snprintf(d, sizeof(d), "%lld", days);
	snprintf(lim, sizeof(lim), "%d", batch);
	p[0] = what;
	p[1] = d;
	p[2] = lim;
	return exec_count(db, CX_STMT_PRUNE, 3, p, pruned);
}

/* Wake the other workers with "what" on c2s_jobs. */
enum ce_err
cx_store_notify(struct cx_db *db, const char *what)
{
	const char	*p[1] = { what };

	return exec_none(db, CX_STMT_NOTIFY, 1, p);
}

/* Ask for the poller's session lock; *held: whether this session has it. */
enum ce_err
cx_store_poller_lock(struct cx_db *db, int *held)
{
	return exec_got(db, CX_STMT_POLLER_LOCK, 0, NULL, "t", held);
}

/* *covered: whether lead "lead" was run after job "job_id" was queued. */
enum ce_err
cx_store_lead_covered(struct cx_db *db, const char *lead, const char *job_id,
    int *covered)
{
	const char	*p[2] = { lead, job_id };

	return exec_got(db, CX_STMT_LEAD_COVERED, 2, p, "t", covered);
}

/* Fail lead "lead", left 'processing' by runs that died, for "why". */
enum ce_err
cx_store_lead_gave_up(struct cx_db *db, const char *lead, const char *why)
{
	const char	*p[2] = { lead, why };

	return exec_none(db, CX_STMT_LEAD_GAVE_UP, 2, p);
}

/*
 * Was the person of "cpf" enriched for a lead before "lead"?  *found 1
 * with that lead's id in "same_lead" and the São Paulo date its note was
 * posted, DD/MM/YYYY, in "same_date"; else 0 and both "".
 */
enum ce_err
cx_store_repeat_of(struct cx_db *db, const char *cpf, const char *lead,
    char same_lead[33], char same_date[11], int *found)
{
	PGresult	*res;
	const char	*p[2] = { cpf, lead };

	*found = 0;
	same_lead[0] = same_date[0] = '\0';
	if (cx_db_exec(db, CX_STMT_REPEAT_OF, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1 && PQgetlength(res, 0, 0) == 32 &&
	    PQgetlength(res, 0, 1) == 10) {
		memcpy(same_lead, PQgetvalue(res, 0, 0), 33);
		memcpy(same_date, PQgetvalue(res, 0, 1), 11);
		*found = 1;
	}
	PQclear(res);
	return CE_OK;
}

/*
 * Record why lead "lead" has no note ("reason", "" when it has one) and
 * the earlier lead its note points to ("repeat_of", "" for none).
 */
enum ce_err
cx_store_lead_note_info(struct cx_db *db, const char *lead,
    const char *reason, const char *repeat_of)
{
	const char	*p[3] = { lead, reason, repeat_of };

	return exec_none(db, CX_STMT_LEAD_NOTE_INFO, 3, p);
}

/*
 * Record the reasons lead "lead" is a high-value one ("reasons", "; "
 * joined, at most 500 characters; "" when it is none).
 */
enum ce_err
cx_store_lead_high_value(struct cx_db *db, const char *lead,
    const char *reasons)
{
	const char	*p[2] = { lead, reasons };

	return exec_none(db, CX_STMT_LEAD_HIGH_VALUE, 2, p);
}

/* Queue job "kind"/"ref" from "source" again in "ms". */
enum ce_err
cx_store_job_again(struct cx_db *db, const char *kind, const char *ref,
    const char *source, long long ms)
{
	const char	*p[4];
	char		 v[32];

	snprintf(v, sizeof(v), "%lld", ms);
	p[0] = kind;
	p[1] = ref;
	p[2] = source;
	p[3] = v;
	return exec_none(db, CX_STMT_JOB_AGAIN, 4, p);
}

/*
 * Claim the next job due for "owner", or one whose worker has been
 * silent "stale_ms"; *found 0 when there is none.
 */
enum ce_err
cx_store_job_claim(struct cx_db *db, const char *owner, long long stale_ms,
    struct cx_job *job, int *found)
{
	PGresult	*res;
	const char	*p[2];
	char		 ms[32];

	snprintf(ms, sizeof(ms), "%lld", stale_ms);
	p[0] = owner;
	p[1] = ms;
	if (cx_db_exec(db, CX_STMT_JOB_CLAIM, 2, p, &res) != CE_OK)
		return CE_EDB;
	if (!(*found = PQntuples(res) == 1 && PQnfields(res) == 5)) {
		PQclear(res);
		return CE_OK;
	}
	ce_strlcpy(job->id, PQgetvalue(res, 0, 0), sizeof(job->id));
	ce_strlcpy(job->kind, PQgetvalue(res, 0, 1), sizeof(job->kind));
	ce_strlcpy(job->ref, PQgetvalue(res, 0, 2), sizeof(job->ref));
	ce_strlcpy(job->source, PQgetvalue(res, 0, 3), sizeof(job->source));
	if (ce_strtonum(PQgetvalue(res, 0, 4), 0, 1000000, &job->tries) == -1)
		job->tries = 0;
	PQclear(res);
	return CE_OK;
}

/* Job "job_id" of "owner" is over: done, or "failed". */
enum ce_err
cx_store_job_finish(struct cx_db *db, const char *job_id, const char *owner,
    int failed, const char *result, const char *error)
{
	const char	*p[5];

	p[0] = job_id;
	p[1] = owner;
	p[2] = failed ? "failed" : "done";
	p[3] = result;
	p[4] = error;
	return exec_none(db, CX_STMT_JOB_FINISH, 5, p);
}

/* How many times the connection was re-established. */
unsigned
cx_store_resets(const struct cx_db *db)
{
	return cx_db_resets(db);
}

/* LISTEN c2s_jobs on this session. */
enum ce_err
cx_store_listen(struct cx_db *db)
{
	return cx_db_listen(db);
}

/* Wait "ms" for a notification, with the signal mask "mask". */
int
cx_store_wait(struct cx_db *db, long long ms, const sigset_t *mask)
{
	return cx_db_wait(db, ms, mask);
}

/* google.c's statements */

/*
 * Record form "f" (its JSON "payload") once, with its job when "run",
 * else in the state 'test'; "rec" gets what the database says of it.
 */
enum ce_err
cx_store_google_record(struct cx_db *db, const struct cx_form *f,
    const char *payload, int run, struct cx_form_rec *rec)
{
	PGresult	*res;
	const char	*p[8];
	enum ce_err	 er;

	p[0] = f->id;
	p[1] = payload;
	p[2] = f->name;
	p[3] = f->phone;
	p[4] = f->email;
	p[5] = f->cpf;
	p[6] = f->is_test ? "true" : "false";
	p[7] = run ? "received" : "test";
	er = cx_db_exec(db, CX_STMT_GOOGLE_RECORD, 8, p, &res);
	if (er == CE_OK && PQntuples(res) != 1) {
		/* The same form inserted at the same instant: its row is
		 * committed now. */
		PQclear(res);
		er = cx_db_exec(db, CX_STMT_GOOGLE_RECORD, 8, p, &res);
	}
	if (er != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1 || PQnfields(res) != 4) {
		PQclear(res);
		return CE_EDB;
	}
	ce_strlcpy(rec->state, PQgetvalue(res, 0, 0), sizeof(rec->state));
	rec->isnew = strcmp(rec->state, "new") == 0;
	ce_strlcpy(rec->c2s_id, PQgetvalue(res, 0, 1), sizeof(rec->c2s_id));
	rec->test = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	PQclear(res);
	return CE_OK;
}

/* Move form "id" from state "from" to "to"; *moved: whether it did. */
enum ce_err
cx_store_google_move(struct cx_db *db, const char *id, const char *from,
    const char *to, const char *c2s_id, const char *error, int *moved)
{
	PGresult	*res;
	const char	*p[5] = { id, to, from, c2s_id, error };

	if (cx_db_exec(db, CX_STMT_GOOGLE_SET, 5, p, &res) != CE_OK)
		return CE_EDB;
	*moved = PQntuples(res) == 1;
	PQclear(res);
	return CE_OK;
}

/*
 * Form "id": its fields in "f", its state in "state" (of "statesz"
 * bytes) and its JSON in *payload (the caller frees it); *found 0 when
 * there is none.  CE_ESYSTEM when the payload cannot be copied.
 */
enum ce_err
cx_store_google_get(struct cx_db *db, const char *id, struct cx_form *f,
    char *state, size_t statesz, char **payload, int *found)
{
	PGresult	*res;
	const char	*p[1] = { id };

	*payload = NULL;
	if (cx_db_exec(db, CX_STMT_GOOGLE_GET, 1, p, &res) != CE_OK)
		return CE_EDB;
	if (!(*found = PQntuples(res) == 1 && PQnfields(res) == 7)) {
		PQclear(res);
		return CE_OK;
	}
	memset(f, 0, sizeof(*f));
	ce_strlcpy(f->id, id, sizeof(f->id));
	ce_strlcpy(state, PQgetvalue(res, 0, 0), statesz);
	ce_strlcpy(f->name, PQgetvalue(res, 0, 1), sizeof(f->name));
	ce_strlcpy(f->phone, PQgetvalue(res, 0, 2), sizeof(f->phone));
	ce_strlcpy(f->email, PQgetvalue(res, 0, 3), sizeof(f->email));
	ce_strlcpy(f->cpf, PQgetvalue(res, 0, 4), sizeof(f->cpf));
	*payload = strdup(PQgetvalue(res, 0, 5));
	PQclear(res);
	return *payload == NULL ? CE_ESYSTEM : CE_OK;
}

/* Transactions (see cx_db_begin()): pipeline.c's and spool.c's. */
enum ce_err
cx_store_begin(struct cx_db *db)
{
	return cx_db_begin(db);
}

enum ce_err
cx_store_commit(struct cx_db *db)
{
	return cx_db_commit(db);
}

void
cx_store_rollback(struct cx_db *db)
{
	cx_db_rollback(db);
}

/* The SQLSTATE of the last failure, or "" after a success. */
const char *
cx_store_sqlstate(const struct cx_db *db)
{
	return cx_db_sqlstate(db);
}

/* spacing.c's statement */

/*
 * Reserve the next Work API slot of token "token", "interval_ms" apart,
 * for every machine if it comes within "max_wait_ms": *wait_ms is the
 * wait before the call may go, or -2 when there is no slot so soon
 * (nothing reserved).  CE_EDB also when the answer is unreadable.
 */
enum ce_err
cx_store_work_spacing(struct cx_db *db, uint64_t token, long long interval_ms,
    long long max_wait_ms, long long *wait_ms)
{
	PGresult	*res;
	const char	*p[3];
	char		 idhex[17], iv[24], mw[24];
	enum ce_err	 er = CE_OK;

	snprintf(idhex, sizeof(idhex), "%016" PRIx64, token);
	snprintf(iv, sizeof(iv), "%lld", interval_ms);
	snprintf(mw, sizeof(mw), "%lld", max_wait_ms);
	p[0] = idhex;
	p[1] = iv;
	p[2] = mw;
	*wait_ms = -1;
	if (cx_db_exec(db, CX_STMT_WORK_SPACING, 3, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 0)
		*wait_ms = -2;
	else if (PQntuples(res) != 1 ||
	    ce_strtonum(PQgetvalue(res, 0, 0), 0, 86400000LL, wait_ms) == -1) {
		*wait_ms = -1;
		er = CE_EDB;
	}
	PQclear(res);
	return er;
}

/* spool.c's statements */

/*
 * Mark spool record "id" (file:offset) of "kind" replayed, inside the
 * transaction that makes its rows; *first 0 when it was replayed before.
 */
enum ce_err
cx_store_spool_done(struct cx_db *db, const char *id, const char *kind,
    int *first)
{
	const char	*p[2] = { id, kind };

	return exec_got(db, CX_STMT_SPOOL_DONE, 2, p, NULL, first);
}

/*
 * A spooled trigger of lead "lead": the lead 'received', due again after
 * "stall_ms" should its job be lost, and its job.
 */
enum ce_err
cx_store_spool_lead(struct cx_db *db, const char *lead, long long stall_ms)
{
	const char	*p[2];
	char		 ms[32];

	snprintf(ms, sizeof(ms), "%lld", stall_ms);
	p[0] = lead;
	p[1] = ms;
	return exec_none(db, CX_STMT_SPOOL_LEAD, 2, p);
}

/* Run statement "s" of one number, "v"; its rows are not read. */
static enum ce_err
exec_num(struct cx_db *db, enum cx_stmt s, long long v)
{
	const char	*p[1];
	char		 t[32];

	snprintf(t, sizeof(t), "%lld", v);
	p[0] = t;
	return exec_none(db, s, 1, p);
}

/* Forget the replayed records older than "keep_ms". */
enum ce_err
cx_store_spool_prune(struct cx_db *db, long long keep_ms)
{
	return exec_num(db, CX_STMT_SPOOL_PRUNE, keep_ms);
}

/* c2s-enrich --backfill's statements */

/*
 * The one row of "res", "n" numbers (at least -1), into "v"; "res" is
 * cleared.  CE_EDB when the row is not that.
 */
static enum ce_err
row_nums(PGresult *res, int n, long long *v)
{
	enum ce_err	 er = CE_EDB;
	int		 i;

	if (PQntuples(res) != 1 || PQnfields(res) != n)
		goto out;
	for (i = 0; i < n; i++)
		if (ce_strtonum(PQgetvalue(res, 0, i), -1, 1LL << 62,
		    &v[i]) == -1)
			goto out;
	er = CE_OK;
out:
	PQclear(res);
	return er;
}

/* Ask for the backfill's session lock; *held: whether this session has it. */
enum ce_err
cx_store_backfill_lock(struct cx_db *db, int *held)
{
	return exec_got(db, CX_STMT_BACKFILL_LOCK, 0, NULL, "t", held);
}

/*
 * The unfinished backfill of [since, until) ("until_given" 0: of any
 * until) counted one run more, or a new one, into "b".
 */
enum ce_err
cx_store_backfill_start(struct cx_db *db, long long since, long long until,
    int until_given, struct cx_backfill_row *b)
{
	PGresult	*res;
	const char	*p[3];
	char		 s[32], u[32];
	long long	 v[8];

	snprintf(s, sizeof(s), "%lld", since);
	snprintf(u, sizeof(u), "%lld", until);
	p[0] = s;
	p[1] = u;
	p[2] = until_given ? "true" : "false";
	if (cx_db_exec(db, CX_STMT_BACKFILL_START, 3, p, &res) != CE_OK ||
	    row_nums(res, 8, v) != CE_OK)
		return CE_EDB;
	b->id = v[0];
	b->until = v[1];
	b->next_page = v[2];
	b->seen = v[3];
	b->queued = v[4];
	b->known = v[5];
	b->total = v[6];
	b->runs = v[7];
	return CE_OK;
}

/*
 * Append "s" to the text array literal in "b" (at "*len" of "sz"), quoted:
 * ids, digits and numbers only, so nothing to escape.  Returns 0 or -1.
 */
static int
arr_add(char *b, size_t sz, size_t *len, const char *s, int first)
{
	int	 n;

	n = snprintf(b + *len, sz - *len, "%s\"%s\"", first ? "" : ",", s);
	if (n < 0 || (size_t)n >= sz - *len)
		return -1;
	*len += (size_t)n;
	return 0;
}

/*
 * One page "pg" of backfill "b->id" queued and its checkpoint moved, in
 * one statement; *queued and *later: the jobs it queued, and how many of
 * them wait for the newest lead of their phone; b's counts updated.
 * CE_EINPUT when a value is not an id, digits or a number.
 */
enum ce_err
cx_store_backfill_page(struct cx_db *db, struct cx_backfill_row *b,
    const struct cx_backfill_page *pg, long long *queued, long long *later)
{
	PGresult	*res;
	const char	*p[9];
	char		 id[32], ms[32], next[32], last[32] = "", total[32] = "";
	char		 ids[CE_LIST_MAX * 36 + 3], phones[CE_LIST_MAX * 20 + 3];
	char		 created[CE_LIST_MAX * 24 + 3], t[32];
	size_t		 i, li = 1, lp = 1, lc = 1;
	long long	 v[5];

	*queued = *later = 0;
	ids[0] = phones[0] = created[0] = '{';
	for (i = 0; i < pg->n; i++) {
		if (pg->created[i] >= 0)
			snprintf(t, sizeof(t), "%lld", pg->created[i]);
		else
			t[0] = '\0';
		if (strspn(pg->id[i], "0123456789abcdef") != 32 ||
		    pg->id[i][32] != '\0' ||
		    pg->phone[i][strspn(pg->phone[i], "0123456789")] != '\0' ||
		    arr_add(ids, sizeof(ids) - 1, &li, pg->id[i], i == 0) ||
		    arr_add(phones, sizeof(phones) - 1, &lp, pg->phone[i],
		    i == 0) ||
		    arr_add(created, sizeof(created) - 1, &lc, t, i == 0))
			return CE_EINPUT;
	}
	memcpy(ids + li, "}", 2);
	memcpy(phones + lp, "}", 2);
	memcpy(created + lc, "}", 2);
	snprintf(id, sizeof(id), "%lld", b->id);
	snprintf(ms, sizeof(ms), "%lld", pg->later_ms);
	snprintf(next, sizeof(next), "%lld", pg->next_page);
	if (pg->last_created >= 0)
		snprintf(last, sizeof(last), "%lld", pg->last_created);
	if (pg->total >= 0)
		snprintf(total, sizeof(total), "%lld", pg->total);
	p[0] = id;
	p[1] = ids;
	p[2] = phones;
	p[3] = created;
	p[4] = ms;
	p[5] = next;
	p[6] = last;
	p[7] = total;
	p[8] = pg->again ? "true" : "false";
	if (cx_db_exec(db, CX_STMT_BACKFILL_PAGE, 9, p, &res) != CE_OK ||
	    row_nums(res, 5, v) != CE_OK)
		return CE_EDB;
	*queued = v[0];
	*later = v[1];
	b->seen = v[2];
	b->queued = v[3];
	b->known = v[4];
	b->next_page = pg->next_page;
	return CE_OK;
}

/* Backfill "id" walked to its end. */
enum ce_err
cx_store_backfill_done(struct cx_db *db, long long id)
{
	return exec_num(db, CX_STMT_BACKFILL_DONE, id);
}

/*
 * The first second of São Paulo day "day" (YYYY-MM-DD) as Unix seconds
 * into *secs, by PostgreSQL's rules for the zone.  Returns CE_OK, or
 * CE_EDB (also for a day that is none).
 */
enum ce_err
cx_store_sp_day_start(struct cx_db *db, const char *day, long long *secs)
{
	const char	*p[1];

	p[0] = day;
	if (exec_count(db, CX_STMT_SP_DAY_START, 1, p, secs) != CE_OK ||
	    *secs <= 0)
		return CE_EDB;
	return CE_OK;
}

/*
 * The leads "f" selects, newest first, handed one at a time to "fn"
 * with "arg" (the row's strings live until "fn" returns; "fn" returns
 * CE_OK to go on, anything else to stop, which is then returned).  At
 * most CX_LEADS_BATCH rows are held at a time: each batch is one
 * statement, the next one starting after the last row of the one before
 * (so a row moved meanwhile may be missed or seen twice).  *rows: how
 * many were handed over.
 */
enum ce_err
cx_store_leads_each(struct cx_db *db, const struct cx_lead_filter *f,
    enum ce_err (*fn)(void *, const struct cx_lead_item *), void *arg,
    long long *rows)
{
	PGresult		*res;
	struct cx_lead_item	 it;
	const char		*p[8];
	char			 lim[32], off[32], key[64] = "", kid[33] = "";
	long long		 left = f->limit, n, v;
	int			 i;
	enum ce_err		 er;

	*rows = 0;
	p[0] = f->status;
	p[1] = f->source;
	p[2] = f->since;
	p[3] = f->until;
	p[4] = lim;
	p[5] = off;
	p[6] = key;
	p[7] = kid;
	snprintf(off, sizeof(off), "%lld", f->offset);
	for (;;) {
		n = left >= 0 && left < CX_LEADS_BATCH ? left : CX_LEADS_BATCH;
		if (n == 0)
			return CE_OK;
		snprintf(lim, sizeof(lim), "%lld", n);
		if (cx_db_exec(db, CX_STMT_LEADS_PAGE, 8, p, &res) != CE_OK)
			return CE_EDB;
		if (PQnfields(res) != 16) {
			PQclear(res);
			return CE_EDB;
		}
		for (i = 0; i < PQntuples(res); i++) {
			it.lead_id = PQgetvalue(res, i, 0);
			it.status = PQgetvalue(res, i, 1);
			it.source = PQgetvalue(res, i, 2);
			it.attempts = ce_strtonum(PQgetvalue(res, i, 3), 0,
			    INT_MAX, &v) == 0 ? v : 0;
			it.retries = ce_strtonum(PQgetvalue(res, i, 4), 0,
			    INT_MAX, &v) == 0 ? v : 0;
			it.name = PQgetvalue(res, i, 5);
			it.phone = PQgetvalue(res, i, 6);
			it.email = PQgetvalue(res, i, 7);
			it.note_state = PQgetvalue(res, i, 8);
			it.error = PQgetvalue(res, i, 9);
			it.created = PQgetvalue(res, i, 10);
			it.updated = PQgetvalue(res, i, 11);
			it.created_br = PQgetvalue(res, i, 12);
			it.updated_br = PQgetvalue(res, i, 13);
			it.cpfs = PQgetvalue(res, i, 14);
			if ((er = fn(arg, &it)) != CE_OK) {
				PQclear(res);
				return er;
			}
			(*rows)++;
		}
		n = PQntuples(res);
		if (n > 0) {
			ce_strlcpy(key, PQgetvalue(res, n - 1, 15), sizeof(key));
			ce_strlcpy(kid, PQgetvalue(res, n - 1, 0), sizeof(kid));
		}
		PQclear(res);
		if (n < CX_LEADS_BATCH)
			return CE_OK;
		if (left > 0)
			left -= n;
		snprintf(off, sizeof(off), "0");
	}
}

/* Is lead "lead" recorded? */
enum ce_err
cx_store_lead_known(struct cx_db *db, const char *lead, int *found)
{
	const char	*p[1];

	p[0] = lead;
	return exec_got(db, CX_STMT_LEAD_KNOWN, 1, p, NULL, found);
}

/* The database's clock as "DD/MM/YYYY HH:MM:SS", São Paulo time. */
enum ce_err
cx_store_local_now(struct cx_db *db, char *out, size_t outsz)
{
	PGresult	*res;

	if (cx_db_exec(db, CX_STMT_LOCAL_NOW, 0, NULL, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return CE_EDB;
	}
	ce_strlcpy(out, PQgetvalue(res, 0, 0), outsz);
	PQclear(res);
	return CE_OK;
}

/* The alerts' statements (app/alert.c) */

/* The first row's column "c" as a number into *v (0 when unread). */
static void
num_at(PGresult *res, int row, int c, long long *v)
{
	if (PQgetisnull(res, row, c) ||
	    ce_strtonum(PQgetvalue(res, row, c), -(1LL << 62), 1LL << 62,
	    v) == -1)
		*v = 0;
}

/*
 * Store alert "a" unless mark "mark" was raised within "interval_ms"
 * (< 0: ever).  *raised: 1 stored, 0 throttled.
 */
enum ce_err
cx_store_alert_raise(struct cx_db *db, const char *mark, long long interval_ms,
    const struct cx_alert_new *a, int *raised)
{
	const char	*p[9];
	char		 iv[24];

	snprintf(iv, sizeof(iv), "%lld", interval_ms);
	p[0] = mark;
	p[1] = iv;
	p[2] = a->kind;
	p[3] = a->key;
	p[4] = a->title;
	p[5] = a->text;
	p[6] = a->link;
	p[7] = a->webhook ? "t" : "f";
	p[8] = a->email ? "t" : "f";
	return exec_got(db, CX_STMT_ALERT_RAISE, 9, p, NULL, raised);
}

/*
 * At most "max" alerts with a channel due ("webhook", "email": the
 * channels configured) into "out" (each freed with
 * cx_alert_due_free()); *n: how many.
 */
enum ce_err
cx_store_alert_due(struct cx_db *db, int webhook, int email,
    struct cx_alert_due *out, size_t max, size_t *n)
{
	PGresult	*res;
	const char	*p[3];
	char		 lim[24];
	int		 i, rows;

	*n = 0;
	snprintf(lim, sizeof(lim), "%zu", max);
	p[0] = lim;
	p[1] = webhook ? "t" : "f";
	p[2] = email ? "t" : "f";
	if (cx_db_exec(db, CX_STMT_ALERT_DUE, 3, p, &res) != CE_OK)
		return CE_EDB;
	rows = PQntuples(res);
	for (i = 0; i < rows && (size_t)i < max; i++) {
		struct cx_alert_due *d = &out[*n];

		memset(d, 0, sizeof(*d));
		num_at(res, i, 0, &d->id);
		ce_strlcpy(d->kind, PQgetvalue(res, i, 1), sizeof(d->kind));
		if ((d->title = strdup(PQgetvalue(res, i, 2))) == NULL ||
		    (d->text = strdup(PQgetvalue(res, i, 3))) == NULL ||
		    (d->link = strdup(PQgetvalue(res, i, 4))) == NULL) {
			cx_alert_due_free(d);
			break;
		}
		ce_strlcpy(d->created_br, PQgetvalue(res, i, 5),
		    sizeof(d->created_br));
		ce_strlcpy(d->date, PQgetvalue(res, i, 6), sizeof(d->date));
		d->webhook = strcmp(PQgetvalue(res, i, 7), "t") == 0;
		d->email = strcmp(PQgetvalue(res, i, 8), "t") == 0;
		(*n)++;
	}
	PQclear(res);
	return CE_OK;
}

void
cx_alert_due_free(struct cx_alert_due *d)
{
	free(d->title);
	free(d->text);
	free(d->link);
	d->title = d->text = d->link = NULL;
}

/* Alert "id"'s "channel" sent ("ok"), or failed with "error": again
 * after "retry_ms" doubled per attempt. */
enum ce_err
cx_store_alert_result(struct cx_db *db, long long id, const char *channel,
    int ok, const char *error, long long retry_ms)
{
	const char	*p[5];
	char		 ids[24], rms[24];

	snprintf(ids, sizeof(ids), "%lld", id);
	snprintf(rms, sizeof(rms), "%lld", retry_ms);
	p[0] = ids;
	p[1] = channel;
	p[2] = ok ? "t" : "f";
	p[3] = error != NULL ? error : "";
	p[4] = rms;
	return exec_none(db, CX_STMT_ALERT_RESULT, 5, p);
}

/* The newest "limit" alerts as {"alerts":[...]}, appended to "out". */
enum ce_err
cx_store_alert_list(struct cx_db *db, long long limit, struct ce_buf *out)
{
	const char	*p[1];
	char		 lim[24];

	snprintf(lim, sizeof(lim), "%lld", limit);
	p[0] = lim;
	return exec_doc(db, CX_STMT_ALERT_LIST, 1, p, out);
}

/*
 * The latest lead failed after "since_ms" into "f"; *found 0 when none
 * did.
 */
enum ce_err
cx_store_alert_failed(struct cx_db *db, long long since_ms,
    struct cx_alert_lead *f, int *found)
{
	PGresult	*res;
	const char	*p[1];
	char		 since[24];

	*found = 0;
	memset(f, 0, sizeof(*f));
	snprintf(since, sizeof(since), "%lld", since_ms);
	p[0] = since;
	if (cx_db_exec(db, CX_STMT_ALERT_FAILED, 1, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1) {
		ce_strlcpy(f->lead, PQgetvalue(res, 0, 0), sizeof(f->lead));
		ce_strlcpy(f->what, PQgetvalue(res, 0, 1), sizeof(f->what));
		ce_strlcpy(f->name, PQgetvalue(res, 0, 2), sizeof(f->name));
		num_at(res, 0, 3, &f->at_ms);
		num_at(res, 0, 4, &f->count);
		*found = 1;
	}
	PQclear(res);
	return CE_OK;
}

/*
 * High-value leads changed after "since_ms", at most "max" of them
 * (20), into "out"; *n: how many.
 */
enum ce_err
cx_store_alert_high_value(struct cx_db *db, long long since_ms,
    struct cx_alert_lead *out, size_t max, size_t *n)
{
	PGresult	*res;
	const char	*p[1];
	char		 since[24];
	int		 i, rows;

	*n = 0;
	snprintf(since, sizeof(since), "%lld", since_ms);
	p[0] = since;
	if (cx_db_exec(db, CX_STMT_ALERT_HIGH_VALUE, 1, p, &res) != CE_OK)
		return CE_EDB;
	rows = PQntuples(res);
	for (i = 0; i < rows && (size_t)i < max; i++) {
		struct cx_alert_lead *l = &out[(*n)++];

		memset(l, 0, sizeof(*l));
		ce_strlcpy(l->lead, PQgetvalue(res, i, 0), sizeof(l->lead));
		ce_strlcpy(l->what, PQgetvalue(res, i, 1), sizeof(l->what));
		ce_strlcpy(l->name, PQgetvalue(res, i, 2), sizeof(l->name));
		ce_strlcpy(l->cpf, PQgetvalue(res, i, 3), sizeof(l->cpf));
		num_at(res, i, 4, &l->at_ms);
	}
	PQclear(res);
	return CE_OK;
}

/* The last hour's leads with an outcome (*leads), *enriched of them. */
enum ce_err
cx_store_alert_rate(struct cx_db *db, long long *leads, long long *enriched)
{
	PGresult	*res;

	*leads = *enriched = 0;
	if (cx_db_exec(db, CX_STMT_ALERT_RATE, 0, NULL, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1) {
		num_at(res, 0, 0, leads);
		num_at(res, 0, 1, enriched);
	}
	PQclear(res);
	return CE_OK;
}

/*
 * *silent_ms: how long no C2S webhook came (from the last one, or from
 * today's business hours' start "h0" if later; -1: none ever came);
 * *in_hours: whether now is within weekdays "d0".."d1", hours
 * "h0".."h1" (São Paulo).
 */
enum ce_err
cx_store_alert_silent(struct cx_db *db, int d0, int d1, int h0, int h1,
    long long *silent_ms, int *in_hours)
{
	PGresult	*res;
	const char	*p[4];
	char		 v[4][8];
	int		 b[4] = { d0, d1, h0, h1 }, i;

	*silent_ms = -1;
	*in_hours = 0;
	for (i = 0; i < 4; i++) {
		snprintf(v[i], sizeof(v[i]), "%d", b[i]);
		p[i] = v[i];
	}
	if (cx_db_exec(db, CX_STMT_ALERT_SILENT, 4, p, &res) != CE_OK)
		return CE_EDB;
	if (PQntuples(res) == 1) {
		if (!PQgetisnull(res, 0, 0))
			num_at(res, 0, 0, silent_ms);
		*in_hours = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	}
	PQclear(res);
	return CE_OK;
}

/* Prune alerts and marks older than "days", "batch" of each; *pruned. */
enum ce_err
cx_store_alert_prune(struct cx_db *db, long long days, int batch,
    long long *pruned)
{
	const char	*p[2];
	char		 d[24], lim[24];

	snprintf(d, sizeof(d), "%lld", days);
	snprintf(lim, sizeof(lim), "%d", batch);
	p[0] = d;
	p[1] = lim;
	return exec_count(db, CX_STMT_ALERT_PRUNE, 2, p, pruned);
}

-- sql/0008-customer-json-plpgsql.sql
--
-- Performance (issue [8/9]): c2s.customer_json() of 0006 was a
-- LANGUAGE sql function that PostgreSQL does not inline (it holds
-- sub-selects), so every call planned its whole query again: about 2 ms
-- a call, a ceiling of a few hundred customers a second per core.  The
-- same document, built in PL/pgSQL, whose statements are planned once
-- per connection and kept; and with fewer scans: the phones and e-mails
-- in one pass over the person's contacts, the dossier count in the
-- lateral that finds the newest dossier.  The JSON is the same, key for
-- key (atf-tests/customer_test checks the shape).

CREATE OR REPLACE FUNCTION c2s.customer_json(p_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
	RETURN (
	SELECT jsonb_build_object(
	    'id', p.id,
	    'cpf', btrim(p.cpf),
	    'name', p.name,
	    'birth_date', p.birth_date,
	    'sex', nullif(d.raw #>> '{DadosBasicos,sexo}', ''),
	    'mother_name', nullif(d.raw #>> '{DadosBasicos,nomeMae}', ''),
	    'father_name', nullif(d.raw #>> '{DadosBasicos,nomePai}', ''),
	    'marital_status',
		nullif(d.raw #>> '{DadosBasicos,estadoCivil}', ''),
	    'economic', CASE WHEN jsonb_typeof(d.econ) = 'object' THEN
		jsonb_build_object(
		'income', c2s.brl_number(d.econ ->> 'renda'),
		'income_text', nullif(d.econ ->> 'renda', ''),
		'purchasing_power', nullif(d.econ #>>
		    '{poderAquisitivo,poderAquisitivoDescricao}', ''),
		'income_range', nullif(d.econ #>>
		    '{poderAquisitivo,faixaPoderAquisitivo}', ''),
		'credit_score', nullif(d.econ #>> '{score,scoreCSBA}', ''),
		'risk', nullif(d.econ #>> '{score,scoreCSBAFaixaRisco}', ''))
		END,
	    'phones', coalesce(c.phones, '[]'),
	    'emails', coalesce(c.emails, '[]'),
	    'addresses', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'street', a.street, 'number', a.number,
		'complement', a.complement, 'district', a.district,
		'city', a.city, 'uf', a.uf, 'cep', a.cep,
		'first_seen', a.created_at) ORDER BY a.id)
		FROM c2s.addresses a WHERE a.person_id = p.id), '[]'),
	    'dossier', CASE WHEN d.id IS NOT NULL THEN jsonb_build_object(
		'source', 'work_api', 'fetched_at', d.fetched_at,
		'count', d.n) END,
	    'leads', coalesce((SELECT jsonb_agg(jsonb_build_object(
		'lead_id', l.lead_id, 'found_by', lp.found_by,
		'status', l.status, 'source', l.source,
		'created_at', l.created_at) ORDER BY l.created_at DESC)
		FROM c2s.lead_persons lp
		JOIN c2s.leads l ON l.lead_id = lp.lead_id
		WHERE lp.person_id = p.id), '[]'),
	    'created_at', p.created_at,
	    'updated_at', p.updated_at)
	FROM c2s.persons p
	LEFT JOIN LATERAL (SELECT x.id, x.raw, x.raw -> 'DadosEconomicos'
		AS econ, x.fetched_at, count(*) OVER () AS n
	    FROM c2s.dossiers x WHERE x.person_id = p.id
	    ORDER BY x.fetched_at DESC LIMIT 1) d ON true
	LEFT JOIN LATERAL (SELECT
		jsonb_agg(jsonb_build_object('number', x.value,
		    'whatsapp', x.whatsapp, 'source', x.source,
		    'first_seen', x.created_at) ORDER BY x.id)
		    FILTER (WHERE x.type = 'phone') AS phones,
		jsonb_agg(jsonb_build_object('address', x.value,
		    'source', x.source, 'first_seen', x.created_at)
		    ORDER BY x.id) FILTER (WHERE x.type = 'email') AS emails
	    FROM c2s.contacts x WHERE x.person_id = p.id) c ON true
	WHERE p.id = p_id);
END
$$;

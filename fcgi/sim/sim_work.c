/*
 * sim_work.c -- the Work API's modules in upstream-sim: what
 * GET /api?modulo=M&consulta=X answers for each module, from the persons
 * of sim_data.c (docs/SIMULATOR.md, "Work API").  cpf, phone and email
 * find one person by its identifiers; nome finds a name's homonyms
 * (seeds equal modulo 2^20); titulo inverts the título a seed is given.
 * mae, cep and cnpj scan the bounded population, seeds 1 ..
 * SIM_POPULATION, as a registry's index would, in a few milliseconds.
 * Fault markers strike as for the phone module (d1: phone, e-mail) and
 * the cpf module (0a: CPF).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "c2s-enrich.h"
#include "sim.h"

#define NAME_WORDS	5	/* more than any name the simulator has */
#define SEQ_SPAN	100000000u	/* título sequences per UF code */

static json_t *
not_found(void)
{
	return json_pack("{s:i, s:s}", "status", 404, "reason",
	    "Document not found.");
}

/*
 * Fold "in" (lowercase, accent-free) into "buf" and split it on spaces
 * into at most NAME_WORDS words; returns how many, or -1 for more.
 */
static int
words_of(const char *in, char *buf, size_t sz, char *w[NAME_WORDS])
{
	char	*p, *save = NULL;
	int	 n = 0;

	if (strlen(in) >= sz)
		return -1;
	sim_fold(in, buf, sz);
	for (p = strtok_r(buf, " ", &save); p != NULL;
	    p = strtok_r(NULL, " ", &save)) {
		if (n == NAME_WORDS)
			return -1;
		w[n++] = p;
	}
	return n;
}

/* Is "s" all "n" digits? */
static int
all_digits(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return s[n] == '\0';
}

/*
 * A person of a list answer, from its dossier: {cpf_cnpj, nome,
 * dataNascimento, sexo, nomeMae}, and with "addr" >= 0 also renda, the
 * address of that index as endereco, emails and telefones.
 */
static json_t *
person_entry(uint32_t s, int addr)
{
	json_t		*d, *b, *e = NULL;

	if ((d = sim_dossier_json(s)) == NULL)
		return NULL;
	b = json_object_get(d, "DadosBasicos");
	e = json_pack("{s:O, s:O, s:O, s:O, s:O}",
	    "cpf_cnpj", json_object_get(b, "cpf"),
	    "nome", json_object_get(b, "nome"),
	    "dataNascimento", json_object_get(b, "dataNascimento"),
	    "sexo", json_object_get(b, "sexo"),
	    "nomeMae", json_object_get(b, "nomeMae"));
	if (e != NULL && addr >= 0 &&
	    (json_object_set(e, "renda", json_object_get(json_object_get(d,
	    "DadosEconomicos"), "renda")) == -1 ||
	    json_object_set(e, "endereco", json_array_get(json_object_get(d,
	    "enderecos"), (size_t)addr)) == -1 ||
	    json_object_set(e, "emails", json_object_get(d, "emails")) == -1 ||
	    json_object_set(e, "telefones", json_object_get(d,
	    "telefones")) == -1)) {
		json_decref(e);
		e = NULL;
	}
	json_decref(d);
	return e;
}

/* Append person "s" to "arr"; -1 when it could not be built. */
static int
add_person(json_t *arr, uint32_t s, int addr)
{
	return json_array_append_new(arr, person_entry(s, addr));
}

/*
 * nome: the persons of exactly that name (accents and case aside).  A
 * name's four words give s mod 2^20; its homonyms are the ordinary seeds
 * with a dossier congruent to it, the smallest first.
 */
static json_t *
by_name(const char *consulta)
{
	char		 buf[256], *w[NAME_WORDS];
	int		 i, idx[4];
	uint32_t	 r, s;
	json_t		*arr;

	if ((arr = json_array()) == NULL)
		return NULL;
	if (words_of(consulta, buf, sizeof(buf), w) != 4)
		goto out;
	for (i = 0; i < 4; i++)
		if ((idx[i] = sim_name_index(w[i], i >= 2)) == -1)
			goto out;
	r = (uint32_t)(idx[0] + 32 * idx[1] + 1024 * idx[2] + 32768 * idx[3]);
	for (s = r == 0 ? 1u << 20 : r; s <= SIM_SEED_MAX &&
	    json_array_size(arr) < SIM_NAME_MAX; s += 1u << 20)
		if (sim_seed_ordinary(s) && sim_has_dossier(s) &&
		    add_person(arr, s, -1) == -1)
			goto fail;
out:
	return json_pack("{s:o}", "msg", arr);
fail:
	json_decref(arr);
	return NULL;
}

/*
 * mae: the persons of the population whose mother has that name.  A
 * mother's last surname is her child's third word, so only the seeds
 * with that surname are looked at (one in 32).
 */
static json_t *
by_mother(const char *consulta)
{
	char		 buf[256], want[256], m[128], mf[128], *w[NAME_WORDS];
	uint32_t	 base, j, s;
	int		 last, n;
	json_t		*arr;

	if ((arr = json_array()) == NULL)
		return NULL;
	if (words_of(consulta, buf, sizeof(buf), w) != 3 ||
	    (last = sim_name_index(w[2], 1)) == -1)
		goto out;
	n = snprintf(want, sizeof(want), "%s %s %s", w[0], w[1], w[2]);
	if (n < 0 || (size_t)n >= sizeof(want))
		goto out;
	for (base = 0; base < SIM_POPULATION; base += 32768)
		for (j = 0; j < 1024; j++) {
			s = base + (uint32_t)last * 1024 + j;
			if (s > SIM_POPULATION || !sim_seed_ordinary(s) ||
			    !sim_has_dossier(s))
				continue;
			sim_mother_name(s, m, sizeof(m));
			sim_fold(m, mf, sizeof(mf));
			if (strcmp(mf, want) != 0)
				continue;
			if (add_person(arr, s, -1) == -1)
				goto fail;
			if (json_array_size(arr) == SIM_LIST_MAX)
				goto out;
		}
out:
	return json_pack("{s:o}", "msg", arr);
fail:
	json_decref(arr);
	return NULL;
}

/* cep: the persons of the population with an address at that CEP. */
static json_t *
by_cep(const char *consulta)
{
	char		 ceps[SIM_ADDRESSES_MAX][9];
	uint32_t	 s;
	unsigned	 i, n;
	json_t		*arr;

	if ((arr = json_array()) == NULL || !all_digits(consulta, 8))
		return arr;
	for (s = 1; s <= SIM_POPULATION; s++) {
		if (!sim_seed_ordinary(s) || !sim_has_dossier(s))
			continue;
		n = sim_address_ceps(s, ceps);
		for (i = 0; i < n; i++)
			if (strcmp(ceps[i], consulta) == 0)
				break;
		if (i == n)
			continue;
		if (add_person(arr, s, (int)i) == -1) {
			json_decref(arr);
			return NULL;
		}
		if (json_array_size(arr) == SIM_LIST_MAX)
			break;
	}
	return arr;
}

/*
 * cnpj: the company and its sócios, the persons of the population that
 * have it among their empresas (the phone module's company of a padded
 * person is its first).
 */
static json_t *
by_cnpj(const char *consulta)
{
	struct sim_person p;
	char		 cnpj[15], name[128] = "";
	uint32_t	 s;
	unsigned	 k, n;
	json_t		*socios;

	if (!all_digits(consulta, 14))
		return not_found();
	if ((socios = json_array()) == NULL)
		return NULL;
	for (s = 1; s <= SIM_POPULATION &&
	    json_array_size(socios) < SIM_LIST_MAX; s++) {
		if (!sim_seed_ordinary(s))
			continue;
		n = sim_company_count(s);
		for (k = 0; k < n; k++) {
			sim_cnpj_make(s, k, cnpj);
			if (strcmp(cnpj, consulta) != 0)
				continue;
			if ((json_array_size(socios) == 0 &&
			    sim_company_name(s, k, name, sizeof(name)) == -1) ||
			    sim_person_make(s, &p) == -1 ||
			    json_array_append_new(socios, json_pack("{s:s, s:s, "
			    "s:s}", "nome", p.uname, "cpf", p.cpf,
			    "qualificacao", sim_company_relation(s, k))) == -1)
				goto fail;
			break;
		}
	}
	if (json_array_size(socios) == 0) {
		json_decref(socios);
		return not_found();
	}
	return json_pack("{s:i, s:s, s:s, s:s, s:o}", "status", 200,
	    "cnpj", consulta, "razaoSocial", name, "situacao", "ATIVA",
	    "socios", socios);
fail:
	json_decref(socios);
	return NULL;
}

/* A título's check digit: 10 counts as 0; for SP and MG a 0 as 1. */
static int
titulo_dv(unsigned sum, unsigned uf)
{
	unsigned	 r = sum % 11;

	return r == 10 ? 0 : r == 0 && uf <= 2 ? 1 : (int)r;
}

/*
 * The título de eleitor of seed "s": the sequence s mod 10^8, the UF
 * code 1 + s / 10^8 (01 to 10), then the check digits.
 */
void
sim_titulo_make(uint32_t s, char out[13])
{
	unsigned	 uf = 1 + s / SEQ_SPAN, seq = s % SEQ_SPAN, sum = 0;
	int		 i, dv1;

	for (i = 7; i >= 0; i--) {
		out[i] = (char)('0' + seq % 10);
		seq /= 10;
	}
	for (i = 0; i < 8; i++)
		sum += (unsigned)(out[i] - '0') * (unsigned)(i + 2);
	dv1 = titulo_dv(sum, uf);
	out[8] = (char)('0' + uf / 10);
	out[9] = (char)('0' + uf % 10);
	out[10] = (char)('0' + dv1);
	out[11] = (char)('0' + titulo_dv(uf / 10 * 7 + uf % 10 * 8 +
	    (unsigned)dv1 * 9, uf));
	out[12] = '\0';
}

/* titulo: the person whose título it is, with its zone and section. */
static json_t *
by_titulo(const char *consulta)
{
	json_t		*d, *b, *j;
	char		 want[13], zona[8], secao[8];
	unsigned	 uf, seq;
	uint32_t	 s;
	int		 i;

	if (!all_digits(consulta, 12))
		return not_found();
	for (seq = 0, i = 0; i < 8; i++)
		seq = seq * 10 + (unsigned)(consulta[i] - '0');
	uf = (unsigned)(consulta[8] - '0') * 10 + (unsigned)(consulta[9] - '0');
	if (uf < 1 || uf > 1 + SIM_SEED_MAX / SEQ_SPAN)
		return not_found();
	s = (uint32_t)(uf - 1) * SEQ_SPAN + seq;
	if (s < 1 || s > SIM_SEED_MAX)
		return not_found();
	sim_titulo_make(s, want);
	if (strcmp(want, consulta) != 0 || (d = sim_dossier_json(s)) == NULL)
		return not_found();
	snprintf(zona, sizeof(zona), "%04u",
	    (unsigned)(1 + sim_seedh(s, "zona", 0) % 450));
	snprintf(secao, sizeof(secao), "%04u",
	    (unsigned)(1 + sim_seedh(s, "secao", 0) % 900));
	b = json_object_get(d, "DadosBasicos");
	j = json_pack("{s:i, s:{s:O, s:O, s:O, s:O}, s:s, s:s, s:s}",
	    "status", 200, "DadosBasicos",
	    "nome", json_object_get(b, "nome"),
	    "cpf", json_object_get(b, "cpf"),
	    "dataNascimento", json_object_get(b, "dataNascimento"),
	    "nomeMae", json_object_get(b, "nomeMae"),
	    "tituloEleitor", consulta, "zona", zona, "secao", secao);
	json_decref(d);
	return j;
}

/*
 * The answer of module "modulo" for "consulta" into "*out" (NULL when it
 * could not be built), and in "*fault" the fault a marker asks for.
 * Returns 0, or -1 for a module the Work API does not have.
 */
int
sim_work_answer(const char *modulo, const char *consulta, json_t **out,
    enum sim_fault *fault)
{
	enum sim_target	 t;
	enum sim_fault	 f;
	uint32_t	 s;

	*out = NULL;
	*fault = SIM_F_NONE;
	if (consulta == NULL)
		consulta = "";
	if (modulo == NULL)
		return -1;
	if (strcmp(modulo, "cpf") == 0) {
		s = sim_cpf_lookup(consulta, &t, &f);
		if (s != 0 && t == SIM_T_0A)
			*fault = f;
		*out = s != 0 && sim_has_dossier(s) ? sim_dossier_json(s) :
		    not_found();
	} else if (strcmp(modulo, "phone") == 0 ||
	    strcmp(modulo, "email") == 0) {
		s = modulo[0] == 'p' ? sim_phone_lookup(consulta, &t, &f) :
		    sim_email_lookup(consulta, &t, &f);
		if (s != 0 && t == SIM_T_D1)
			*fault = f;
		*out = sim_workphone_json(s);
	} else if (strcmp(modulo, "nome") == 0)
		*out = by_name(consulta);
	else if (strcmp(modulo, "mae") == 0)
		*out = by_mother(consulta);
	else if (strcmp(modulo, "cep") == 0)
		*out = by_cep(consulta);
	else if (strcmp(modulo, "cnpj") == 0)
		*out = by_cnpj(consulta);
	else if (strcmp(modulo, "titulo") == 0)
		*out = by_titulo(consulta);
	else
		return -1;
	return 0;
}

/*
 * sim_data.c -- the synthetic world of upstream-sim.  Persons are seeds
 * (1 .. 999 999 999) from which a name, CPF, phone, e-mail and a whole
 * Work API dossier are computed; leads are 32-hex ids from whose FNV-1a
 * hash a variant and its persons are computed; fault markers are reserved
 * ids, phones, e-mails and CPFs.  Nothing is stored and nothing is random:
 * the same input always gives the same output (docs/SIMULATOR.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "c2s-enrich.h"
#include "sim.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define ORD_MAX		(SIM_SEED_RESERVED - 1)	/* last ordinary seed */
#define PHONE_BLOCK	100000000u	/* numbers per DDD */
#define PHONE_RESERVED	99990000u	/* numbers 9999xxxx are markers */
#define MARKER_0A	999999000u	/* 0a marker persons: + code */
#define MARKER_D1	999999100u	/* d1 marker persons: + code */
#define LEAD_EPOCH	1704067200	/* 2024-01-01T00:00:00Z */

struct first {
	const char	*name;
	int		 female;
};

/* FIRST[s mod 32] and the middle name FIRST[(s / 32) mod 32]. */
static const struct first FIRST[32] = {
	{ "João", 0 },		{ "Márcia", 1 },	{ "Antônio", 0 },
	{ "Conceição", 1 },	{ "José", 0 },		{ "Fátima", 1 },
	{ "Luís", 0 },		{ "Lúcia", 1 },		{ "Sérgio", 0 },
	{ "Mônica", 1 },	{ "Fábio", 0 },		{ "Patrícia", 1 },
	{ "Vinícius", 0 },	{ "Letícia", 1 },	{ "Otávio", 0 },
	{ "Cecília", 1 },	{ "Rogério", 0 },	{ "Vitória", 1 },
	{ "Cláudio", 0 },	{ "Beatriz", 1 },	{ "André", 0 },
	{ "Júlia", 1 },		{ "Paulo", 0 },		{ "Ana", 1 },
	{ "Lucas", 0 },		{ "Luíza", 1 },		{ "Rafael", 0 },
	{ "Tânia", 1 },		{ "Caio", 0 },		{ "Glória", 1 },
	{ "Tomás", 0 },		{ "Sônia", 1 },
};

/* LAST[(s / 1024) mod 32] and LAST[(s / 32768) mod 32]. */
static const char *const LAST[32] = {
	"Araújo", "Simões", "Gonçalves", "Magalhães", "Silva", "Santos",
	"Oliveira", "Souza", "Pereira", "Lima", "Carvalho", "Ferreira",
	"Rodrigues", "Almeida", "Gomes", "Ribeiro", "Guimarães", "Brandão",
	"Falcão", "Romão", "Assunção", "Nogueira", "Barbosa", "Cardoso",
	"Teixeira", "Mendes", "Fonseca", "Peixoto", "Ramos", "Vasconcelos",
	"Lopes", "Leão",
};

/* The DDDs of persons, D[i] for phone block i, and their capitals. */
static const unsigned DDD[10] = { 11, 21, 31, 41, 51, 61, 71, 81, 91, 27 };

struct city {
	const char	*name;
	const char	*uf;
	unsigned	 cep;		/* first CEP of the city */
	unsigned	 span;		/* how many CEPs it has */
};

static const struct city CITY[10] = {
	{ "SÃO PAULO", "SP", 1000000, 5000000 },
	{ "RIO DE JANEIRO", "RJ", 20000000, 4000000 },
	{ "BELO HORIZONTE", "MG", 30000000, 2000000 },
	{ "CURITIBA", "PR", 80000000, 3000000 },
	{ "PORTO ALEGRE", "RS", 90000000, 2000000 },
	{ "BRASÍLIA", "DF", 70000000, 3000000 },
	{ "SALVADOR", "BA", 40000000, 3000000 },
	{ "RECIFE", "PE", 50000000, 3000000 },
	{ "BELÉM", "PA", 66000000, 1000000 },
	{ "VITÓRIA", "ES", 29000000, 100000 },
};

/* Real DDDs outside DDD[]: phones nobody owns (no_cpf leads). */
static const unsigned OTHER_DDD[] = {
	12, 13, 14, 15, 16, 17, 18, 19, 22, 24, 32, 35, 43, 47, 48, 55,
	62, 65, 67, 69, 75, 79, 85, 98,
};

static const char *const DOM[5] = {
	"gmail.com", "hotmail.com", "yahoo.com.br", "outlook.com",
	"uol.com.br",
};

static const char *const VARIANT[SIM_V__MAX] = {
	"normal", "no_cpf", "split", "null_email", "missing_phone", "multi",
	"padded", "no_dossier", "null_name", "abbrev", "fault",
	"bad_contact", "other_name", "doubled_cc", "seeded",
};

/* The variant of H mod 20 (10 .. 19 are normal). */
static const enum sim_variant VARIANT_OF[10] = {
	SIM_V_NO_CPF, SIM_V_NO_CPF, SIM_V_SPLIT, SIM_V_NULL_EMAIL,
	SIM_V_MISSING_PHONE, SIM_V_MULTI, SIM_V_PADDED, SIM_V_NO_DOSSIER,
	SIM_V_NULL_NAME, SIM_V_ABBREV,
};

struct band {
	const char	*desc;
	unsigned	 lo, hi;
};

static const struct band BAND[6] = {
	{ "BAIXO", 1, 2640 },
	{ "MEDIO BAIXO", 2641, 4500 },
	{ "MEDIO", 4501, 7017 },
	{ "MEDIO ALTO", 7018, 15000 },
	{ "ALTO", 15001, 30000 },
	{ "MUITO ALTO", 30001, 60000 },
};

static const char *const CIVIL[5] = {
	"SOLTEIRO", "CASADO", "DIVORCIADO", "VIUVO", "UNIAO ESTAVEL",
};

static const char *const QUALITY[3] = { "ALTA", "MEDIA", "BAIXA" };
static const char *const CARRIER[4] = { "VIVO", "CLARO", "TIM", "OI" };

struct street {
	const char	*type;
	const char	*name;
};

static const struct street STREET[12] = {
	{ "RUA", "DAS FLORES" },		{ "AVENIDA", "BRASIL" },
	{ "RUA", "SÃO JOÃO" },			{ "AVENIDA", "PAULISTA" },
	{ "RUA", "DOM PEDRO II" },		{ "ALAMEDA", "SANTOS" },
	{ "RUA", "VISCONDE DE PIRAJÁ" },	{ "AVENIDA", "GETÚLIO VARGAS" },
	{ "TRAVESSA", "DA CONCEIÇÃO" },		{ "RUA", "XV DE NOVEMBRO" },
	{ "AVENIDA", "BEIRA MAR" },		{ "RUA", "TIRADENTES" },
};

static const char *const DISTRICT[12] = {
	"CENTRO", "JARDIM AMÉRICA", "VILA MARIANA", "BOA VIAGEM",
	"SAVASSI", "MOINHOS DE VENTO", "ASA SUL", "BARRA", "NAZARÉ",
	"JARDIM DA PENHA", "SÃO CRISTÓVÃO", "BATEL",
};

static const char *const BUSINESS[4] = {
	"COMÉRCIO", "SERVIÇOS", "IMÓVEIS", "CONSTRUÇÕES",
};

static const char *const RELATION[3] = {
	"SOCIO", "SOCIO-ADMINISTRADOR", "TITULAR",
};

/* The Work API's tipoRelacao of each RELATION. */
static const char *const RELATION_TYPE[3] = {
	"SOCIO", "SOCIO", "EMPRESARIO",
};

struct product {
	const char	*ref;		/* prop_ref prefix */
	const char	*desc;
	unsigned	 price;		/* in thousands of reais */
};

static const struct product PRODUCT[6] = {
	{ "AP", "Apartamento 2 dormitórios em Moema", 850 },
	{ "AP", "Apartamento 3 suítes na Savassi", 1290 },
	{ "CA", "Casa térrea com quintal no Batel", 980 },
	{ "CO", "Cobertura duplex em Boa Viagem", 2350 },
	{ "ST", "Studio mobiliado na Asa Sul", 420 },
	{ "TE", "Terreno em condomínio fechado", 310 },
};

static const char *const SOURCE[6] = {
	"Facebook Ads", "Google Ads", "Site", "Zap Imóveis", "Viva Real",
	"OLX",
};

static const char *const SELLER[4] = {
	"Carla Menezes", "Rodrigo Azevedo", "Juliana Prado", "Márcio Tavares",
};

struct status {
	const char	*alias;
	const char	*name;
};

static const struct status STATUS[3] = {
	{ "novo", "Novo" },
	{ "em_atendimento", "Em atendimento" },
	{ "visita_agendada", "Visita agendada" },
};

/* Accent-free lowercase of the Latin-1 letters U+00E0 .. U+00FF. */
static const char FOLD[33] = "aaaaaaaceeeeiiiidnooooo?ouuuuyty";

uint64_t
sim_fnv64(const void *p, size_t n)
{
	const unsigned char	*s = p;
	uint64_t		 h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A value derived from "h" for the purpose named by "salt". */
static uint64_t
sub(uint64_t h, const char *salt)
{
	char	 b[96];
	int	 n;

	n = snprintf(b, sizeof(b), "%016llx/%s", (unsigned long long)h, salt);
	if (n < 0 || (size_t)n >= sizeof(b))
		n = 0;
	return sim_fnv64(b, (size_t)n);
}

/* FNV-1a of "h" continued over the decimal digits of "v". */
static uint64_t
fnv_dec(uint64_t h, unsigned v)
{
	char	 d[10];
	int	 n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n-- > 0) {
		h ^= (unsigned char)d[n];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A value derived from seed "s" for the purpose "salt", item "k": the
 * FNV-1a of "s/salt/k" in decimal, computed without formatting a string
 * (the bounded scans of sim_work.c call it a million times).
 */
static uint64_t
seedh(uint32_t s, const char *salt, unsigned k)
{
	uint64_t	 h = fnv_dec(0xcbf29ce484222325ULL, s);

	h = (h ^ '/') * 0x100000001b3ULL;
	for (; *salt != '\0'; salt++)
		h = (h ^ (unsigned char)*salt) * 0x100000001b3ULL;
	h = (h ^ '/') * 0x100000001b3ULL;
	return fnv_dec(h, k);
}

uint64_t
sim_seedh(uint32_t s, const char *salt, unsigned k)
{
	return seedh(s, salt, k);
}

/* Write "v" as exactly "w" decimal digits (the low ones) at "dst". */
static void
put_digits(char *dst, unsigned long long v, int w)
{
	while (w-- > 0) {
		dst[w] = (char)('0' + v % 10);
		v /= 10;
	}
}

const char *
sim_variant_name(enum sim_variant v)
{
	return v < SIM_V__MAX ? VARIANT[v] : "normal";
}

int
sim_lead_id_ok(const char *id)
{
	size_t	 i;

	for (i = 0; i < SIM_LEAD_ID_LEN; i++)
		if (ce_hexval((unsigned char)id[i]) == -1)
			return 0;
	return id[i] == '\0';
}

/*
 * Seeds of ordinary data: not reserved, phone not of the 9999 block, CPF
 * not all one digit (111.111.111-11 passes the check digits but is
 * refused by every validator).
 */
static int
seed_ordinary(uint32_t s)
{
	return s >= 1 && s <= ORD_MAX &&
	    (s - 1) % PHONE_BLOCK < PHONE_RESERVED && s % 111111111u != 0;
}

/* The marker persons: 0a (999 999 0NN) and d1 (999 999 1NN). */
static int
seed_marker(uint32_t s, enum sim_target *t, enum sim_fault *c)
{
	if (s > MARKER_0A && s <= MARKER_0A + SIM_F_500) {
		*t = SIM_T_0A;
		*c = (enum sim_fault)(s - MARKER_0A);
		return 1;
	}
	if (s > MARKER_D1 && s <= MARKER_D1 + SIM_F_500) {
		*t = SIM_T_D1;
		*c = (enum sim_fault)(s - MARKER_D1);
		return 1;
	}
	return 0;
}

int
sim_seed_ordinary(uint32_t s)
{
	return seed_ordinary(s);
}

static int
seed_known(uint32_t s)
{
	enum sim_target	 t;
	enum sim_fault	 c;

	return seed_ordinary(s) || seed_marker(s, &t, &c);
}

static int
is_multi(uint32_t s)
{
	return seed_ordinary(s) && s % 11 == 5;
}

static int
is_padded(uint32_t s)
{
	return seed_ordinary(s) && s % 7 == 3;
}

/*
 * Dossier properties (docs/SIMULATOR.md, Persons), of ordinary seeds only
 * and independent of the lead variants: s mod m = r.
 */
enum dprop {
	DP_LONG,	/* long lists of e-mails and phones */
	DP_SPARSE,	/* father "SEM INFORMAÇÃO", birthplace null */
	DP_BLACKLIST,	/* a blacklisted e-mail */
	DP_INACTIVE	/* an inactive phone */
};

static const struct {
	unsigned	 m, r;
} DPROP[4] = { { 13, 4 }, { 17, 6 }, { 19, 8 }, { 23, 9 } };

static int
dprop(uint32_t s, enum dprop p)
{
	return seed_ordinary(s) && s % DPROP[p].m == DPROP[p].r;
}

int
sim_has_dossier(uint32_t s)
{
	return seed_known(s) && !(seed_ordinary(s) && s % 97 == 0);
}

/* Copy "src" to "dst" in capitals, accented letters included. */
static void
upcase(const char *src, char *dst, size_t sz)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0;

	for (; *s != '\0' && i + 1 < sz; s++, i++) {
		if (*s >= 'a' && *s <= 'z')
			dst[i] = (char)(*s - 'a' + 'A');
		else if (i > 0 && (unsigned char)dst[i - 1] == 0xc3 &&
		    *s >= 0xa0 && *s <= 0xbe && *s != 0xb7)
			dst[i] = (char)(*s - 0x20);
		else
			dst[i] = (char)*s;
	}
	/* Never leave half of a two-byte character. */
	if (i > 0 && (unsigned char)dst[i - 1] >= 0xc0)
		i--;
	dst[i] = '\0';
}

/* Copy "src" to "dst" lowercase and accent-free (for e-mails). */
void
sim_fold(const char *src, char *dst, size_t sz)
{
	const unsigned char	*s = (const unsigned char *)src;
	size_t			 i = 0;

	for (; *s != '\0' && i + 1 < sz; s++) {
		if (*s == 0xc3 && s[1] >= 0x80 && s[1] <= 0xbf) {
			s++;
			dst[i++] = FOLD[(*s | 0x20) - 0xa0];
		} else if (*s >= 'A' && *s <= 'Z')
			dst[i++] = (char)(*s - 'A' + 'a');
		else if (*s < 0x80)
			dst[i++] = (char)*s;
	}
	dst[i] = '\0';
}

static void
base36(uint32_t v, char *dst, size_t sz)
{
	char	 tmp[16];
	size_t	 n = 0, i;

	do {
		tmp[n++] = "0123456789abcdefghijklmnopqrstuvwxyz"[v % 36];
		v /= 36;
	} while (v > 0 && n < sizeof(tmp));
	for (i = 0; i < n && i + 1 < sz; i++)
		dst[i] = tmp[n - 1 - i];
	dst[i] = '\0';
}

static void
cpf_make(uint32_t s, char out[12])
{
	int	 i, sum, d;

	put_digits(out, s, 9);
	for (sum = 0, i = 0; i < 9; i++)
		sum += (out[i] - '0') * (10 - i);
	d = sum % 11;
	out[9] = (char)(d < 2 ? '0' : '0' + 11 - d);
	for (sum = 0, i = 0; i < 10; i++)
		sum += (out[i] - '0') * (11 - i);
	d = sum % 11;
	out[10] = (char)(d < 2 ? '0' : '0' + 11 - d);
	out[11] = '\0';
}

/* CNPJ number "k" of seed "s": 8 digits, branch 0001, check digits. */
void
sim_cnpj_make(uint32_t s, unsigned k, char out[15])
{
	static const int w1[12] = { 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2 };
	static const int w2[13] = { 6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2 };
	int		 i, sum, d;

	put_digits(out, 10000000 + seedh(s, "cnpj", k) % 89999999, 8);
	memcpy(out + 8, "0001", 4);
	for (sum = 0, i = 0; i < 12; i++)
		sum += (out[i] - '0') * w1[i];
	d = sum % 11;
	out[12] = (char)(d < 2 ? '0' : '0' + 11 - d);
	for (sum = 0, i = 0; i < 13; i++)
		sum += (out[i] - '0') * w2[i];
	d = sum % 11;
	out[13] = (char)(d < 2 ? '0' : '0' + 11 - d);
	out[14] = '\0';
}

/* The index in DDD[] of a national phone's DDD, or -1. */
static int
ddd_index(const char *phone)
{
	unsigned	 d;
	size_t		 i;

	if (phone[0] < '0' || phone[0] > '9' || phone[1] < '0' ||
	    phone[1] > '9')
		return -1;
	d = (unsigned)(phone[0] - '0') * 10 + (unsigned)(phone[1] - '0');
	for (i = 0; i < NELEM(DDD); i++)
		if (DDD[i] == d)
			return (int)i;
	return -1;
}

/* "first.last", lowercase and accent-free, of seed "s". */
static void
email_local(uint32_t s, char *dst, size_t sz)
{
	char	 f[32], l[32];
	int	 n;

	sim_fold(FIRST[s % 32].name, f, sizeof(f));
	sim_fold(LAST[(s / 32768) % 32], l, sizeof(l));
	n = snprintf(dst, sz, "%s.%s", f, l);
	if (n < 0 || (size_t)n >= sz)
		dst[0] = '\0';
}

static const char *
target_name(enum sim_target t)
{
	return t == SIM_T_D1 ? "d1" : "0a";
}

int
sim_person_make(uint32_t s, struct sim_person *p)
{
	enum sim_target	 t;
	enum sim_fault	 c;
	char		 local[80], tag[16];
	int		 n;

	memset(p, 0, sizeof(*p));
	if (s < 1 || s > SIM_SEED_MAX)
		return -1;
	p->seed = s;
	p->female = FIRST[s % 32].female;
	n = snprintf(p->name, sizeof(p->name), "%s %s %s %s",
	    FIRST[s % 32].name, FIRST[(s / 32) % 32].name,
	    LAST[(s / 1024) % 32], LAST[(s / 32768) % 32]);
	if (n < 0 || (size_t)n >= sizeof(p->name))
		return -1;
	upcase(p->name, p->uname, sizeof(p->uname));
	cpf_make(s, p->cpf);
	if (seed_marker(s, &t, &c)) {
		n = snprintf(p->phone, sizeof(p->phone), "1199999%c0%02u",
		    t == SIM_T_D1 ? '1' : '2', (unsigned)c);
		if (n < 0 || (size_t)n >= sizeof(p->phone))
			return -1;
		n = snprintf(p->email, sizeof(p->email),
		    "fault-%s-%02x@example.invalid", target_name(t),
		    (unsigned)c);
		return n < 0 || (size_t)n >= sizeof(p->email) ? -1 : 0;
	}
	put_digits(p->phone, DDD[(s - 1) / PHONE_BLOCK], 2);
	p->phone[2] = '9';
	put_digits(p->phone + 3, (s - 1) % PHONE_BLOCK, 8);
	p->phone[11] = '\0';
	email_local(s, local, sizeof(local));
	base36(s, tag, sizeof(tag));
	n = snprintf(p->email, sizeof(p->email), "%s.%s@%s", local, tag,
	    DOM[s % 5]);
	return n < 0 || (size_t)n >= sizeof(p->email) ? -1 : 0;
}

/*
 * The fault code of a phone's or CPF's two last characters: the code
 * written in decimal ("01" .. "11"), as digits must be, or the code's hex
 * digits ("0a", "0b") in a phone.  Returns SIM_F_NONE when neither.
 */
static enum sim_fault
marker_code(const char *nn, int hex_ok)
{
	int	 a = ce_hexval((unsigned char)nn[0]);
	int	 b = ce_hexval((unsigned char)nn[1]);

	if (a < 0 || b < 0 || nn[2] != '\0')
		return SIM_F_NONE;
	if (a <= 9 && b <= 9 && a * 10 + b >= 1 && a * 10 + b <= SIM_F_500)
		return (enum sim_fault)(a * 10 + b);
	if (hex_ok && a == 0 && b >= 10 && b <= SIM_F_500)
		return (enum sim_fault)b;
	return SIM_F_NONE;
}

static uint32_t
marker_seed(enum sim_target t, enum sim_fault c)
{
	return (t == SIM_T_D1 ? MARKER_D1 : MARKER_0A) + (uint32_t)c;
}

uint32_t
sim_phone_lookup(const char *phone, enum sim_target *t, enum sim_fault *c)
{
	unsigned long	 n = 0;
	size_t		 i;
	int		 d;

	*t = SIM_T_NONE;
	*c = SIM_F_NONE;
	if (strlen(phone) != 11)
		return 0;
	if (strncmp(phone, "1199999", 7) == 0 &&
	    (phone[7] == '1' || phone[7] == '2') && phone[8] == '0' &&
	    (*c = marker_code(phone + 9, 1)) != SIM_F_NONE) {
		*t = phone[7] == '1' ? SIM_T_D1 : SIM_T_0A;
		return marker_seed(*t, *c);
	}
	for (i = 0; i < 11; i++)
		if (phone[i] < '0' || phone[i] > '9')
			return 0;
	if ((d = ddd_index(phone)) == -1 || phone[2] != '9')
		return 0;
	for (i = 3; i < 11; i++)
		n = n * 10 + (unsigned long)(phone[i] - '0');
	if (n >= PHONE_RESERVED)
		return 0;
	n += (unsigned long)d * PHONE_BLOCK + 1;
	return seed_ordinary((uint32_t)n) ? (uint32_t)n : 0;
}

/*
 * Is "e" a marker e-mail, fault-TT-NN@example.invalid (TT d1, 0a or cc;
 * NN a code in hex)?  Returns -1 when it is not of that shape, else 0
 * with the target and the code in "t" and "c" (SIM_T_NONE or SIM_F_NONE
 * for an unknown one).
 */
int
sim_fault_email(const char *e, enum sim_target *t, enum sim_fault *c)
{
	static const struct {
		const char	*name;
		enum sim_target	 t;
	} targets[] = {
		{ "d1", SIM_T_D1 }, { "0a", SIM_T_0A }, { "cc", SIM_T_CC },
	};
	size_t	 i;
	int	 hi, lo;

	*t = SIM_T_NONE;
	*c = SIM_F_NONE;
	if (strncmp(e, "fault-", 6) != 0 || strlen(e) != 27 ||
	    strcmp(e + 11, "@example.invalid") != 0 || e[8] != '-')
		return -1;
	for (i = 0; i < sizeof(targets) / sizeof(targets[0]); i++)
		if (strncmp(e + 6, targets[i].name, 2) == 0)
			*t = targets[i].t;
	hi = ce_hexval((unsigned char)e[9]);
	lo = ce_hexval((unsigned char)e[10]);
	if (*t != SIM_T_NONE && hi >= 0 && lo >= 0 && hi * 16 + lo >= 1 &&
	    hi * 16 + lo <= SIM_F_500)
		*c = (enum sim_fault)(hi * 16 + lo);
	return 0;
}

uint32_t
sim_email_lookup(const char *email, enum sim_target *t, enum sim_fault *c)
{
	struct sim_person	 p;
	char			 e[96], want[80];
	char			*at, *dot, *end;
	unsigned long		 s;

	*t = SIM_T_NONE;
	*c = SIM_F_NONE;
	if (strlen(email) >= sizeof(e))
		return 0;
	sim_fold(email, e, sizeof(e));
	if (strlen(e) != strlen(email))
		return 0;	/* had non-ASCII bytes */
	if (sim_fault_email(e, t, c) == 0) {
		if ((*t == SIM_T_D1 || *t == SIM_T_0A) && *c != SIM_F_NONE)
			return marker_seed(*t, *c);
		/* cc's e-mail, or a bad marker: nobody. */
		*t = SIM_T_NONE;
		*c = SIM_F_NONE;
		return 0;
	}
	if ((at = strchr(e, '@')) == NULL)
		return 0;
	*at = '\0';
	if ((dot = strrchr(e, '.')) == NULL || dot[1] == '\0' ||
	    strlen(dot + 1) > 6)
		return 0;
	for (s = 0, end = dot + 1; *end != '\0'; end++) {
		if (*end >= '0' && *end <= '9')
			s = s * 36 + (unsigned long)(*end - '0');
		else if (*end >= 'a' && *end <= 'z')
			s = s * 36 + (unsigned long)(*end - 'a' + 10);
		else
			return 0;
	}
	if (!seed_ordinary((uint32_t)s))
		return 0;
	*dot = '\0';
	email_local((uint32_t)s, want, sizeof(want));
	if (strcmp(e, want) != 0 || sim_person_make((uint32_t)s, &p) == -1)
		return 0;
	return (uint32_t)s;
}

uint32_t
sim_cpf_lookup(const char *cpf, enum sim_target *t, enum sim_fault *c)
{
	char		 want[12];
	unsigned long	 s = 0;
	size_t		 i;

	*t = SIM_T_NONE;
	*c = SIM_F_NONE;
	if (strlen(cpf) != 11)
		return 0;
	for (i = 0; i < 11; i++)
		if (cpf[i] < '0' || cpf[i] > '9')
			return 0;
	for (i = 0; i < 9; i++)
		s = s * 10 + (unsigned long)(cpf[i] - '0');
	cpf_make((uint32_t)s, want);
	if (s == 0 || strcmp(cpf, want) != 0)
		return 0;
	if (seed_marker((uint32_t)s, t, c))
		return (uint32_t)s;
	return seed_ordinary((uint32_t)s) ? (uint32_t)s : 0;
}

/* Does seed "s" fit variant "v" (§ Leads: only its own property)? */
static int
fits(uint32_t s, enum sim_variant v)
{
	int	 m = s % 11 == 5, p = s % 7 == 3, d = s % 97 == 0;

	switch (v) {
	case SIM_V_MULTI:
		return m && !p && !d;
	case SIM_V_PADDED:
		return p && !m && !d;
	case SIM_V_NO_DOSSIER:
		return d && !m && !p;
	default:
		return !m && !p && !d;
	}
}

/* The first ordinary seed from "h" on that fits "v" (and is not "not"). */
static uint32_t
pick_seed(uint64_t h, enum sim_variant v, uint32_t not)
{
	uint32_t	 s = 1 + (uint32_t)(h % ORD_MAX);

	for (;;) {
		if (s > ORD_MAX)
			s = 1;
		if ((s - 1) % PHONE_BLOCK >= PHONE_RESERVED) {
			s += PHONE_BLOCK - (s - 1) % PHONE_BLOCK;
			continue;
		}
		if (seed_ordinary(s) && fits(s, v) && s != not)
			return s;
		s++;
	}
}

/* Another person of another name and CPF: the decoy of a multi seed. */
static uint32_t
decoy_of(uint32_t s)
{
	uint32_t	 d = s + 17 + 32 * 7 + 1024 * 13 + 32768 * 19;

	if (d > ORD_MAX)
		d -= 900000000;
	/* 100000 is a multiple of 32: the first name stays different. */
	while (!seed_ordinary(d) && d > 100000)
		d -= 100000;
	return d;
}

/* Write national "digits" (10 or 11) in real-world shape "shape". */
static void
phone_shape(const char *digits, unsigned shape, char *dst, size_t sz)
{
	size_t	 len = strlen(digits);
	int	 n, k = (int)len - 6;	/* length of the part before '-' */

	switch (shape % 4) {
	case 0:
		n = snprintf(dst, sz, "(%.2s) %.*s-%s", digits, k,
		    digits + 2, digits + 2 + k);
		break;
	case 1:
		n = snprintf(dst, sz, "+55 %.2s %.*s-%s", digits, k,
		    digits + 2, digits + 2 + k);
		break;
	case 2:
		n = snprintf(dst, sz, "%s", digits);
		break;
	default:
		n = snprintf(dst, sz, "55%s", digits);
		break;
	}
	if (n < 0 || (size_t)n >= sz)
		dst[0] = '\0';
}

static void
copy(char *dst, const char *src, size_t sz)
{
	if (ce_strlcpy(dst, src, sz) >= sz)
		dst[0] = '\0';
}

/* "J. ARAUJO SIMOES": initial, surnames, capitals, accent-free. */
static void
abbreviate(uint32_t s, char *dst, size_t sz)
{
	char	 f[32], l1[32], l2[32], tmp[128];
	int	 n;

	sim_fold(FIRST[s % 32].name, f, sizeof(f));
	sim_fold(LAST[(s / 1024) % 32], l1, sizeof(l1));
	sim_fold(LAST[(s / 32768) % 32], l2, sizeof(l2));
	n = snprintf(tmp, sizeof(tmp), "%c. %s %s", f[0], l1, l2);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		tmp[0] = '\0';
	upcase(tmp, dst, sz);
}

/*
 * The lead's id, lowercased, its hash, and the fault it asks for:
 * "fa17" then the target ("c2", "cc", "d1", "0a") then the code in hex.
 */
static void
lead_id(const char *id, struct sim_lead *l)
{
	static const enum sim_target targets[] = {
		SIM_T_C2, SIM_T_CC, SIM_T_D1, SIM_T_0A,
	};
	static const char *const tnames[] = { "c2", "cc", "d1", "0a" };
	size_t	 i;
	int	 code;

	for (i = 0; i < SIM_LEAD_ID_LEN && id[i] != '\0'; i++)
		l->id[i] = (char)(id[i] >= 'A' && id[i] <= 'F' ?
		    id[i] - 'A' + 'a' : id[i]);
	l->h = sim_fnv64(l->id, i);

	if (strncmp(l->id, "fa17", 4) != 0)
		return;
	code = ce_hexval((unsigned char)l->id[6]) * 16 +
	    ce_hexval((unsigned char)l->id[7]);
	for (i = 0; i < NELEM(tnames); i++)
		if (strncmp(l->id + 4, tnames[i], 2) == 0 &&
		    code >= 1 && code <= SIM_F_500) {
			l->target = targets[i];
			l->code = (enum sim_fault)code;
		}
}

/* The marker person's contacts, exactly as the spec writes. */
static void
lead_marker(struct sim_lead *l)
{
	struct sim_person	 p;

	l->variant = SIM_V_FAULT;
	l->phone_seed = l->email_seed = marker_seed(l->target, l->code);
	(void)sim_person_make(l->phone_seed, &p);
	copy(l->name, p.name, sizeof(l->name));
	copy(l->phone, p.phone, sizeof(l->phone));
	copy(l->phone_fmt, p.phone, sizeof(l->phone_fmt));
	copy(l->email, p.email, sizeof(l->email));
}

/*
 * Bad contacts, as people type them into forms: "fa17bc01" a fake
 * phone (one repeated digit) and a good e-mail; "fa17bc02" a phone
 * too short and a placeholder e-mail.  Nobody owns them.
 */
static void
lead_bad_contact(struct sim_lead *l)
{
	l->phone_seed = 0;
	copy(l->phone, "11999999999", sizeof(l->phone));
	copy(l->phone_fmt, "(11) 99999-9999", sizeof(l->phone_fmt));
	if (l->id[7] == '2') {
		l->email_seed = 0;
		copy(l->phone, "111234", sizeof(l->phone));
		copy(l->phone_fmt, "(11) 1234", sizeof(l->phone_fmt));
		copy(l->email, "teste@teste.com", sizeof(l->email));
	}
}

/*
 * "no_cpf": a mobile of a DDD outside DDD[] and the person's e-mail
 * without its tag, so that neither phone nor e-mail finds anybody.
 */
static void
lead_no_cpf(struct sim_lead *l, const struct sim_person *p)
{
	char	 local[80];
	int	 n;

	l->phone_seed = l->email_seed = 0;
	put_digits(l->phone,
	    OTHER_DDD[sub(l->h, "ddd") % NELEM(OTHER_DDD)], 2);
	l->phone[2] = '9';
	put_digits(l->phone + 3, sub(l->h, "number") % PHONE_RESERVED,
	    8);
	l->phone[11] = '\0';
	email_local(p->seed, local, sizeof(local));
	n = snprintf(l->email, sizeof(l->email), "%s@%s", local,
	    DOM[p->seed % 5]);
	if (n < 0 || (size_t)n >= sizeof(l->email))
		l->email[0] = '\0';
}

/* The variant's changes to the contacts of person "p". */
static void
lead_variant(struct sim_lead *l, const struct sim_person *p)
{
	struct sim_person	 q;

	switch (l->variant) {
	case SIM_V_NO_CPF:
		lead_no_cpf(l, p);
		break;
	case SIM_V_SPLIT:
		l->email_seed = pick_seed(sub(l->h, "email"), SIM_V_SPLIT,
		    l->phone_seed);
		(void)sim_person_make(l->email_seed, &q);
		copy(l->email, q.email, sizeof(l->email));
		break;
	case SIM_V_NULL_EMAIL:
		l->has_email = 0;
		l->email_seed = 0;
		break;
	case SIM_V_MISSING_PHONE:
		l->has_phone = 0;
		l->phone_seed = 0;
		break;
	case SIM_V_NULL_NAME:
		l->has_name = 0;
		break;
	case SIM_V_ABBREV:
		abbreviate(p->seed, l->name, sizeof(l->name));
		break;
	default:
		break;
	}
}

/* The phone as the lead writes it, and a landline one time in four. */
static void
lead_phones(struct sim_lead *l)
{
	char		 nat[16];
	uint64_t	 x;

	x = sub(l->h, "shape");
	phone_shape(l->phone, (unsigned)x, l->phone_fmt, sizeof(l->phone_fmt));
	if (sub(l->h, "phone2") % 4 == 0) {
		/* A landline: ten digits, nobody's mobile. */
		memcpy(nat, l->phone, 2);
		nat[2] = '3';
		put_digits(nat + 3, sub(l->h, "landline") % 10000000, 7);
		nat[10] = '\0';
		l->has_phone2 = 1;
		phone_shape(nat, (unsigned)x, l->phone2_fmt,
		    sizeof(l->phone2_fmt));
	}
}

/*
 * A seeded lead, "5eed" SSSSSSSSS C NN …: the person of seed S (nine
 * decimal digits, an ordinary seed), C its contacts (0 phone and e-mail,
 * 1 phone only, 2 e-mail only) and NN (hex) its name: PLACEHOLDER[NN]
 * below, or the kinds after it; 00 and any other the person's.  Two
 * seeded leads of one seed are one person's two leads.  Returns 1 when
 * "l" is one, with its contacts set.
 */
static const char *const PLACEHOLDER[9] = {
	NULL, "Unknown", "DESCONHECIDO", "teste", "Test", "Lead", "Sem nome",
	"N/A", "-",
};
#define NAME_PHONE	0x09	/* the phone's digits as the name */
#define NAME_EMAIL	0x0a	/* the e-mail as the name */
#define NAME_OTHER	0x0b	/* someone else's name */
#define NAME_NULL	0x0c	/* no name */

static int
lead_seeded(struct sim_lead *l)
{
	struct sim_person	 p, q;
	uint32_t		 seed = 0;
	int			 i, c, nk;

	if (strncmp(l->id, "5eed", 4) != 0)
		return 0;
	for (i = 4; i < 13; i++) {
		if (l->id[i] < '0' || l->id[i] > '9')
			return 0;
		seed = seed * 10 + (uint32_t)(l->id[i] - '0');
	}
	c = l->id[13] - '0';
	nk = ce_hexval((unsigned char)l->id[14]) * 16 +
	    ce_hexval((unsigned char)l->id[15]);
	if (!seed_ordinary(seed) || c < 0 || c > 2 ||
	    sim_person_make(seed, &p) != 0)
		return 0;
	l->variant = SIM_V_SEEDED;
	l->phone_seed = c != 2 ? seed : 0;
	l->email_seed = c != 1 ? seed : 0;
	l->has_phone = c != 2;
	l->has_email = c != 1;
	copy(l->name, p.name, sizeof(l->name));
	copy(l->phone, p.phone, sizeof(l->phone));
	copy(l->email, p.email, sizeof(l->email));
	if (nk >= 1 && (size_t)nk < NELEM(PLACEHOLDER))
		copy(l->name, PLACEHOLDER[nk], sizeof(l->name));
	else if (nk == NAME_PHONE)
		copy(l->name, p.phone, sizeof(l->name));
	else if (nk == NAME_EMAIL)
		copy(l->name, p.email, sizeof(l->name));
	else if (nk == NAME_OTHER) {
		(void)sim_person_make(seed % 999000000 + 1, &q);
		copy(l->name, q.name, sizeof(l->name));
	} else if (nk == NAME_NULL)
		l->has_name = 0;
	if (l->has_phone)
		lead_phones(l);
	return 1;
}

void
sim_lead_make(const char *id, struct sim_lead *l)
{
	struct sim_person	 p, q;
	int			 n;

	memset(l, 0, sizeof(*l));
	lead_id(id, l);
	l->has_name = l->has_phone = l->has_email = 1;
	if (l->target == SIM_T_D1 || l->target == SIM_T_0A) {
		lead_marker(l);
		return;
	}
	if (lead_seeded(l))
		return;

	l->variant = l->h % 20 < 10 ? VARIANT_OF[l->h % 20] : SIM_V_NORMAL;
	if (strncmp(l->id, "fa17bc0", 7) == 0 && l->id[7] >= '1' &&
	    l->id[7] <= '4')
		l->variant = l->id[7] == '4' ? SIM_V_DOUBLED_CC :
		    l->id[7] == '3' ? SIM_V_OTHER_NAME : SIM_V_BAD_CONTACT;
	l->phone_seed = l->email_seed =
	    pick_seed(sub(l->h, "person"), l->variant, 0);
	(void)sim_person_make(l->phone_seed, &p);
	copy(l->name, p.name, sizeof(l->name));
	copy(l->phone, p.phone, sizeof(l->phone));
	copy(l->email, p.email, sizeof(l->email));

	if (l->variant == SIM_V_BAD_CONTACT) {
		lead_bad_contact(l);
		return;
	}
	/* "fa17bc03": someone else's name on the person's contacts. */
	if (l->variant == SIM_V_OTHER_NAME) {
		(void)sim_person_make(p.seed % 999000000 + 1, &q);
		copy(l->name, q.name, sizeof(l->name));
	}
	/*
	 * "fa17bc04": the phone with the country code written twice, as
	 * C2S sent it for about one historical lead in 33.
	 */
	if (l->variant == SIM_V_DOUBLED_CC) {
		n = snprintf(l->phone_fmt, sizeof(l->phone_fmt), "5555%s",
		    l->phone);
		if (n < 0 || (size_t)n >= sizeof(l->phone_fmt))
			l->phone_fmt[0] = '\0';
		return;
	}
	lead_variant(l, &p);
	if (l->has_phone)
		lead_phones(l);
}

static int	 list_created(const char *, time_t *);

/* The lead's times, in Brasília time as C2S writes them. */
static time_t
lead_created(const struct sim_lead *l)
{
	time_t	 t;

	if (list_created(l->id, &t))	/* a listed lead: its time */
		return t;
	return (time_t)(LEAD_EPOCH + sub(l->h, "created") % (365 * 86400));
}

static void
fmt_time(time_t t, char *buf, size_t sz)
{
	struct tm	 tm;

	t -= 3 * 3600;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, sz, "%Y-%m-%dT%H:%M:%S-03:00", &tm) == 0)
		buf[0] = '\0';
}

/* The "data" member of a lead: type, id and attributes. */
static json_t *
lead_data(const struct sim_lead *l)
{
	const struct product	*pr = &PRODUCT[sub(l->h, "product") %
	    NELEM(PRODUCT)];
	const struct status	*st = &STATUS[sub(l->h, "status") %
	    NELEM(STATUS)];
	const char		*src = SOURCE[sub(l->h, "source") %
	    NELEM(SOURCE)];
	json_t			*customer, *product, *source = NULL;
	json_t			*seller = NULL;
	char			 cid[24], ref[16], desc[256];
	char			 created[40], updated[40];
	uint64_t		 x = sub(l->h, "product-fields");
	int			 n;

	n = snprintf(cid, sizeof(cid), "%016llx",
	    (unsigned long long)sub(l->h, "customer"));
	if (n < 0 || (size_t)n >= sizeof(cid))
		return NULL;
	n = snprintf(ref, sizeof(ref), "%s%04u", pr->ref,
	    (unsigned)(sub(l->h, "ref") % 10000));
	if (n < 0 || (size_t)n >= sizeof(ref))
		return NULL;
	n = snprintf(desc, sizeof(desc), "Olá! Vi o anúncio %s (%s) e "
	    "gostaria de mais informações.", ref, pr->desc);
	if (n < 0 || (size_t)n >= sizeof(desc))
		return NULL;
	fmt_time(lead_created(l), created, sizeof(created));
	fmt_time(lead_created(l) + (time_t)(sub(l->h, "updated") % 604800),
	    updated, sizeof(updated));

	customer = json_pack("{s:s, s:s?, s:s?, s:s*, s:s*}",
	    "id", cid,
	    "name", l->has_name ? l->name : NULL,
	    "email", l->has_email ? l->email : NULL,
	    "phone", l->has_phone ? l->phone_fmt : NULL,
	    "phone2", l->has_phone2 ? l->phone2_fmt : NULL);
	product = json_pack("{s:s*, s:s*, s:o*}",
	    "prop_ref", x % 5 != 0 ? ref : NULL,
	    "description", x % 7 != 0 ? pr->desc : NULL,
	    "price", x % 3 != 0 ? json_integer((json_int_t)pr->price * 1000) :
	    NULL);
	if (sub(l->h, "has-source") % 6 != 0)
		source = json_pack("{s:i, s:s}", "id",
		    (int)(sub(l->h, "source-id") % 900 + 100), "name", src);
	if (sub(l->h, "has-seller") % 4 != 0)
		seller = json_pack("{s:i, s:s}", "id",
		    (int)(sub(l->h, "seller") % NELEM(SELLER) + 1), "name",
		    SELLER[sub(l->h, "seller") % NELEM(SELLER)]);
	return json_pack("{s:s, s:s, s:{s:o, s:s, s:o, s:{s:s, s:s}, "
	    "s:o*, s:o*, s:s, s:s}}",
	    "type", "lead", "id", l->id, "attributes",
	    "customer", customer, "description", desc, "product", product,
	    "lead_status", "alias", st->alias, "name", st->name,
	    "lead_source", source, "seller", seller,
	    "created_at", created, "updated_at", updated);
}

json_t *
sim_lead_json(const struct sim_lead *l)
{
	return json_pack("{s:o}", "data", lead_data(l));
}

/*
 * The lead list (GET /integration/leads): "size" slots, newest first, one
 * every "step" seconds back from "end".  Slot a (its absolute number,
 * end / step - its index) is created at a x step less a jitter under
 * step / 2, so the list is strictly ordered and a slot keeps its id and
 * time whatever the list's end.  A listed lead's id carries its created
 * time (8 hex at 16) and a check of what comes before (8 hex at 24), so
 * that GET /integration/leads/{id} answers the same created_at; about
 * one slot in 8 is a seeded lead (5eed…) of the person of an older slot,
 * that person's second lead, with the same phone.
 */
#define LIST_REPEAT	8	/* one slot in LIST_REPEAT repeats a person */
#define LIST_BACK	40	/* ... of one of the LIST_BACK slots before */

/* The check of a listed id's first 24 characters: 8 hex. */
static uint64_t
list_check(const char *id)
{
	char	 b[40];

	memcpy(b, id, 24);
	memcpy(b + 24, "/listed", 8);
	return sim_fnv64(b, 31) & 0xffffffffULL;
}

/* The created time a listed lead's id carries: 1, or 0 for another id. */
static int
list_created(const char *id, time_t *t)
{
	uint64_t	 v = 0, c = 0;
	int		 i, d;

	for (i = 16; i < SIM_LEAD_ID_LEN; i++) {
		if ((d = ce_hexval((unsigned char)id[i])) < 0)
			return 0;
		if (i < 24)
			v = v * 16 + (uint64_t)d;
		else
			c = c * 16 + (uint64_t)d;
	}
	if (c != list_check(id))
		return 0;
	*t = (time_t)v;
	return 1;
}

/* Slot "a"'s created time. */
static time_t
slot_created(long long a, long long step)
{
	char	 b[32];
	int	 n;

	n = snprintf(b, sizeof(b), "slot/%lld", a);
	return (time_t)(a * step - (long long)(sim_fnv64(b, (size_t)n) %
	    (uint64_t)(step / 2)));
}

/* Finish id "id" (its first 16 characters written) for time "t". */
static void
slot_finish(char *id, time_t t)
{
	snprintf(id + 16, 9, "%08llx", (unsigned long long)t & 0xffffffffULL);
	snprintf(id + 24, 9, "%08llx", (unsigned long long)list_check(id));
}

/* Slot "a"'s ordinary id (no fault marker, no seeded lead). */
static void
slot_plain(long long a, long long step, char *id)
{
	char	 b[32];
	int	 n;

	n = snprintf(b, sizeof(b), "list/%lld", a);
	snprintf(id, 17, "%016llx", (unsigned long long)sub(sim_fnv64(b,
	    (size_t)n), "id"));
	if (strncmp(id, "fa17", 4) == 0 || strncmp(id, "5eed", 4) == 0)
		id[0] = 'e';
	slot_finish(id, slot_created(a, step));
}

/* Does slot "a" repeat the person of an older slot?  Which: "*b". */
static int
slot_repeats(long long a, long long *b)
{
	char		 s[32];
	uint64_t	 r;
	int		 n;

	n = snprintf(s, sizeof(s), "repeat/%lld", a);
	r = sim_fnv64(s, (size_t)n);
	*b = a - 1 - (long long)((r >> 8) % LIST_BACK);
	return r % LIST_REPEAT == 0;
}

/* Slot "a"'s lead id, 32 hex and a NUL in "id". */
static void
slot_id(long long a, long long step, char *id)
{
	struct sim_lead		 l;
	struct sim_person	 p;
	long long		 b, c;

	if (slot_repeats(a, &b) && !slot_repeats(b, &c)) {
		slot_plain(b, step, id);
		sim_lead_make(id, &l);
		if (l.has_phone && seed_ordinary(l.phone_seed) &&
		    sim_person_make(l.phone_seed, &p) == 0 &&
		    strcmp(p.phone, l.phone) == 0) {
			/* C 0 (phone and e-mail), NN 00 (its name). */
			snprintf(id, 17, "5eed%09u000", l.phone_seed);
			slot_finish(id, slot_created(a, step));
			return;
		}
	}
	slot_plain(a, step, id);
}

json_t *
sim_lead_list_json(const struct sim_list *ls, long long page,
    long long perpage)
{
	struct sim_lead	 l;
	json_t		*arr, *d;
	char		 id[SIM_LEAD_ID_LEN + 1];
	long long	 k, top;

	if (ls->step < 2 || page < 1 || perpage < 1 || perpage > 50 ||
	    (arr = json_array()) == NULL)
		return NULL;
	top = (long long)ls->end / ls->step;
	for (k = (page - 1) * perpage; k < page * perpage && k < ls->size;
	    k++) {
		slot_id(top - k, ls->step, id);
		sim_lead_make(id, &l);
		/* The newest "undated" listed with no readable date. */
		if ((d = lead_data(&l)) != NULL && k < ls->undated &&
		    json_object_set_new(json_object_get(d, "attributes"),
		    "created_at", json_null()) == -1) {
			json_decref(d);
			d = NULL;
		}
		if (d == NULL || json_array_append_new(arr, d) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return json_pack("{s:o, s:{s:I, s:I, s:I}}", "data", arr, "meta",
	    "total", (json_int_t)ls->size, "page", (json_int_t)page,
	    "perpage", (json_int_t)perpage);
}

static json_t *
candidate(const struct sim_person *p)
{
	return json_pack("{s:s, s:s}", "nome", p->uname, "cpf", p->cpf);
}

json_t *
sim_diretrix_json(uint32_t s, int by_phone)
{
	struct sim_person	 p, d;

	if (s == 0 || sim_person_make(s, &p) == -1)
		return json_array();
	if (by_phone && is_multi(s) && sim_person_make(decoy_of(s), &d) == 0)
		return json_pack("[o, o]", candidate(&d), candidate(&p));
	return json_pack("[o]", candidate(&p));
}

/* The razão social of company "k" of seed "s", in capitals: 0 or -1. */
int
sim_company_name(uint32_t s, unsigned k, char *dst, size_t sz)
{
	char	 tmp[128];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s %s LTDA", LAST[(s / 1024) % 32],
	    BUSINESS[seedh(s, "business", k) % NELEM(BUSINESS)]);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -1;
	upcase(tmp, dst, sz);
	return 0;
}

static json_t *
company(uint32_t s)
{
	char	 cnpj[15], name[128];

	sim_cnpj_make(s, 0, cnpj);
	if (sim_company_name(s, 0, name, sizeof(name)) == -1)
		return NULL;
	return json_pack("{s:s, s:s}", "cpf_cnpj", cnpj, "nome", name);
}

json_t *
sim_workphone_json(uint32_t s)
{
	struct sim_person	 p;
	char			 padded[16];
	int			 n;

	if (s == 0 || sim_person_make(s, &p) == -1)
		return json_pack("{s:[]}", "msg");
	if (!is_padded(s))
		return json_pack("{s:[{s:s, s:s}]}", "msg", "cpf_cnpj", p.cpf,
		    "nome", p.uname);
	n = snprintf(padded, sizeof(padded), "000%s", p.cpf);
	if (n < 0 || (size_t)n >= sizeof(padded))
		return NULL;
	return json_pack("{s:[o, {s:s, s:s}]}", "msg", company(s),
	    "cpf_cnpj", padded, "nome", p.uname);
}

json_t *
sim_person_json(uint32_t s)
{
	struct sim_person	 p;

	if (s == 0 || sim_person_make(s, &p) == -1)
		return json_null();
	return json_pack("{s:I, s:s, s:s}", "seed", (json_int_t)s,
	    "name", p.uname, "cpf", p.cpf);
}

/* A relative's name: a first name of sex "female", two surnames. */
static void
relative(uint32_t s, const char *salt, int female, const char *last,
    char *dst, size_t sz)
{
	char	 tmp[128];
	int	 n;

	n = snprintf(tmp, sizeof(tmp), "%s %s %s",
	    FIRST[2 * (seedh(s, salt, 0) % 16) + (female ? 1 : 0)].name,
	    LAST[seedh(s, salt, 1) % 32], last);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		tmp[0] = '\0';
	upcase(tmp, dst, sz);
}

void
sim_mother_name(uint32_t s, char *dst, size_t sz)
{
	relative(s, "mother", 1, LAST[(s / 1024) % 32], dst, sz);
}

/*
 * The index of "word" (lowercase, accent-free, as sim_fold() writes it)
 * in the first names ("last" 0) or the surnames ("last" 1), or -1.
 */
int
sim_name_index(const char *word, int last)
{
	char	 f[32];
	size_t	 i;

	for (i = 0; i < 32; i++) {
		sim_fold(last ? LAST[i] : FIRST[i].name, f, sizeof(f));
		if (strcmp(f, word) == 0)
			return (int)i;
	}
	return -1;
}

static json_t *
dossier_basic(const struct sim_person *p)
{
	const struct city	*city;
	uint32_t		 s = p->seed;
	char			 birth[16], mae[128], pai[128], titulo[13];
	int			 n, sparse;

	n = snprintf(birth, sizeof(birth), "%02u/%02u/%04u",
	    (unsigned)(1 + seedh(s, "birth", 0) % 28),
	    (unsigned)(1 + seedh(s, "birth", 1) % 12),
	    (unsigned)(1950 + seedh(s, "birth", 2) % 55));
	if (n < 0 || (size_t)n >= sizeof(birth))
		return NULL;
	sim_mother_name(s, mae, sizeof(mae));
	relative(s, "father", 0, LAST[(s / 32768) % 32], pai, sizeof(pai));
	sim_titulo_make(s, titulo);
	city = &CITY[seedh(s, "birthplace", 0) % NELEM(CITY)];
	sparse = dprop(s, DP_SPARSE);
	/* s? gives a JSON null for NULL: the provider's nulls. */
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s?, "
	    "s:s?}",
	    "nome", p->uname, "cpf", p->cpf, "dataNascimento", birth,
	    "sexo", p->female ? "F - FEMININO" : "M - MASCULINO",
	    "nomeMae", mae, "nomePai", sparse ? "SEM INFORMAÇÃO" : pai,
	    "estadoCivil", CIVIL[seedh(s, "civil", 0) % NELEM(CIVIL)],
	    "tituloEleitor", titulo,
	    "municipioNascimento", sparse ? NULL : city->name,
	    "ufNascimento", sparse ? NULL : city->uf);
}

static json_t *
dossier_economic(uint32_t s)
{
	const struct band	*b = &BAND[seedh(s, "band", 0) % NELEM(BAND)];
	char			 renda[32], faixa[64];
	unsigned		 score = (unsigned)(seedh(s, "score", 0) % 1001);
	int			 n;

	n = snprintf(renda, sizeof(renda), "%u,%02u",
	    b->lo + (unsigned)(seedh(s, "renda", 0) % (b->hi - b->lo + 1)),
	    (unsigned)(seedh(s, "renda", 1) % 100));
	if (n < 0 || (size_t)n >= sizeof(renda))
		return NULL;
	n = snprintf(faixa, sizeof(faixa), "De R$ %u até R$ %u", b->lo,
	    b->hi);
	if (n < 0 || (size_t)n >= sizeof(faixa))
		return NULL;
	return json_pack("{s:s, s:{s:s, s:s}, s:{s:i, s:s}}",
	    "renda", renda,
	    "poderAquisitivo", "poderAquisitivoDescricao", b->desc,
	    "faixaPoderAquisitivo", faixa,
	    "score", "scoreCSBA", (int)score, "scoreCSBAFaixaRisco",
	    score < 300 ? "ALTO RISCO" : score < 600 ? "MEDIO RISCO" :
	    "BAIXO RISCO");
}

static json_t *
dossier_emails(const struct sim_person *p)
{
	json_t		*arr;
	char		 f[32], l[32], e[96];
	unsigned	 i, count = 1 + (unsigned)(seedh(p->seed, "emails", 0) % 4);
	int		 n;

	if (dprop(p->seed, DP_LONG))
		count = 5 + (unsigned)(seedh(p->seed, "emails", 1) % 3);
	if ((arr = json_array()) == NULL)
		return NULL;
	sim_fold(FIRST[p->seed % 32].name, f, sizeof(f));
	sim_fold(LAST[(p->seed / 1024) % 32], l, sizeof(l));
	for (i = 0; i < count; i++) {
		if (i == 0)
			n = snprintf(e, sizeof(e), "%s", p->email);
		else
			n = snprintf(e, sizeof(e), "%s_%s%02u@%s", f, l,
			    (unsigned)(seedh(p->seed, "email", i) % 100),
			    DOM[(p->seed + i) % 5]);
		if (n < 0 || (size_t)n >= sizeof(e) ||
		    json_array_append_new(arr, json_pack("{s:s, s:i, s:s, s:s}",
		    "email", e, "prioridade", (int)i + 1, "qualidade",
		    QUALITY[i < 2 ? i : 2], "blacklist", "NAO")) == -1)
			goto fail;
	}
	/* Second, after the person's own: one the provider blacklists. */
	if (dprop(p->seed, DP_BLACKLIST)) {
		n = snprintf(e, sizeof(e), "%s.%s.spam%02u@%s", f, l,
		    (unsigned)(seedh(p->seed, "blacklist", 0) % 100),
		    DOM[(p->seed + 3) % 5]);
		if (n < 0 || (size_t)n >= sizeof(e) ||
		    json_array_insert_new(arr, 1, json_pack("{s:s, s:i, s:s, "
		    "s:s}", "email", e, "prioridade", (int)count + 1,
		    "qualidade", QUALITY[2], "blacklist", "SIM")) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *
dossier_phones(const struct sim_person *p)
{
	json_t		*arr;
	char		 tel[16];
	unsigned	 i, count = 1 + (unsigned)(seedh(p->seed, "phones", 0) % 4);
	uint64_t	 x;
	int		 mobile, off;

	if (dprop(p->seed, DP_LONG))
		count = 6 + (unsigned)(seedh(p->seed, "phones", 1) % 4);
	/* The inactive phone: the last, or a landline more after the own. */
	if (dprop(p->seed, DP_INACTIVE) && count == 1)
		count = 2;
	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		x = seedh(p->seed, "phone", i);
		mobile = i % 2 == 0;
		memcpy(tel, p->phone, 2);
		if (i == 0)
			copy(tel, p->phone, sizeof(tel));
		else if (mobile) {
			tel[2] = '9';
			put_digits(tel + 3, x % PHONE_RESERVED, 8);
			tel[11] = '\0';
		} else {
			tel[2] = '3';
			put_digits(tel + 3, x % 10000000, 7);
			tel[10] = '\0';
		}
		off = dprop(p->seed, DP_INACTIVE) && i == count - 1;
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
		    "s:s?, s:s}", "telefone", tel,
		    "tipo", mobile ? "CELULAR" : "FIXO",
		    "operadora", CARRIER[(x / 7) % NELEM(CARRIER)],
		    "whatsapp", mobile && x % 3 != 0 ? "SIM" : NULL,
		    "status", off ? "INATIVO" : "ATIVO")) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

unsigned
sim_address_count(uint32_t s)
{
	return 1 + (unsigned)(seedh(s, "addresses", 0) % SIM_ADDRESSES_MAX);
}

/*
 * The city of address "i" (hash "x") of a person whose phone has DDD
 * DDD[d]: the first address is in the phone's city.
 */
static const struct city *
address_city(int d, unsigned i, uint64_t x)
{
	return &CITY[i == 0 && d >= 0 ? (unsigned)d : x % NELEM(CITY)];
}

static void
address_cep(const struct city *c, uint64_t x, char cep[9])
{
	put_digits(cep, c->cep + (x / 23) % c->span, 8);
	cep[8] = '\0';
}

/* The CEPs of the addresses of seed "s", in dossier order; how many. */
unsigned
sim_address_ceps(uint32_t s, char ceps[SIM_ADDRESSES_MAX][9])
{
	/* A marker person's phone has DDD 11, DDD[0]. */
	int		 d = seed_ordinary(s) ? (int)((s - 1) / PHONE_BLOCK) : 0;
	unsigned	 i, n = sim_address_count(s);
	uint64_t	 x;

	for (i = 0; i < n; i++) {
		x = seedh(s, "address", i);
		address_cep(address_city(d, i, x), x, ceps[i]);
	}
	return n;
}

static json_t *
dossier_addresses(const struct sim_person *p)
{
	const struct street	*st;
	const struct city	*c;
	json_t			*arr;
	char			 num[16], comp[32], cep[16];
	unsigned		 i, count;
	uint64_t		 x;
	int			 d, n;

	if ((arr = json_array()) == NULL)
		return NULL;
	count = sim_address_count(p->seed);
	d = ddd_index(p->phone);
	for (i = 0; i < count; i++) {
		x = seedh(p->seed, "address", i);
		c = address_city(d, i, x);
		st = &STREET[(x / 11) % NELEM(STREET)];
		n = snprintf(num, sizeof(num), "%u",
		    (unsigned)(1 + (x / 13) % 3999));
		if (n < 0 || (size_t)n >= sizeof(num))
			goto fail;
		switch ((x / 17) % 3) {
		case 0:
			comp[0] = '\0';
			break;
		case 1:
			n = snprintf(comp, sizeof(comp), "APTO %u",
			    (unsigned)(11 + (x / 19) % 190));
			break;
		default:
			n = snprintf(comp, sizeof(comp), "CASA %u",
			    (unsigned)(1 + (x / 19) % 9));
			break;
		}
		if (n < 0 || (size_t)n >= sizeof(comp))
			goto fail;
		address_cep(c, x, cep);
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
		    "s:s, s:s, s:s, s:s, s:s}", "tipoLogradouro", st->type,
		    "logradouro", st->name, "logradouroNumero", num,
		    "complemento", comp,
		    "bairro", DISTRICT[(x / 29) % NELEM(DISTRICT)],
		    "cidade", c->name, "uf", c->uf, "cep", cep)) == -1)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

/* How many companies seed "s" has (CNPJs sim_cnpj_make(s, 0 ..)). */
unsigned
sim_company_count(uint32_t s)
{
	unsigned	 count = (unsigned)(seedh(s, "companies", 0) %
	    (SIM_COMPANIES_MAX + 1));

	/* The CNPJ of the phone module comes first for padded persons. */
	return is_padded(s) && count == 0 ? 1 : count;
}

/* The person's relation to company "k" of seed "s". */
const char *
sim_company_relation(uint32_t s, unsigned k)
{
	return RELATION[seedh(s, "relation", k) % NELEM(RELATION)];
}

static json_t *
dossier_companies(uint32_t s)
{
	json_t		*arr;
	char		 cnpj[15], adm[16];
	unsigned	 i, r, count = sim_company_count(s);
	uint64_t	 x;
	int		 n;

	if ((arr = json_array()) == NULL)
		return NULL;
	for (i = 0; i < count; i++) {
		sim_cnpj_make(s, i, cnpj);
		r = (unsigned)(seedh(s, "relation", i) % NELEM(RELATION));
		x = seedh(s, "admission", i);
		/* One company in four without a date: a JSON null. */
		n = snprintf(adm, sizeof(adm), "%02u/%02u/%04u",
		    (unsigned)(1 + (x / 4) % 28), (unsigned)(1 + (x / 112) % 12),
		    (unsigned)(1990 + (x / 1344) % 35));
		if (n < 0 || (size_t)n >= sizeof(adm) ||
		    json_array_append_new(arr, json_pack("{s:s, s:s, s:s, "
		    "s:s?}", "cnpj", cnpj, "tipoRelacao", RELATION_TYPE[r],
		    "relacao", sim_company_relation(s, i),
		    "dataAdmissao", x % 4 != 0 ? adm : NULL)) == -1) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *
sim_dossier_json(uint32_t s)
{
	struct sim_person	 p;

	if (!sim_has_dossier(s) || sim_person_make(s, &p) == -1)
		return NULL;
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o}",
	    "status", 200,
	    "DadosBasicos", dossier_basic(&p),
	    "DadosEconomicos", dossier_economic(s),
	    "emails", dossier_emails(&p),
	    "telefones", dossier_phones(&p),
	    "enderecos", dossier_addresses(&p),
	    "empresas", dossier_companies(s));
}

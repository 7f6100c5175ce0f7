/*
 * sim.h -- what the files of upstream-sim share: the data model (persons,
 * leads, fault markers) of sim_data.c, the record file of sim_record.c
 * and C2S's webhooks of sim_hook.c.  Only fcgi/sim/upstream-sim.c and
 * fcgi/sim/sim_*.c include it.
 */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

/* Seeds: 1 .. SIM_SEED_MAX; from SIM_SEED_RESERVED up only markers. */
#define SIM_SEED_MAX		999999999u
#define SIM_SEED_RESERVED	999000000u

#define SIM_LEAD_ID_LEN		32

/* Where a fault marker strikes (the two hex digits after "fa17"). */
enum sim_target {
	SIM_T_NONE = 0,
	SIM_T_C2,	/* c2: C2S GET of the lead */
	SIM_T_CC,	/* cc: C2S create_message on the lead */
	SIM_T_D1,	/* d1: Diretrix and the Work API phone module */
	SIM_T_0A,	/* 0a: the Work API cpf module */
	SIM_T__MAX
};

/* The fault codes; the enum value is the code. */
enum sim_fault {
	SIM_F_NONE = 0,
	SIM_F_LATENCY,		/* 01 */
	SIM_F_503,		/* 02 */
	SIM_F_HANG,		/* 03 */
	SIM_F_MALFORMED,	/* 04 */
	SIM_F_TRUNCATED,	/* 05 */
	SIM_F_403,		/* 06 */
	SIM_F_CREDITS,		/* 07 */
	SIM_F_429,		/* 08 */
	SIM_F_OVERSIZED,	/* 09 */
	SIM_F_FLAKY,		/* 0a */
	SIM_F_500,		/* 0b */
	SIM_F__MAX
};

enum sim_variant {
	SIM_V_NORMAL = 0,
	SIM_V_NO_CPF,
	SIM_V_SPLIT,
	SIM_V_NULL_EMAIL,
	SIM_V_MISSING_PHONE,
	SIM_V_MULTI,
	SIM_V_PADDED,
	SIM_V_NO_DOSSIER,
	SIM_V_NULL_NAME,
	SIM_V_ABBREV,
	SIM_V_FAULT,		/* a d1 or 0a fault lead: marker contacts */
	SIM_V_BAD_CONTACT,	/* fa17bc01, 02: contacts to refuse */
	SIM_V_OTHER_NAME,	/* fa17bc03: the lead names someone else */
	SIM_V_DOUBLED_CC,	/* fa17bc04: phone with 55 written twice */
	SIM_V_SEEDED,		/* 5eed…: the person and name chosen by id */
	SIM_V__MAX
};

/* A person, all derived from its seed. */
struct sim_person {
	uint32_t	 seed;
	int		 female;
	char		 name[128];	/* ordinary case, as C2S writes it */
	char		 uname[128];	/* capitals, as the registries do */
	char		 cpf[12];
	char		 phone[12];	/* national digits DD9NNNNNNNN */
	char		 email[96];
};

/* A lead, all derived from its id. */
struct sim_lead {
	char		 id[SIM_LEAD_ID_LEN + 1];	/* lowercase */
	uint64_t	 h;
	enum sim_variant variant;
	enum sim_target	 target;	/* SIM_T_NONE unless a fault lead */
	enum sim_fault	 code;
	uint32_t	 phone_seed;	/* 0: the phone belongs to nobody */
	uint32_t	 email_seed;	/* 0: the e-mail belongs to nobody */
	int		 has_name;
	char		 name[128];
	int		 has_phone;
	char		 phone[16];	/* national digits */
	char		 phone_fmt[32];	/* as the lead writes it */
	int		 has_phone2;
	char		 phone2_fmt[32];
	int		 has_email;
	char		 email[96];
};

/*
 * The lead list (SIM_LEAD_LIST_SIZE, _DAYS, _END): "size" leads, one
 * every "step" seconds back from "end", newest first.
 */
struct sim_list {
	long long	 size;
	long long	 step;		/* seconds, at least 2 */
	time_t		 end;
	long long	 undated;	/* the newest listed without a date */
};

/* sim_data.c */
uint64_t	 sim_fnv64(const void *, size_t);
const char	*sim_variant_name(enum sim_variant);
int		 sim_lead_id_ok(const char *);
void		 sim_lead_make(const char *id, struct sim_lead *);
int		 sim_person_make(uint32_t seed, struct sim_person *);
uint32_t	 sim_phone_lookup(const char *, enum sim_target *,
		    enum sim_fault *);
uint32_t	 sim_email_lookup(const char *, enum sim_target *,
		    enum sim_fault *);
int		 sim_fault_email(const char *, enum sim_target *,
		    enum sim_fault *);
uint32_t	 sim_cpf_lookup(const char *, enum sim_target *,
		    enum sim_fault *);
int		 sim_has_dossier(uint32_t);
json_t		*sim_lead_json(const struct sim_lead *);
json_t		*sim_lead_list_json(const struct sim_list *, long long page,
		    long long perpage);
json_t		*sim_diretrix_json(uint32_t, int by_phone);
json_t		*sim_workphone_json(uint32_t);
json_t		*sim_dossier_json(uint32_t);
json_t		*sim_person_json(uint32_t);
uint64_t	 sim_seedh(uint32_t, const char *salt, unsigned k);
int		 sim_seed_ordinary(uint32_t);
void		 sim_fold(const char *, char *, size_t);
int		 sim_name_index(const char *word, int last);
void		 sim_mother_name(uint32_t, char *, size_t);
#define SIM_ADDRESSES_MAX	3
unsigned	 sim_address_count(uint32_t);
unsigned	 sim_address_ceps(uint32_t, char [SIM_ADDRESSES_MAX][9]);
#define SIM_COMPANIES_MAX	3
unsigned	 sim_company_count(uint32_t);
void		 sim_cnpj_make(uint32_t, unsigned k, char [15]);
const char	*sim_company_relation(uint32_t, unsigned k);
int		 sim_company_name(uint32_t, unsigned k, char *, size_t);

/*
 * sim_work.c: the Work API's modules.  Searches that scan persons (mae,
 * cep, cnpj) look at seeds 1 .. SIM_POPULATION only and answer at most
 * SIM_LIST_MAX of them (more than any mother's name has there: 278);
 * nome answers at most SIM_NAME_MAX homonyms.
 */
#define SIM_POPULATION		262144u
#define SIM_LIST_MAX		300
#define SIM_NAME_MAX		10
void		 sim_titulo_make(uint32_t, char [13]);
int		 sim_work_answer(const char *modulo, const char *consulta,
		    json_t **, enum sim_fault *);

/* sim_record.c */
int		 sim_lines_open(const char *path);
int		 sim_lines_lock(int fd, int lock);
int		 sim_lines_append(int fd, const json_t *);
int		 sim_lines_each(const char *path, void (*)(json_t *, void *),
		    void *);
int		 sim_lines_truncate(const char *path);

struct sim_record {
	int		 fd;		/* O_APPEND, for writing */
	char		 path[1024];
};

int		 sim_record_open(struct sim_record *, const char *path);
void		 sim_record_close(struct sim_record *);
int		 sim_record_lock(struct sim_record *, int lock);
int		 sim_record_append(struct sim_record *, const char *api,
		    const char *method, const char *path, int status,
		    const char *lead, const char *note);
long long	 sim_record_count(const struct sim_record *, const char *api,
		    const char *path);
json_t		*sim_record_calls(const struct sim_record *, const char *api);
json_t		*sim_record_notes(const struct sim_record *, const char *lead);
int		 sim_record_reset(const struct sim_record *);

/* sim_hook.c */
enum sim_action {
	SIM_A_CREATE = 0,	/* on_create_lead */
	SIM_A_UPDATE,		/* on_update_lead */
	SIM_A_CLOSE,		/* on_close_lead */
	SIM_A__MAX
};

/* How an event is delivered (DESIGN.md §11.1). */
enum sim_shape {
	SIM_S_RUST = 0,		/* {"id","hook_action","attributes"} */
	SIM_S_TS,		/* {"hook_action","lead":{…}} */
	SIM_S_JSONAPI,		/* {"hook_action","data":{…}} */
	SIM_S__MAX
};

struct sim_hook {
	char		 subs[1024];	/* the subscriptions, SIM_HOOKS_FILE */
	char		 dlv[1024];	/* the deliveries, record.deliveries */
	char		 echo[1024];	/* POST /__sim/echo's, record.echo */
	int		 dlv_fd;	/* O_APPEND */
	int		 echo_fd;	/* O_APPEND */
	enum sim_shape	 shape;		/* SIM_HOOK_SHAPE */
	void		*curl;		/* CURL *, made at the first delivery */
	char		 deferred[SIM_LEAD_ID_LEN + 1];	/* "" or a lead */
};

int		 sim_hook_init(struct sim_hook *, const char *record);
void		 sim_hook_close(struct sim_hook *);
int		 sim_hook_subscribe(struct sim_hook *, const char *body,
		    size_t len, int subscribe, json_t **answer);
int		 sim_hook_control(struct sim_hook *, const char *lead,
		    enum sim_action, const char *body, size_t len,
		    json_t **answer);
void		 sim_hook_defer(struct sim_hook *, const char *lead);
void		 sim_hook_run_deferred(struct sim_hook *);
json_t		*sim_hook_list(const struct sim_hook *);
int		 sim_hook_clear(const struct sim_hook *);
json_t		*sim_hook_deliveries(const struct sim_hook *, const char *lead);
int		 sim_hook_reset(const struct sim_hook *);
int		 sim_hook_echo(struct sim_hook *, const char *query,
		    const char *body, size_t len);
json_t		*sim_hook_echoes(const struct sim_hook *);

#endif /* SIM_H */

/*
 * core/brid.h -- Brazilian identifiers (brid.c): CPF, CNPJ and título de
 * eleitor check digits, CEPs, phones, e-mails and persons' names, each
 * normalised; the masks that keep CPFs, phones and e-mails out of logs;
 * and C2S lead ids, checked and lower-cased.  Pure functions: no state,
 * no allocation.
 */
#ifndef CE_CORE_BRID_H
#define CE_CORE_BRID_H

#include <stddef.h>

/* brid.c: Brazilian identifiers and log masks. */
int		 ce_cpf_valid(const char *);
int		 ce_cpf_normalize(const char *, char *);
void		 ce_mask_cpf(const char *, char *, size_t);
void		 ce_mask_cpf_text(const char *, char *, size_t);
void		 ce_mask_phone(const char *, char *, size_t);
void		 ce_mask_email(const char *, char *, size_t);
int		 ce_lead_id_valid(const char *);
int		 ce_lead_id_norm(const char *, char *);
int		 ce_ddd_valid(int);
int		 ce_phone_normalize(const char *, char *);
int		 ce_email_normalize(const char *, char *, size_t);
int		 ce_cep_normalize(const char *, char *);
int		 ce_cnpj_valid(const char *);
int		 ce_cnpj_normalize(const char *, char *);
int		 ce_titulo_valid(const char *);
int		 ce_titulo_normalize(const char *, char *);
#define CE_NAME_MAX	120	/* characters of a person's name searched */
int		 ce_person_name_normalize(const char *, char *, size_t);

#endif /* CE_CORE_BRID_H */

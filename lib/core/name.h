/*
 * core/name.h -- a lead's name against the name a provider gives for a
 * CPF (name.c): folded, particles and family suffixes dropped, scored by
 * how much of the lead's name the provider's confirms; and a lead's name
 * that is a placeholder ("Unknown", digits, an e-mail), not a name.
 */
#ifndef CE_CORE_NAME_H
#define CE_CORE_NAME_H

#include <stddef.h>

/* name.c: a lead's name against a provider's. */
void		 ce_name_fold(const char *, char *, size_t);
int		 ce_name_score(const char *lead, const char *provider);
int		 ce_name_matches(const char *lead, const char *provider);
const char	*ce_name_placeholder(const char *);

#endif /* CE_CORE_NAME_H */

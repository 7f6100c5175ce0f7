/*
 * core/highvalue.h -- the high-value lead (highvalue.c, DESIGN.md 11.4):
 * the reasons the Work API dossiers of a lead's persons make it one,
 * judged against the configuration, as the Portuguese text sales read in
 * the note's "⭐ Lead de alto valor: …" line and c2s.leads.high_value
 * holds: the reasons joined by "; ", "" when there is none.  Pure code:
 * no I/O, the text bounded by the caller's buffer.
 */
#ifndef CE_CORE_HIGHVALUE_H
#define CE_CORE_HIGHVALUE_H

#include <stddef.h>

/* The purchasing-power bands (poderAquisitivoDescricao), lowest first. */
enum ce_hv_band {
	CE_HV_BAIXO,
	CE_HV_MEDIO_BAIXO,
	CE_HV_MEDIO,
	CE_HV_MEDIO_ALTO,
	CE_HV_ALTO,
	CE_HV_MUITO_ALTO,
	CE_HV_BAND__MAX		/* as HIGH_VALUE_POWER: off */
};

/* What makes a lead high-value (the configuration's HIGH_VALUE_*). */
struct ce_hv_conf {
	double		 mult;		/* INCOME_MULTIPLIER */
	long long	 income;	/* HIGH_VALUE_INCOME, reais; 0: off */
	long long	 band;		/* HIGH_VALUE_POWER, an enum ce_hv_band;
					 * CE_HV_BAND__MAX: off */
};

/*
 * The longest text ce_hv_judge() writes (bytes, NUL included): every
 * reason of two persons fits, and c2s.leads.high_value takes it.
 */
#define CE_HV_TEXT_MAX	256

int		 ce_hv_band_parse(const char *);
const char	*ce_hv_band_name(long long);
size_t		 ce_hv_judge(const char *const *dossiers, size_t n,
		    const struct ce_hv_conf *, char *, size_t);

#endif /* CE_CORE_HIGHVALUE_H */

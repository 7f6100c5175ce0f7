/*
 * ratelimit.c -- a token bucket per client address, shared by every
 * process of a machine through the shared file: RATE_LIMIT requests a
 * second, bursts of RATE_BURST.  The address is the one lighttpd reports
 * (REMOTE_ADDR); X-Forwarded-For is believed only when REMOTE_ADDR is one
 * of TRUSTED_PROXIES, and then its last address that is not a trusted
 * proxy is the client.
 *
 * Buckets live in a table of the file keyed by a SipHash of the address
 * under the file's key, open addressing with a window of PROBE slots;
 * when the window is full the bucket idle longest is taken over (it
 * would be full by now, or nearly).  Operations hold the file's lock for
 * a few microseconds.  Without the file, nothing is limited.
 */
#include <ctype.h>
#include <string.h>

#include "c2s-enrich.h"
#include "extern.h"

#define PROBE		8
#define ADDR_MAX	64

struct bucket {
	uint64_t	 hash;		/* 0: free */
	int64_t		 last_ms;	/* last refill */
	int64_t		 milli;		/* tokens x 1000 */
};

size_t
cx_rate_size(void)
{
	return sizeof(struct bucket);
}

/* Is "a" (of "len" bytes) one of the comma-separated "list"? */
static int
listed(const char *list, const char *a, size_t len)
{
	const char	*p = list, *e;
	size_t		 n;

	while (*p != '\0') {
		while (*p == ',' || *p == ' ')
			p++;
		e = p + strcspn(p, ", ");
		n = (size_t)(e - p);
		if (n > 0 && n == len && strncmp(p, a, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* An IPv4 or IPv6 address's characters only, 1 to ADDR_MAX - 1 long. */
static int
addr_ok(const char *a, size_t len)
{
	size_t	 i;

	if (len == 0 || len >= ADDR_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)a[i]) && a[i] != '.' &&
		    a[i] != ':')
			return 0;
	return 1;
}

/*
 * The client's address into "out" (ADDR_MAX bytes).  Returns 0, or -1
 * when the server gave none.  A forwarded list that is too long or holds
 * anything but addresses is ignored (the proxy's own address is kept).
 */
int
cx_client_addr(const struct ce_config *cfg, const struct ce_req *req,
    char *out, size_t outsz)
{
	const char	*ra = ce_req_param(req, "REMOTE_ADDR");
	const char	*xff, *hop[16];
	char		 buf[512], *p;
	size_t		 nhop = 0, i, n;

	if (ra == NULL || ra[0] == '\0')
		return -1;
	ce_strlcpy(out, ra, outsz);
	if (cfg->trusted_proxies[0] == '\0' ||
	    !listed(cfg->trusted_proxies, ra, strlen(ra)) ||
	    (xff = ce_req_param(req, "HTTP_X_FORWARDED_FOR")) == NULL ||
	    ce_strlcpy(buf, xff, sizeof(buf)) >= sizeof(buf))
		return 0;
	for (p = buf; nhop < sizeof(hop) / sizeof(hop[0]); p++) {
		while (*p == ' ')
			p++;
		hop[nhop++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p = '\0';
	}
	if (p != NULL)
		return 0;		/* more hops than we look at */
	/* Right to left: the last hop that is not one of our proxies. */
	for (i = nhop; i-- > 0;) {
		n = strcspn(hop[i], " ");
		if (!addr_ok(hop[i], n) || hop[i][n + strspn(hop[i] + n,
		    " ")] != '\0')
			return 0;
		if (!listed(cfg->trusted_proxies, hop[i], n)) {
			if (n < outsz) {
				memcpy(out, hop[i], n);
				out[n] = '\0';
			}
			return 0;
		}
	}
	return 0;
}

/*
 * Take one token from the bucket of "addr".  Returns 0 (go on), or the
 * milliseconds until a token is there again (answer 429).
 */
long long
cx_rate_take(struct ce_ctx *ctx, const char *addr)
{
	const struct ce_config *cfg = &ctx->cfg;
	struct ce_shm	*s;
	struct bucket	*t, *b = NULL, *old = NULL;
	int64_t		 now, cap, wait = 0;
	uint64_t	 h;
	size_t		 n, i, k;

	if (cfg->rate_limit <= 0 || (s = cx_shm(ctx)) == NULL ||
	    (t = cx_shm_table(s, CX_SHM_RATE, &n)) == NULL || n == 0)
		return 0;
	h = cx_shm_hash(s, addr);
	cap = cfg->rate_burst * 1000;
	if (ce_shm_lock(s) == -1)
		return 0;
	now = cx_now_us() / 1000;
	for (i = 0; i < PROBE && i < n; i++) {
		k = (size_t)((h + i) % n);
		if (t[k].hash == h) {
			b = &t[k];
			break;
		}
		if (old == NULL || t[k].hash == 0 ||
		    (old->hash != 0 && t[k].last_ms < old->last_ms))
			old = &t[k];
	}
	if (b == NULL) {
		b = old;
		b->hash = h;
		b->last_ms = now;
		b->milli = cap;
	}
	if (now > b->last_ms) {
		b->milli += (now - b->last_ms) * cfg->rate_limit;
		if (b->milli > cap)
			b->milli = cap;
		b->last_ms = now;
	} else if (now < b->last_ms)
		b->last_ms = now;	/* a file kept across a boot */
	if (b->milli >= 1000)
		b->milli -= 1000;
	else
		wait = (1000 - b->milli + cfg->rate_limit - 1) /
		    cfg->rate_limit;
	ce_shm_unlock(s);
	return wait;
}

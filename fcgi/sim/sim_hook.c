/*
 * sim_hook.c -- C2S's webhooks in upstream-sim: the subscriptions of
 * POST /integration/leads/subscribe and unsubscribe, the events the
 * control routes and a posted note fire, their delivery with libcurl in
 * the three shapes C2S is known to send (DESIGN.md §11.1), the deliveries
 * file and the echo receiver tests point hooks at.  The subscriptions are
 * one JSON document rewritten whole under its flock(2), shared by all the
 * simulator's processes; deliveries and echoes are line files appended
 * under theirs.  A hook URL carries its receiver's secret as ?token=: the
 * subscriptions file keeps each URL hex-encoded, and every URL this file
 * records, logs or answers has its token values masked as "***", which
 * are also masked in the receivers' answers and in curl's errors.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "c2s-enrich.h"
#include "sim.h"

#define URL_MAX		2048			/* a hook URL */
#define ANSWER_MAX	2048			/* a receiver's answer kept */
#define SUBS_MAX	1000			/* subscriptions */
#define SUBS_FILE_MAX	(4 * 1024 * 1024)
#define SECRETS_MAX	8			/* token values of one URL */
#define SECRET_MIN	4			/* shorter values are not masked in text */
#define TIME_LEN	40
#define HOOK_TIMEOUT_MS	 10000L
#define HOOK_CONNECT_MS	 3000L

static const char *const ACTION[SIM_A__MAX] = {
	"on_create_lead", "on_update_lead", "on_close_lead"
};
static const char *const SHAPE[SIM_S__MAX] = { "rust", "ts", "jsonapi" };

/* The index of "s" in "names", or -1. */
static int
name_index(const char *s, const char *const *names, int n)
{
	int	 i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static const char *
member(const json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

/*
 * Times.
 */

/* The wall clock in microseconds since the epoch. */
static long long
now_us(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* "us" as 2026-12-06T01:02:03.123456Z in "buf" (TIME_LEN bytes). */
static void
fmt_us(long long us, char *buf, size_t sz)
{
	struct tm	 tm;
	time_t		 t = (time_t)(us / 1000000LL);
	size_t		 n;

	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, sz, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return;
	(void)snprintf(buf + n, sz - n, ".%06lldZ", us % 1000000LL);
}

/*
 * Secrets.
 */

/* The next "token=" (any case) at or after "p", or NULL. */
static const char *
token_at(const char *p)
{
	for (; *p != '\0'; p++)
		if (strncasecmp(p, "token=", 6) == 0)
			return p;
	return NULL;
}

/*
 * "url" with the value of every "token=" replaced by "***".  Returns a
 * new string, or NULL on allocation failure.
 */
static char *
mask_url(const char *url)
{
	struct ce_buf	 b;
	const char	*p = url, *t;

	ce_buf_init(&b, strlen(url) * 2 + 8);
	while ((t = token_at(p)) != NULL) {
		if (ce_buf_append(&b, p, (size_t)(t - p) + 6) != CE_OK ||
		    ce_buf_puts(&b, "***") != CE_OK)
			goto fail;
		p = t + 6 + strcspn(t + 6, "&#");
	}
	if (ce_buf_puts(&b, p) != CE_OK)
		goto fail;
	return b.data != NULL ? ce_buf_take(&b) : strdup("");
fail:
	ce_buf_free(&b);
	return NULL;
}

/*
 * A hook configured in C2S's dashboard may send its secret in a header
 * (the Rust service's X-Webhook-Token, the TS service's
 * X-Webhook-Secret, a Bearer token) rather than in its URL: a control
 * route's "auth" asks for that, and the URL's first token value moves
 * into the header.
 */
static const char *const AUTH[] = {
	"query", "X-Webhook-Token", "X-Webhook-Secret", "Bearer",
};
#define AUTH_QUERY	0
#define AUTH__MAX	((int)(sizeof(AUTH) / sizeof(AUTH[0])))

/*
 * Split "url" into "*bare" (the URL without its first token parameter)
 * and "*hdr", the header line carrying that token as "auth" asks.  Both
 * new strings; returns 0, or -1 on allocation failure or a value no
 * header can carry (a line break, a NUL).  A URL without a
 * token gives no header (*hdr NULL).
 */
static int
token_header(const char *url, int auth, char **bare, char **hdr)
{
	const char	*t = token_at(url), *v, *cut, *end;
	struct ce_buf	 b;
	size_t		 vlen;
	char		 c;

	*bare = *hdr = NULL;
	if (t == NULL || t == url || (t[-1] != '?' && t[-1] != '&'))
		return (*bare = strdup(url)) != NULL ? 0 : -1;
	v = t + 6;
	vlen = strcspn(v, "&#");
	/* Drop "token=V" with the '&' after it, or the '?' or '&' before. */
	cut = t;
	end = v + vlen;
	if (*end == '&')
		end++;
	else
		cut--;
	ce_buf_init(&b, strlen(url) + 1);
	if (ce_buf_append(&b, url, (size_t)(cut - url)) != CE_OK ||
	    ce_buf_puts(&b, end) != CE_OK ||
	    (*bare = ce_buf_take(&b)) == NULL)
		goto fail;
	/* The header carries the value itself, as the query decodes it. */
	ce_buf_init(&b, vlen + 64);
	if (ce_buf_printf(&b, "%s: %s", auth == AUTH__MAX - 1 ?
	    "Authorization" : AUTH[auth], auth == AUTH__MAX - 1 ? "Bearer " :
	    "") != CE_OK)
		goto fail;
	for (end = v + vlen; v < end; v++) {
		if (*v == '%' && end - v >= 3 && ce_hexval(v[1]) != -1 &&
		    ce_hexval(v[2]) != -1) {
			c = (char)(ce_hexval(v[1]) * 16 + ce_hexval(v[2]));
			v += 2;
		} else
			c = *v == '+' ? ' ' : *v;
		/* Never a line break or NUL in a header. */
		if (c == '\0' || c == '\r' || c == '\n' ||
		    ce_buf_append(&b, &c, 1) != CE_OK)
			goto fail;
	}
	if ((*hdr = ce_buf_take(&b)) == NULL)
		goto fail;
	return 0;
fail:
	ce_buf_free(&b);
	free(*bare);
	*bare = NULL;
	return -1;
}

/*
 * "text" with every token value of "url" (SECRET_MIN bytes or more)
 * replaced by "***".  Returns a new string, or NULL on allocation
 * failure.
 */
static char *
mask_text(const char *url, const char *text)
{
	struct ce_buf	 b;
	const char	*v[SECRETS_MAX], *p = url, *t;
	size_t		 vlen[SECRETS_MAX], nv = 0, i;

	while (nv < SECRETS_MAX && (t = token_at(p)) != NULL) {
		v[nv] = t + 6;
		vlen[nv] = strcspn(v[nv], "&#");
		p = v[nv] + vlen[nv];
		if (vlen[nv] >= SECRET_MIN)
			nv++;
	}
	ce_buf_init(&b, strlen(text) + 8);
	for (p = text; *p != '\0'; ) {
		for (i = 0; i < nv; i++)
			if (strncmp(p, v[i], vlen[i]) == 0)
				break;
		if (i < nv) {
			if (ce_buf_puts(&b, "***") != CE_OK)
				goto fail;
			p += vlen[i];
		} else if (ce_buf_append(&b, p++, 1) != CE_OK)
			goto fail;
	}
	return b.data != NULL ? ce_buf_take(&b) : strdup("");
fail:
	ce_buf_free(&b);
	return NULL;
}

/*
 * "s" as a JSON string: cut back to its last whole UTF-8 character, or
 * with every byte past ASCII made '?' when that does not make it valid.
 * Modifies "s"; returns a new reference, or NULL.
 */
static json_t *
utf8_string(char *s)
{
	json_t	*j;
	size_t	 len = strlen(s), cut;
	char	*p;

	for (cut = 0; cut < 4 && cut <= len; cut++)
		if ((j = json_stringn(s, len - cut)) != NULL)
			return j;
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(s);
}

/* Hex encoding of the URLs in the subscriptions file. */
static char *
hex_encode(const char *s)
{
	static const char	 hx[] = "0123456789abcdef";
	size_t			 len = strlen(s), i;
	char			*d;

	if ((d = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		d[2 * i] = hx[(unsigned char)s[i] >> 4];
		d[2 * i + 1] = hx[(unsigned char)s[i] & 15];
	}
	d[2 * len] = '\0';
	return d;
}

static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Returns a new string, or NULL when "s" is not lowercase hex of text. */
static char *
hex_decode(const char *s)
{
	size_t	 len = strlen(s), i;
	char	*d;
	int	 hi, lo;

	if (len % 2 != 0 || (d = malloc(len / 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len / 2; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi == -1 || lo == -1 || (hi == 0 && lo == 0)) {
			free(d);
			return NULL;
		}
		d[i] = (char)(hi * 16 + lo);
	}
	d[len / 2] = '\0';
	return d;
}

/*
 * Set-up.
 */

static int
path_set(char *dst, size_t sz, const char *env, const char *record,
    const char *suffix)
{
	const char	*v = env != NULL ? getenv(env) : NULL;
	int		 n;

	if (v != NULL && *v != '\0')
		n = snprintf(dst, sz, "%s", v);
	else
		n = snprintf(dst, sz, "%s%s", record, suffix);
	if (n < 0 || (size_t)n >= sz) {
		fprintf(stderr, "upstream-sim: %s: path too long\n",
		    env != NULL ? env : suffix);
		return -1;
	}
	return 0;
}

/*
 * Read SIM_HOOKS_FILE and SIM_HOOK_SHAPE, derive the other files' paths
 * from the record's, and open the line files.  Start-up only: says why
 * on stderr and returns -1 when anything is wrong, 0 otherwise.
 */
int
sim_hook_init(struct sim_hook *h, const char *record)
{
	const char	*v = getenv("SIM_HOOK_SHAPE");
	int		 fd;

	memset(h, 0, sizeof(*h));
	h->dlv_fd = h->echo_fd = -1;
	h->shape = SIM_S_JSONAPI;
	if (v != NULL && *v != '\0') {
		if (name_index(v, SHAPE, SIM_S__MAX) == -1) {
			fprintf(stderr, "upstream-sim: SIM_HOOK_SHAPE: not "
			    "rust, ts or jsonapi\n");
			return -1;
		}
		h->shape = (enum sim_shape)name_index(v, SHAPE, SIM_S__MAX);
	}
	if (path_set(h->subs, sizeof(h->subs), "SIM_HOOKS_FILE", record,
	    ".hooks") == -1 ||
	    path_set(h->dlv, sizeof(h->dlv), NULL, record,
	    ".deliveries") == -1 ||
	    path_set(h->echo, sizeof(h->echo), NULL, record, ".echo") == -1)
		return -1;
	if ((fd = open(h->subs, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		fprintf(stderr, "upstream-sim: %s: %s\n", h->subs,
		    strerror(errno));
		return -1;
	}
	close(fd);
	if ((h->dlv_fd = sim_lines_open(h->dlv)) == -1 ||
	    (h->echo_fd = sim_lines_open(h->echo)) == -1) {
		fprintf(stderr, "upstream-sim: %s: %s\n", h->dlv_fd == -1 ?
		    h->dlv : h->echo, strerror(errno));
		sim_hook_close(h);
		return -1;
	}
	return 0;
}

void
sim_hook_close(struct sim_hook *h)
{
	if (h->dlv_fd != -1)
		close(h->dlv_fd);
	if (h->echo_fd != -1)
		close(h->echo_fd);
	h->dlv_fd = h->echo_fd = -1;
	if (h->curl != NULL)
		curl_easy_cleanup(h->curl);
	h->curl = NULL;
}

/*
 * The subscriptions file: {"last_us":N,"hooks":[{"url":HEX,
 * "hook_action":A,"shape":S},…]}, "last_us" the last event's time.
 */

/*
 * Open the subscriptions file, lock it and read it into "*doc" (a new
 * document when the file is empty).  Returns the locked descriptor
 * (closing it releases the lock), or -1 (logged) with "*doc" NULL.
 */
static int
subs_load(const struct sim_hook *h, json_t **doc)
{
	struct ce_buf	 b;
	char		 chunk[8192];
	ssize_t		 n;
	int		 fd;

	*doc = NULL;
	ce_buf_init(&b, SUBS_FILE_MAX);
	if ((fd = open(h->subs, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    sim_lines_lock(fd, 1) == -1)
		goto fail;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || ce_buf_append(&b, chunk, (size_t)n) != CE_OK)
			goto fail;
	}
	if (b.len == 0)
		*doc = json_pack("{s:I, s:[]}", "last_us", (json_int_t)0,
		    "hooks");
	else
		*doc = json_loadb(b.data, b.len, 0, NULL);
	if (!json_is_object(*doc) ||
	    !json_is_array(json_object_get(*doc, "hooks"))) {
		errno = EINVAL;
		goto fail;
	}
	ce_buf_free(&b);
	return fd;
fail:
	fprintf(stderr, "upstream-sim: %s: %s\n", h->subs, strerror(errno));
	ce_buf_free(&b);
	json_decref(*doc);
	*doc = NULL;
	if (fd != -1)
		close(fd);
	return -1;
}

/* Rewrite the locked file "fd" with "doc".  Returns 0, or -1 (logged). */
static int
subs_store(const struct sim_hook *h, int fd, const json_t *doc)
{
	char	*s;
	size_t	 len, off = 0;
	ssize_t	 n;

	if ((s = json_dumps(doc, JSON_COMPACT)) == NULL)
		return -1;
	len = strlen(s);
	if (ftruncate(fd, 0) == -1)
		goto fail;
	while (off < len) {
		n = pwrite(fd, s + off, len - off, (off_t)off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	free(s);
	return 0;
fail:
	fprintf(stderr, "upstream-sim: %s: %s\n", h->subs, strerror(errno));
	free(s);
	return -1;
}

/*
 * Subscriptions.
 */

/* A C2S refusal {"success":false,"msg":MSG}; returns "status". */
static int
refuse(json_t **answer, int status, const char *msg)
{
	*answer = json_pack("{s:b, s:s}", "success", 0, "msg", msg);
	return *answer != NULL ? status : 500;
}

/* A control route's error {"error":MSG}; returns "status". */
static int
control_error(json_t **answer, int status, const char *msg)
{
	*answer = json_pack("{s:s}", "error", msg);
	return *answer != NULL ? status : 500;
}

/*
 * The "shape" member of "j" in "*shape" when present (null or absent
 * leave it).  Returns 0, or -1 when it is not one of the shapes.
 */
static int
body_shape(const json_t *j, int *shape)
{
	const json_t	*s = json_object_get(j, "shape");
	int		 i;

	if (s == NULL || json_is_null(s))
		return 0;
	if ((i = name_index(json_string_value(s), SHAPE, SIM_S__MAX)) == -1)
		return -1;
	*shape = i;
	return 0;
}

/* An http:// or https:// URL with a host, of printable ASCII. */
static int
url_ok(const char *u)
{
	const unsigned char	*p;
	size_t			 skip;

	if (strlen(u) > URL_MAX)
		return 0;
	if (strncasecmp(u, "http://", 7) == 0)
		skip = 7;
	else if (strncasecmp(u, "https://", 8) == 0)
		skip = 8;
	else
		return 0;
	if (u[skip] == '\0' || u[skip] == '/')
		return 0;
	for (p = (const unsigned char *)u; *p != '\0'; p++)
		if (*p <= 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/*
 * The hook_url "*url", hook_action "*act" and (to subscribe) the shape
 * "*shape" of subscription request "j".  Returns 0, or the HTTP status
 * of the refusal put in "*answer".
 */
static int
subs_parse(const json_t *j, int subscribe, const char **url, int *act,
    int *shape, json_t **answer)
{
	if (!json_is_object(j) ||
	    (*url = member(j, "hook_url")) == NULL)
		return refuse(answer, 400, "body must be {\"hook_url\":URL,"
		    "\"hook_action\":ACTION}");
	if (!url_ok(*url))
		return refuse(answer, 400, "hook_url must be an http:// or "
		    "https:// URL");
	if ((*act = name_index(member(j, "hook_action"), ACTION,
	    SIM_A__MAX)) == -1)
		return refuse(answer, 422, "hook_action not found");
	if (subscribe && body_shape(j, shape) == -1)
		return refuse(answer, 400, "shape must be rust, ts or jsonapi");
	return 0;
}

/*
 * The index in "hooks" of the subscription of the hex-encoded URL "hex"
 * to action "act", or the array's size if there is none.
 */
static size_t
subs_find(const json_t *hooks, const char *hex, int act)
{
	const json_t	*e;
	size_t		 i, n;

	n = json_array_size(hooks);
	for (i = 0; i < n; i++) {
		e = json_array_get(hooks, i);
		if (member(e, "url") != NULL &&
		    strcmp(member(e, "url"), hex) == 0 &&
		    member(e, "hook_action") != NULL &&
		    strcmp(member(e, "hook_action"), ACTION[act]) == 0)
			break;
	}
	return i;
}

/*
 * POST /integration/leads/subscribe ("subscribe" non-zero) or
 * unsubscribe with the request body "body".  Returns the HTTP status
 * with the answer in "*answer" (NULL with 500 on our own failure).
 */
int
sim_hook_subscribe(struct sim_hook *h, const char *body, size_t len,
    int subscribe, json_t **answer)
{
	json_t		*j, *doc = NULL, *hooks;
	const char	*url;
	char		*hex = NULL;
	size_t		 i, n;
	int		 fd = -1, act, shape = (int)h->shape, st = 500;

	*answer = NULL;
	j = json_loadb(body != NULL ? body : "", len, JSON_REJECT_DUPLICATES,
	    NULL);
	if ((st = subs_parse(j, subscribe, &url, &act, &shape,
	    answer)) != 0)
		goto out;
	st = 500;
	if ((hex = hex_encode(url)) == NULL ||
	    (fd = subs_load(h, &doc)) == -1)
		goto out;
	hooks = json_object_get(doc, "hooks");
	n = json_array_size(hooks);
	i = subs_find(hooks, hex, act);
	if (subscribe && i < n) {
		if (json_object_set_new(json_array_get(hooks, i), "shape",
		    json_string(SHAPE[shape])) == -1)
			goto out;
	} else if (subscribe && n >= SUBS_MAX) {
		st = refuse(answer, 400, "too many subscriptions");
		goto out;
	} else if (subscribe) {
		if (json_array_append_new(hooks, json_pack("{s:s, s:s, s:s}",
		    "url", hex, "hook_action", ACTION[act], "shape",
		    SHAPE[shape])) == -1)
			goto out;
	} else if (i < n && json_array_remove(hooks, i) == -1)
		goto out;
	if (subs_store(h, fd, doc) == -1)
		goto out;
	if (subscribe)
		*answer = json_pack("{s:b, s:s, s:s}", "success", 1, "msg",
		    "Hook subscribed", "hook_action", ACTION[act]);
	else
		*answer = json_pack("{s:b, s:s}", "success", 1, "msg",
		    "Hook unsubscribed");
	st = *answer != NULL ? 200 : 500;
out:
	if (fd != -1)
		close(fd);
	free(hex);
	json_decref(doc);
	json_decref(j);
	return st;
}

/* GET /__sim/hooks: {"hooks":[{"hook_url","hook_action","shape"},…]}. */
json_t *
sim_hook_list(const struct sim_hook *h)
{
	json_t	*doc = NULL, *list, *e;
	char	*url = NULL, *masked = NULL;
	size_t	 i;
	int	 fd;

	if ((list = json_array()) == NULL ||
	    (fd = subs_load(h, &doc)) == -1)
		goto fail;
	close(fd);
	json_array_foreach(json_object_get(doc, "hooks"), i, e) {
		if (member(e, "url") == NULL ||
		    (url = hex_decode(member(e, "url"))) == NULL ||
		    (masked = mask_url(url)) == NULL ||
		    json_array_append_new(list, json_pack("{s:s, s:s?, s:s?}",
		    "hook_url", masked, "hook_action", member(e, "hook_action"),
		    "shape", member(e, "shape"))) == -1)
			goto fail;
		free(url);
		free(masked);
		url = masked = NULL;
	}
	json_decref(doc);
	return json_pack("{s:o}", "hooks", list);
fail:
	free(url);
	free(masked);
	json_decref(doc);
	json_decref(list);
	return NULL;
}

/* Forget every subscription.  Returns 0, or -1 (logged). */
int
sim_hook_clear(const struct sim_hook *h)
{
	json_t	*doc;
	int	 fd, rc = -1;

	if ((fd = subs_load(h, &doc)) == -1)
		return -1;
	if (json_object_set_new(doc, "hooks", json_array()) == 0)
		rc = subs_store(h, fd, doc);
	close(fd);
	json_decref(doc);
	return rc;
}

/*
 * Events.
 */

/*
 * Under the subscriptions' lock: the hooks of "act" in "*targets" (a new
 * array of {"url":URL in clear,"shape":S}), and the event's time in
 * "when", a microsecond after the last event's at least, so no two
 * events share one.  Returns 0, or -1 (logged).
 */
static int
event_begin(const struct sim_hook *h, enum sim_action act, json_t **targets,
    char *when, size_t sz)
{
	json_t		*doc = NULL, *e;
	char		*url;
	long long	 t;
	size_t		 i;
	int		 fd, rc = -1;

	if ((*targets = json_array()) == NULL ||
	    (fd = subs_load(h, &doc)) == -1)
		goto out;
	json_array_foreach(json_object_get(doc, "hooks"), i, e) {
		if (member(e, "hook_action") == NULL ||
		    strcmp(member(e, "hook_action"), ACTION[act]) != 0 ||
		    member(e, "url") == NULL)
			continue;
		if ((url = hex_decode(member(e, "url"))) == NULL)
			continue;
		if (json_array_append_new(*targets, json_pack("{s:s, s:s?}",
		    "url", url, "shape", member(e, "shape"))) == -1) {
			free(url);
			goto unlock;
		}
		free(url);
	}
	t = now_us();
	if (t <= json_integer_value(json_object_get(doc, "last_us")))
		t = json_integer_value(json_object_get(doc, "last_us")) + 1;
	fmt_us(t, when, sz);
	if (json_array_size(*targets) == 0)
		rc = 0;
	else if (json_object_set_new(doc, "last_us",
	    json_integer((json_int_t)t)) == 0)
		rc = subs_store(h, fd, doc);
unlock:
	close(fd);
out:
	json_decref(doc);
	if (rc == -1) {
		json_decref(*targets);
		*targets = NULL;
	}
	return rc;
}

/* The body of event "act" on lead "id" with "attrs" in shape "s". */
static json_t *
event_json(enum sim_shape s, const char *id, enum sim_action act,
    json_t *attrs)
{
	json_int_t	 internal;

	switch (s) {
	case SIM_S_RUST:
		return json_pack("{s:s, s:s, s:O}", "id", id,
		    "hook_action", ACTION[act], "attributes", attrs);
	case SIM_S_TS:
		internal = (json_int_t)(sim_fnv64(id, strlen(id)) %
		    1000000000ULL) + 1;
		return json_pack("{s:s, s:{s:s, s:I, s:O}}",
		    "hook_action", ACTION[act], "lead", "id", id,
		    "internal_id", internal, "attributes", attrs);
	default:
		return json_pack("{s:s, s:{s:s, s:s, s:O}}",
		    "hook_action", ACTION[act], "data", "type", "lead",
		    "id", id, "attributes", attrs);
	}
}

/* The start of a receiver's answer. */
struct answer {
	char	 buf[ANSWER_MAX + 1];
	size_t	 len;
};

static size_t
on_answer(char *p, size_t sz, size_t nmemb, void *arg)
{
	struct answer	*a = arg;
	size_t		 n = sz * nmemb, keep;

	keep = ANSWER_MAX - a->len < n ? ANSWER_MAX - a->len : n;
	memcpy(a->buf + a->len, p, keep);
	a->len += keep;
	return n;	/* the rest is read and dropped */
}

/*
 * The header list of a hook's POST into "*hdrs": JSON, no "Expect:", and
 * the token of "url" where "auth" puts it ("*bare" the URL without it,
 * "*th" its header line).  The caller frees all three, whatever the
 * outcome.  Returns CURLE_OK or CURLE_OUT_OF_MEMORY.
 */
static CURLcode
post_headers(const char *url, int auth, struct curl_slist **hdrs,
    char **bare, char **th)
{
	struct curl_slist	*more;

	if ((*hdrs = curl_slist_append(NULL,
	    "Content-Type: application/json")) == NULL ||
	    (more = curl_slist_append(*hdrs, "Expect:")) == NULL)
		return CURLE_OUT_OF_MEMORY;
	*hdrs = more;
	if (auth != AUTH_QUERY) {
		if (token_header(url, auth, bare, th) == -1 || (*th != NULL &&
		    (more = curl_slist_append(*hdrs, *th)) == NULL))
			return CURLE_OUT_OF_MEMORY;
		*hdrs = more;
	}
	return CURLE_OK;
}

/*
 * The options of a POST of "body" to "url" on "e", with the headers
 * "hdrs", the answer into "a" and curl's error into "err".  Returns the
 * first option's failure, or CURLE_OK.
 */
static CURLcode
post_options(CURL *e, const char *url, struct curl_slist *hdrs,
    const char *body, struct answer *a, char *err)
{
	CURLcode	 cc = CURLE_OK;

#define SET(o, v)	if (cc == CURLE_OK) cc = curl_easy_setopt(e, o, v)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, HOOK_TIMEOUT_MS);
	SET(CURLOPT_CONNECTTIMEOUT_MS, HOOK_CONNECT_MS);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_POSTFIELDS, body);
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	SET(CURLOPT_WRITEFUNCTION, on_answer);
	SET(CURLOPT_WRITEDATA, a);
	SET(CURLOPT_ERRORBUFFER, err);
	SET(CURLOPT_USERAGENT, "upstream-sim (C2S webhooks)");
#undef SET
	return cc;
}

/*
 * POST "body" as JSON to "url": no redirect, http and https only, within
 * HOOK_TIMEOUT_MS.  Returns the HTTP status, or 0 when no answer came
 * (the reason logged with the URL masked); the answer's first
 * ANSWER_MAX bytes in "a", NUL-terminated (NULs made '?').
 */
static long
post(struct sim_hook *h, const char *url, int auth, const char *body,
    struct answer *a)
{
	struct curl_slist	*hdrs = NULL;
	char			 err[CURL_ERROR_SIZE];
	char			*mu = NULL, *me = NULL, *bare = NULL, *th = NULL;
	CURLcode		 cc;
	CURL			*e;
	long			 code = 0;
	size_t			 i;

	a->len = 0;
	err[0] = '\0';
	if (h->curl == NULL && (h->curl = curl_easy_init()) == NULL) {
		fprintf(stderr, "upstream-sim: curl_easy_init failed\n");
		goto out;
	}
	e = h->curl;
	cc = post_headers(url, auth, &hdrs, &bare, &th);
	if (cc == CURLE_OK)
		cc = post_options(e, bare != NULL ? bare : url, hdrs, body, a,
		    err);
	if (cc == CURLE_OK)
		cc = curl_easy_perform(e);
	if (cc == CURLE_OK &&
	    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	if (cc != CURLE_OK) {
		code = 0;
		mu = mask_url(url);
		me = mask_text(url, err[0] != '\0' ? err :
		    curl_easy_strerror(cc));
		fprintf(stderr, "upstream-sim: hook %s: %s\n",
		    mu != NULL ? mu : "(URL)", me != NULL ? me : "(error)");
	}
	/* Forget the options (the header list and buffers die here). */
	curl_easy_reset(e);
out:
	curl_slist_free_all(hdrs);
	free(mu);
	free(me);
	free(bare);
	free(th);
	for (i = 0; i < a->len; i++)
		if (a->buf[i] == '\0')
			a->buf[i] = '?';
	a->buf[a->len] = '\0';
	return code;
}

/*
 * Append the delivery of event "act" of lead "id" in shape "s" to "url"
 * with "auth" (answered "status" and "answer", the URL's token masked in
 * both) to the deliveries file; failing that is logged.  Returns the
 * record, a new reference, or NULL on our own failure.
 */
static json_t *
deliver_record(struct sim_hook *h, const char *id, enum sim_action act,
    int s, int auth, const char *url, long status, const char *answer,
    const char *when)
{
	json_t	*rec = NULL;
	char	*masked = NULL, *ans = NULL;
	char	 done[TIME_LEN];

	fmt_us(now_us(), done, sizeof(done));
	if ((masked = mask_url(url)) == NULL ||
	    (ans = mask_text(url, answer)) == NULL)
		goto out;
	rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:s, s:s}",
	    "lead", id, "hook_action", ACTION[act], "shape", SHAPE[s],
	    "hook_url", masked, "auth", AUTH[auth], "status", (int)status,
	    "answer", utf8_string(ans), "updated_at", when,
	    "time", done);
	if (rec == NULL)
		goto out;
	if (sim_lines_lock(h->dlv_fd, 1) == -1 ||
	    sim_lines_append(h->dlv_fd, rec) == -1)
		fprintf(stderr, "upstream-sim: cannot append to %s: "
		    "%s\n", h->dlv, strerror(errno));
	(void)sim_lines_lock(h->dlv_fd, 0);
out:
	free(masked);
	free(ans);
	return rec;
}

/*
 * Deliver event "act" of lead "id" (lowercase) at time "when" to each of
 * "targets", in "shape" or, when it is -1, the subscription's, and
 * record each delivery.  Returns the deliveries for a control route's
 * answer, a new array, or NULL (logged) on our own failure.
 */
static json_t *
deliver(struct sim_hook *h, const char *id, enum sim_action act, int shape,
    int auth, const json_t *targets, const char *when)
{
	struct sim_lead	 l;
	struct answer	*a = NULL;
	json_t		*lead = NULL, *attrs, *out, *ev, *rec, *t;
	const char	*url;
	char		*body = NULL;
	size_t		 i;
	long		 status;
	int		 s;

	sim_lead_make(id, &l);
	if ((out = json_array()) == NULL || (a = malloc(sizeof(*a))) == NULL ||
	    (lead = sim_lead_json(&l)) == NULL)
		goto fail;
	attrs = json_object_get(json_object_get(lead, "data"), "attributes");
	if (!json_is_object(attrs) || json_object_set_new(attrs, "updated_at",
	    json_string(when)) == -1)
		goto fail;
	json_array_foreach(targets, i, t) {
		url = member(t, "url");
		if ((s = shape) == -1 &&
		    (s = name_index(member(t, "shape"), SHAPE,
		    SIM_S__MAX)) == -1)
			s = (int)h->shape;
		ev = event_json((enum sim_shape)s, l.id, act, attrs);
		body = ev != NULL ? json_dumps(ev, JSON_COMPACT) : NULL;
		json_decref(ev);
		if (url == NULL || body == NULL)
			goto fail;
		status = post(h, url, auth, body, a);
		if ((rec = deliver_record(h, l.id, act, s, auth, url, status,
		    a->buf, when)) == NULL)
			goto fail;
		if (json_array_append_new(out, json_pack("{s:O, s:O, s:O, s:O, "
		    "s:O}", "hook_url", json_object_get(rec, "hook_url"),
		    "auth", json_object_get(rec, "auth"),
		    "shape", json_object_get(rec, "shape"),
		    "status", json_object_get(rec, "status"),
		    "answer", json_object_get(rec, "answer"))) == -1) {
			json_decref(rec);
			goto fail;
		}
		json_decref(rec);
		free(body);
		body = NULL;
	}
	json_decref(lead);
	free(a);
	return out;
fail:
	fprintf(stderr, "upstream-sim: cannot deliver %s of %s\n",
	    ACTION[act], id);
	free(body);
	free(a);
	json_decref(lead);
	json_decref(out);
	return NULL;
}

/* A random lead id, lowercase, in "id".  Returns 0 or -1. */
static int
random_id(char *id)
{
	unsigned char	 r[SIM_LEAD_ID_LEN / 2];
	size_t		 i;

	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	for (i = 0; i < sizeof(r); i++)
		(void)snprintf(id + 2 * i, 3, "%02x", r[i]);
	return 0;
}

/*
 * POST /__sim/leads ("lead" NULL: the body's "id", or a random one) and
 * POST /__sim/leads/{id}/update|close: fire event "act" on the lead and
 * deliver it before answering.  Returns the HTTP status with the answer
 * in "*answer" (NULL with 500 on our own failure).
 */
int
sim_hook_control(struct sim_hook *h, const char *lead, enum sim_action act,
    const char *body, size_t len, json_t **answer)
{
	json_t		*j, *targets = NULL, *dl;
	const json_t	*jid;
	char		 id[SIM_LEAD_ID_LEN + 1], when[TIME_LEN];
	size_t		 i;
	int		 shape = -1, auth = AUTH_QUERY, st = 500;

	*answer = NULL;
	j = len == 0 ? json_object() :
	    json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		st = control_error(answer, 400, "body must be a JSON object");
		goto out;
	}
	if (body_shape(j, &shape) == -1) {
		st = control_error(answer, 400,
		    "shape must be rust, ts or jsonapi");
		goto out;
	}
	if (json_object_get(j, "auth") != NULL &&
	    (auth = name_index(member(j, "auth"), AUTH, AUTH__MAX)) == -1) {
		st = control_error(answer, 400, "auth must be query, "
		    "X-Webhook-Token, X-Webhook-Secret or Bearer");
		goto out;
	}
	jid = lead == NULL ? json_object_get(j, "id") : NULL;
	if (lead == NULL && (jid == NULL || json_is_null(jid))) {
		if (random_id(id) == -1)
			goto out;
	} else {
		if (lead != NULL && !sim_lead_id_ok(lead)) {
			st = control_error(answer, 404, "not a lead id");
			goto out;
		}
		if (lead == NULL)
			lead = json_string_value(jid);
		if (lead == NULL || !sim_lead_id_ok(lead)) {
			st = control_error(answer, 400,
			    "id must be 32 hex characters");
			goto out;
		}
		for (i = 0; i <= SIM_LEAD_ID_LEN; i++)
			id[i] = (char)tolower((unsigned char)lead[i]);
	}
	if (event_begin(h, act, &targets, when, sizeof(when)) == -1 ||
	    (dl = deliver(h, id, act, shape, auth, targets, when)) == NULL)
		goto out;
	*answer = json_pack("{s:s, s:o}", "lead_id", id, "deliveries", dl);
	st = *answer != NULL ? 200 : 500;
out:
	json_decref(targets);
	json_decref(j);
	return st;
}

/* Fire on_update_lead on "lead" (a valid id) once the answer is sent. */
void
sim_hook_defer(struct sim_hook *h, const char *lead)
{
	size_t	 i;

	for (i = 0; i < SIM_LEAD_ID_LEN && lead[i] != '\0'; i++)
		h->deferred[i] = (char)tolower((unsigned char)lead[i]);
	h->deferred[i] = '\0';
}

/* Deliver the deferred on_update_lead, if any, to its hooks. */
void
sim_hook_run_deferred(struct sim_hook *h)
{
	json_t	*targets = NULL;
	char	 when[TIME_LEN];

	if (h->deferred[0] == '\0')
		return;
	if (event_begin(h, SIM_A_UPDATE, &targets, when, sizeof(when)) == 0 &&
	    json_array_size(targets) > 0)
		json_decref(deliver(h, h->deferred, SIM_A_UPDATE, -1,
		    AUTH_QUERY, targets, when));
	json_decref(targets);
	h->deferred[0] = '\0';
}

/*
 * Observation.
 */

struct select {
	const char	*lead;		/* filter, or NULL */
	json_t		*list;
	int		 failed;
};

static void
select_one(json_t *j, void *arg)
{
	struct select	*s = arg;

	if (s->lead != NULL && (member(j, "lead") == NULL ||
	    strcmp(member(j, "lead"), s->lead) != 0))
		return;
	if (json_array_append(s->list, j) == -1)
		s->failed = 1;
}

/* The lines of "path" (of "lead" if not NULL) as {"KEY":[…]}. */
static json_t *
lines(const char *path, const char *key, const char *lead)
{
	struct select	 s = { lead, json_array(), 0 };

	if (s.list == NULL || sim_lines_each(path, select_one, &s) == -1 ||
	    s.failed) {
		json_decref(s.list);
		return NULL;
	}
	return json_pack("{s:o}", key, s.list);
}

/* GET /__sim/deliveries[?lead=ID] ("lead" lowercase or NULL). */
json_t *
sim_hook_deliveries(const struct sim_hook *h, const char *lead)
{
	return lines(h->dlv, "deliveries", lead);
}

/* Forget every delivery and echo.  Returns 0, or -1 with errno set. */
int
sim_hook_reset(const struct sim_hook *h)
{
	if (sim_lines_truncate(h->dlv) == -1 ||
	    sim_lines_truncate(h->echo) == -1)
		return -1;
	return 0;
}

/*
 * POST /__sim/echo: record the body received (parsed when it is JSON, a
 * string otherwise) and the query, its tokens masked.  Returns 0, or -1
 * (logged).
 */
int
sim_hook_echo(struct sim_hook *h, const char *query, const char *body,
    size_t len)
{
	json_t	*rec = NULL, *jb;
	char	*q = NULL, *text = NULL;
	char	 when[TIME_LEN];
	int	 rc = -1;

	fmt_us(now_us(), when, sizeof(when));
	if (query != NULL && (q = mask_url(query)) == NULL)
		goto out;
	jb = json_loadb(body != NULL ? body : "", len, 0, NULL);
	if (jb == NULL) {
		if ((text = malloc(len + 1)) == NULL)
			goto out;
		if (len > 0)
			memcpy(text, body, len);
		text[len] = '\0';
		jb = utf8_string(text);
	}
	rec = json_pack("{s:s?, s:o, s:s}", "query", q, "body", jb,
	    "time", when);
	if (rec != NULL && sim_lines_lock(h->echo_fd, 1) == 0) {
		rc = sim_lines_append(h->echo_fd, rec);
		(void)sim_lines_lock(h->echo_fd, 0);
	}
out:
	if (rc == -1)
		fprintf(stderr, "upstream-sim: cannot append to %s\n",
		    h->echo);
	json_decref(rec);
	free(q);
	free(text);
	return rc;
}

/* GET /__sim/echo: {"echoes":[{"query","body","time"},…]}, in order. */
json_t *
sim_hook_echoes(const struct sim_hook *h)
{
	return lines(h->echo, "echoes", NULL);
}

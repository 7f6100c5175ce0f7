/*
 * fcgirec_echo -- a FastCGI responder for tests, on lib/core/fcgirec
 * alone (fcgirec_test's cgi_fcgi__real_client): it listens on the Unix
 * socket PATH and serves COUNT connections (default 1) one after the
 * other, blocking, each answered with a JSON document of what it read:
 * the request's id, method, URI and REDIRECT_STATUS, how many parameters
 * came, the length of HTTP_X_LONG's value and how many body bytes were
 * dropped.  Management records are answered as they come.  PATH appears
 * only once it listens (bound under another name, then renamed).
 *
 * usage: fcgirec_echo PATH [COUNT]
 * Exits 0 once every connection was answered, 1 on any error (an error
 * of the codec included, its reason on stderr), killed by SIGALRM after
 * 20 s at the latest.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fcgirec.h"

static int
write_all(int fd, const void *p, size_t n)
{
	const char	*b = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A parameter as a JSON string's content: quotes, '\\' and controls as '?'. */
static const char *
text(const struct ce_fcgirec *c, const char *name, char *buf, size_t sz)
{
	const char	*v = ce_fcgirec_param(c, name);
	size_t		 i;

	if (v == NULL)
		v = "";
	for (i = 0; v[i] != '\0' && i + 1 < sz; i++)
		buf[i] = v[i] == '"' || v[i] == '\\' ||
		    (unsigned char)v[i] < 0x20 ? '?' : v[i];
	buf[i] = '\0';
	return buf;
}

/* The answer to the whole request in "c", written to "fd". */
static int
answer(int fd, const struct ce_fcgirec *c)
{
	char		 body[2048], m[64], u[512], r[16];
	unsigned char	 out[4096];
	const char	*x = ce_fcgirec_param(c, "HTTP_X_LONG");
	size_t		 n;
	int		 len;

	len = snprintf(body, sizeof(body), "Status: 200\r\n"
	    "Content-Type: application/json\r\n\r\n"
	    "{\"reqid\":%u,\"method\":\"%s\",\"uri\":\"%s\","
	    "\"redirect_status\":\"%s\",\"params\":%zu,\"long\":%zu,"
	    "\"stdin\":%llu}\n", c->reqid,
	    text(c, "REQUEST_METHOD", m, sizeof(m)),
	    text(c, "REQUEST_URI", u, sizeof(u)),
	    text(c, "REDIRECT_STATUS", r, sizeof(r)), c->nparams,
	    x != NULL ? strlen(x) : 0, (unsigned long long)c->stdin_bytes);
	if (len < 0 || (size_t)len >= sizeof(body))
		return -1;
	if ((n = ce_fcgirec_encode(c->reqid, body, (size_t)len, out,
	    sizeof(out))) == 0)
		return -1;
	return write_all(fd, out, n);
}

/* Read one connection's request, answering management records. */
static int
serve(int fd)
{
	static struct ce_fcgirec c;
	unsigned char		 in[4096], rep[CE_FCGIREC_REPLY_MAX];
	ssize_t			 r;
	size_t			 off, used, n;

	ce_fcgirec_init(&c);
	for (;;) {
		if ((r = read(fd, in, sizeof(in))) == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			fprintf(stderr, "fcgirec_echo: %s before a request\n",
			    r == 0 ? "end of stream" : strerror(errno));
			return -1;
		}
		for (off = 0; off < (size_t)r; off += used) {
			switch (ce_fcgirec_feed(&c, in + off, (size_t)r - off,
			    &used)) {
			case CE_FCGIREC_REQUEST:
				return answer(fd, &c);
			case CE_FCGIREC_REPLY:
				n = ce_fcgirec_reply(&c, rep, sizeof(rep));
				if (write_all(fd, rep, n) == -1)
					return -1;
				break;
			case CE_FCGIREC_ERROR:
				fprintf(stderr, "fcgirec_echo: %s\n", c.why);
				return -1;
			default:
				break;
			}
		}
	}
}

int
main(int argc, char *argv[])
{
	struct sockaddr_un	 sa;
	char			 tmp[sizeof(sa.sun_path)];
	long			 count = 1, i;
	int			 s, fd, st = 0;

	alarm(20);
	if (argc < 2 || argc > 3 ||
	    (argc == 3 && (count = strtol(argv[2], NULL, 10)) < 1)) {
		fprintf(stderr, "usage: fcgirec_echo PATH [COUNT]\n");
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (snprintf(tmp, sizeof(tmp), "%s.new", argv[1]) >=
	    (int)sizeof(tmp)) {
		fprintf(stderr, "fcgirec_echo: %s: path too long\n", argv[1]);
		return 1;
	}
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(s, 8) == -1 || rename(tmp, argv[1]) == -1) {
		fprintf(stderr, "fcgirec_echo: %s: %s\n", argv[1],
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < count && st == 0; i++) {
		if ((fd = accept(s, NULL, NULL)) == -1) {
			fprintf(stderr, "fcgirec_echo: accept: %s\n",
			    strerror(errno));
			st = 1;
			break;
		}
		if (serve(fd) == -1)
			st = 1;
		close(fd);
	}
	close(s);
	unlink(argv[1]);
	return st;
}

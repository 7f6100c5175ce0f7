/*
 * sockdiag_test.c -- the listen queue (io/sockdiag.c) of real sockets:
 * a Unix and a TCP listener with a backlog of 8, 0 at rest, 3 with three
 * clients connected and none accepted, 2 after one accept; -1 for a
 * socket that does not listen and for an fd that is no socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <atf-c.h>

#include "io/sockdiag.h"

#define BACKLOG	8

/* Three clients connected to listener "l" at "sa", none accepted. */
static void
three_waiting(int l, const struct sockaddr *sa, socklen_t salen, int fam)
{
	int	 c[3], i, a, b;

	ATF_REQUIRE(listen(l, BACKLOG) == 0);
	ATF_CHECK_EQ(cx_sockdiag_queue(l, &b), 0);
	ATF_CHECK_EQ(b, BACKLOG);
	for (i = 0; i < 3; i++) {
		ATF_REQUIRE((c[i] = socket(fam, SOCK_STREAM, 0)) != -1);
		ATF_REQUIRE(connect(c[i], sa, salen) == 0);
	}
	/* A TCP handshake ends in the kernel; give it the time to. */
	for (i = 0; i < 100 && cx_sockdiag_queue(l, NULL) != 3; i++)
		usleep(10000);
	ATF_CHECK_EQ(cx_sockdiag_queue(l, &b), 3);
	ATF_CHECK_EQ(b, BACKLOG);
	ATF_REQUIRE((a = accept(l, NULL, NULL)) != -1);
	ATF_CHECK_EQ(cx_sockdiag_queue(l, NULL), 2);
	close(a);
	for (i = 0; i < 3; i++)
		close(c[i]);
}

ATF_TC_WITHOUT_HEAD(unix__queue_and_backlog);
ATF_TC_BODY(unix__queue_and_backlog, tc)
{
	struct sockaddr_un	 sun;
	int			 l;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	/* In the case's own directory. */
	memcpy(sun.sun_path, "sock", sizeof("sock"));
	ATF_REQUIRE((l = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(l, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	ATF_CHECK_EQ(cx_sockdiag_queue(l, NULL), -1);	/* not listening */
	three_waiting(l, (struct sockaddr *)&sun, sizeof(sun), AF_UNIX);
	close(l);
}

ATF_TC_WITHOUT_HEAD(tcp__queue_and_backlog);
ATF_TC_BODY(tcp__queue_and_backlog, tc)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 l;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ATF_REQUIRE((l = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	ATF_REQUIRE(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0);
	ATF_REQUIRE(getsockname(l, (struct sockaddr *)&sin, &len) == 0);
	ATF_CHECK_EQ(cx_sockdiag_queue(l, NULL), -1);	/* not listening */
	three_waiting(l, (struct sockaddr *)&sin, sizeof(sin), AF_INET);
	close(l);
}

ATF_TC_WITHOUT_HEAD(other__unknown);
ATF_TC_BODY(other__unknown, tc)
{
	int	 fd, b = 0;

	ATF_REQUIRE((fd = open("/dev/null", O_RDONLY)) != -1);
	ATF_CHECK_EQ(cx_sockdiag_queue(fd, &b), -1);
	ATF_CHECK_EQ(b, -1);
	close(fd);
	ATF_CHECK_EQ(cx_sockdiag_queue(-1, NULL), -1);
	ATF_REQUIRE((fd = socket(AF_INET, SOCK_DGRAM, 0)) != -1);
	ATF_CHECK_EQ(cx_sockdiag_queue(fd, NULL), -1);
	close(fd);
}

ATF_TP_ADD_TCS(tp)
{
	ATF_TP_ADD_TC(tp, unix__queue_and_backlog);
	ATF_TP_ADD_TC(tp, tcp__queue_and_backlog);
	ATF_TP_ADD_TC(tp, other__unknown);
	return atf_no_error();
}

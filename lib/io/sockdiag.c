/*
 * sockdiag.c -- the listen queue of a listening socket: a Unix socket's
 * through one NETLINK_SOCK_DIAG request for its inode (the kernel answers
 * it within the send, so the receive never waits), a TCP socket's
 * through TCP_INFO, whose unacked and sacked fields hold a listener's
 * queue and backlog.  No state: a netlink socket is opened per call (the
 * master asks at most once a millisecond).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "io/sockdiag.h"

#define LISTEN_STATE	10	/* TCP_LISTEN, as the kernel numbers it */

/* A Unix listener's queue and backlog by its inode "ino"; -1 unknown. */
static int
unix_queue(ino_t ino, int *backlog)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	} rq;
	struct sockaddr_nl	 sa;
	union {
		char		 b[8192];
		struct nlmsghdr	 align;
	} buf;
	struct nlmsghdr		*h;
	struct unix_diag_msg	*um;
	struct unix_diag_rqlen	*rl;
	struct rtattr		*a;
	ssize_t			 n;
	int			 fd, q = -1, len;

	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	memset(&rq, 0, sizeof(rq));
	rq.nlh.nlmsg_len = sizeof(rq);
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST;
	rq.nlh.nlmsg_seq = 1;
	rq.req.sdiag_family = AF_UNIX;
	rq.req.udiag_states = 1u << LISTEN_STATE;
	rq.req.udiag_ino = (uint32_t)ino;
	rq.req.udiag_show = UDIAG_SHOW_RQLEN;
	rq.req.udiag_cookie[0] = rq.req.udiag_cookie[1] = ~0u;	/* none */
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (sendto(fd, &rq, sizeof(rq), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) != (ssize_t)sizeof(rq))
		goto out;
	if ((n = recv(fd, buf.b, sizeof(buf.b), MSG_DONTWAIT)) <= 0)
		goto out;
	/* One answer: the socket's message, or an NLMSG_ERROR. */
	h = &buf.align;
	if ((size_t)n < NLMSG_LENGTH(sizeof(*um)) || h->nlmsg_len > (size_t)n ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*um)) ||
	    h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		goto out;
	um = NLMSG_DATA(h);
	if (um->udiag_ino != (uint32_t)ino)
		goto out;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*um)));
	for (a = (struct rtattr *)(um + 1); RTA_OK(a, len);
	    a = RTA_NEXT(a, len)) {
		if (a->rta_type != UNIX_DIAG_RQLEN ||
		    RTA_PAYLOAD(a) < sizeof(*rl))
			continue;
		rl = RTA_DATA(a);
		q = (int)rl->udiag_rqueue;
		if (backlog != NULL)
			*backlog = (int)rl->udiag_wqueue;
		break;
	}
out:
	close(fd);
	return q;
}

int
cx_sockdiag_queue(int fd, int *backlog)
{
	struct sockaddr_storage	 ss;
	struct tcp_info		 ti;
	struct stat		 st;
	socklen_t		 len;
	int			 on = 0;

	if (backlog != NULL)
		*backlog = -1;
	len = sizeof(on);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == -1 ||
	    !on)
		return -1;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
		return -1;
	switch (ss.ss_family) {
	case AF_UNIX:
		if (fstat(fd, &st) == -1)
			return -1;
		return unix_queue(st.st_ino, backlog);
	case AF_INET:
	case AF_INET6:
		len = sizeof(ti);
		memset(&ti, 0, sizeof(ti));
		if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
		    ti.tcpi_state != LISTEN_STATE)
			return -1;
		if (backlog != NULL)
			*backlog = (int)ti.tcpi_sacked;
		return (int)ti.tcpi_unacked;
	default:
		return -1;
	}
}

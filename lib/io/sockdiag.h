/*
 * io/sockdiag.h -- the listen queue of a listening socket (sockdiag.c):
 * how many connections wait to be accepted, and the backlog that bounds
 * them, the figures `ss -xl` and `ss -tl` show as Recv-Q and Send-Q.  A
 * Unix socket is asked through NETLINK_SOCK_DIAG (UNIX_DIAG_RQLEN, by the
 * socket's inode), a TCP one through TCP_INFO.  Where the kernel cannot
 * say (no unix_diag, another family, not listening) the answer is -1.
 */
#ifndef CE_IO_SOCKDIAG_H
#define CE_IO_SOCKDIAG_H

/*
 * The connections waiting on listening socket "fd", and in "*backlog"
 * (when not NULL) its backlog; -1 for both when unknown.
 */
int		 cx_sockdiag_queue(int fd, int *backlog);

#endif /* CE_IO_SOCKDIAG_H */

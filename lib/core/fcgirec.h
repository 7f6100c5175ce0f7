/*
 * core/fcgirec.h -- a FastCGI record codec for one connection, pure and
 * non-blocking (fcgirec.c; docs/POOL-PLAN.md §5.1): bytes are fed in as
 * they arrive and come out as events (a whole request, a management
 * answer to send, an error), and an answer is encoded as STDOUT records
 * plus END_REQUEST.  The master answers /health, /ready and lighttpd's
 * error re-runs with it on its own socket, without libfcgi.
 *
 * It owns no memory: a struct ce_fcgirec is a fixed block per
 * connection (about 17 KiB), nothing is allocated per request.  One
 * request at a time (FCGI_MPXS_CONNS 0); roles other than RESPONDER are
 * refused; STDIN (a POST body) is read to its end and dropped.
 */
#ifndef CE_CORE_FCGIREC_H
#define CE_CORE_FCGIREC_H

#include <stddef.h>
#include <stdint.h>

#define CE_FCGIREC_PARAMS_MAX	16384	/* name/value pairs, as received */
#define CE_FCGIREC_MGMT_MAX	1024	/* a FCGI_GET_VALUES's content */
#define CE_FCGIREC_REPLY_MAX	64	/* the longest management answer */
#define CE_FCGIREC_HDR		8	/* a record's header */
#define CE_FCGIREC_CHUNK	65535	/* a record's longest content */

/* Record types and values of the FastCGI 1.0 specification. */
#define CE_FCGI_BEGIN_REQUEST		1
#define CE_FCGI_ABORT_REQUEST		2
#define CE_FCGI_END_REQUEST		3
#define CE_FCGI_PARAMS			4
#define CE_FCGI_STDIN			5
#define CE_FCGI_STDOUT			6
#define CE_FCGI_STDERR			7
#define CE_FCGI_DATA			8
#define CE_FCGI_GET_VALUES		9
#define CE_FCGI_GET_VALUES_RESULT	10
#define CE_FCGI_UNKNOWN_TYPE		11
#define CE_FCGI_RESPONDER		1	/* the only role served */
#define CE_FCGI_KEEP_CONN		1	/* BEGIN_REQUEST's flag */
#define CE_FCGI_REQUEST_COMPLETE	0	/* END_REQUEST's protocolStatus */
#define CE_FCGI_UNKNOWN_ROLE		3

enum ce_fcgirec_ev {
	CE_FCGIREC_MORE = 0,	/* every byte taken: feed more */
	CE_FCGIREC_REQUEST,	/* BEGIN, all PARAMS, STDIN to its end */
	CE_FCGIREC_REPLY,	/* an answer to send: ce_fcgirec_reply() */
	CE_FCGIREC_ERROR,	/* malformed or refused: close the connection */
	CE_FCGIREC_EV__MAX
};

/* Where the connection is between requests (the field "phase"). */
enum ce_fcgirec_phase {
	CE_FCGIREC_IDLE = 0,	/* no request: waiting for a BEGIN */
	CE_FCGIREC_PARAMS,	/* BEGIN read: PARAMS records up to the empty one */
	CE_FCGIREC_STDIN,	/* PARAMS ended: STDIN records up to the empty one */
	CE_FCGIREC_DONE,	/* the request is whole (CE_FCGIREC_REQUEST given) */
	CE_FCGIREC_FAILED	/* CE_FCGIREC_ERROR given: nothing more is read */
};

/*
 * One connection.  Readable by the caller: reqid (the open request's),
 * role and keep_conn (from the last BEGIN, a refused one included),
 * stdin_bytes (the body dropped), nparams, phase, why, and through
 * ce_fcgirec_param() the parameters once CE_FCGIREC_REQUEST was given.
 * Everything else is the codec's.
 */
struct ce_fcgirec {
	enum ce_fcgirec_phase	 phase;
	uint16_t		 reqid;		/* the request's id (0: none) */
	uint16_t		 role;
	int			 keep_conn;	/* FCGI_KEEP_CONN was set */
	uint64_t		 stdin_bytes;	/* STDIN content read and dropped */
	const char		*why;		/* what the error was, or NULL */

	/* The record being read: its header, then where its content goes. */
	unsigned char		 hdr[CE_FCGIREC_HDR];
	size_t			 hlen;		/* header bytes read */
	unsigned int		 type;
	uint16_t		 rid;		/* the record's request id */
	size_t			 clen, cpos;	/* content: length, read */
	size_t			 plen, ppos;	/* padding: length, read */
	int			 sink;		/* fcgirec.c's SINK_* */

	unsigned char		 body[8];	/* BEGIN_REQUEST's content */
	unsigned char		 mgmt[CE_FCGIREC_MGMT_MAX];
	size_t			 mlen;

	/* The PARAMS stream; once it ended, "name\0value\0" entries. */
	char			 params[CE_FCGIREC_PARAMS_MAX];
	size_t			 params_len;
	size_t			 nparams;

	unsigned char		 reply[CE_FCGIREC_REPLY_MAX];
	size_t			 reply_len;	/* > 0: an answer is waiting */
};

/*
 * Make "c" ready for a new connection, or for the next request on a
 * kept one (after the answer to CE_FCGIREC_REQUEST was sent).
 */
void		 ce_fcgirec_init(struct ce_fcgirec *c);

/*
 * Read at most "len" bytes of "data", stopping just after the record that
 * gives an event; "*used" is set to the bytes taken (the rest is to be
 * fed again after the event is dealt with).  Returns:
 * CE_FCGIREC_MORE, every byte taken and no event yet;
 * CE_FCGIREC_REQUEST, the request is whole: its parameters are readable
 * until ce_fcgirec_init();
 * CE_FCGIREC_REPLY, an answer waits in "c" (FCGI_GET_VALUES_RESULT,
 * FCGI_UNKNOWN_TYPE for a management record other than GET_VALUES, or
 * END_REQUEST with FCGI_UNKNOWN_ROLE for a role other than RESPONDER,
 * after which that request's records are ignored): take it with
 * ce_fcgirec_reply(); until then nothing is read and REPLY is returned
 * again;
 * CE_FCGIREC_ERROR, for a version other than 1, params over
 * CE_FCGIREC_PARAMS_MAX, a second BEGIN_REQUEST while one is open,
 * FCGI_ABORT_REQUEST, records out of order or malformed content: the
 * connection is to be closed ("why" says which; every later call
 * returns CE_FCGIREC_ERROR and takes nothing).
 */
enum ce_fcgirec_ev ce_fcgirec_feed(struct ce_fcgirec *c, const void *data,
		    size_t len, size_t *used);

/*
 * The value of the parameter "name" of the whole request, NUL-terminated
 * (cut at a NUL it held, as libfcgi's environment does), or NULL when it
 * was not sent or the request is not whole.  The first of duplicates
 * wins.  Valid until ce_fcgirec_init().
 */
const char	*ce_fcgirec_param(const struct ce_fcgirec *c, const char *name);

/*
 * Copy the waiting answer into "out" and forget it.  Returns its length,
 * or 0 when none waits or "outsz" is too small (CE_FCGIREC_REPLY_MAX
 * always does); on 0 the answer still waits.
 */
size_t		 ce_fcgirec_reply(struct ce_fcgirec *c, void *out,
		    size_t outsz);

/*
 * Write the answer to request "reqid" into "out": "len" bytes of "body"
 * (the CGI headers and the body, e.g. "Status: 200\r\nContent-Type:
 * application/json\r\n\r\n{...}") as STDOUT records of at most 65535
 * bytes each, padded to a multiple of 8, then an empty STDOUT and
 * END_REQUEST (appStatus 0, FCGI_REQUEST_COMPLETE).  Returns the bytes
 * written, ce_fcgirec_encode_size(len), or 0 when "outsz" is smaller
 * (nothing is written then).
 */
size_t		 ce_fcgirec_encode(uint16_t reqid, const void *body,
		    size_t len, void *out, size_t outsz);

/*
 * Exactly what ce_fcgirec_encode() writes for a body of "len" bytes, or
 * 0 when that is beyond SIZE_MAX (len over SIZE_MAX / 2).
 */
size_t		 ce_fcgirec_encode_size(size_t len);

#endif /* CE_CORE_FCGIREC_H */

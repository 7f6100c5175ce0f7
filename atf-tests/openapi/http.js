// http.js -- a bare HTTP/1.0 client over a TCP socket, for the walker.
//
// The walker needs requests that ordinary clients will not send: a POST
// without Content-Length (lighttpd's 411), a query string left exactly as
// written (a broken percent escape), a body larger than the server takes.
// HTTP/1.0 keeps the answer simple: no chunked encoding, and the server
// closes the connection after it.
'use strict';

const net = require('net');

// send(base, req) -> Promise of {status, headers, body}.
//   base: "http://host:port"
//   req:  {method, target (path and query, as sent), headers: {name: value},
//          body: Buffer|string|null, length: false to send no Content-Length}
// headers come back with lower-case names; body is a Buffer.  Rejects on a
// connection error, a timeout (timeoutMs) or an answer that is not HTTP.
function send(base, req, timeoutMs = 60000) {
	const url = new URL(base);
	const body = req.body == null ? null : Buffer.from(req.body);
	const lines = [`${req.method} ${req.target} HTTP/1.0`, `Host: ${url.host}`];

	for (const [name, value] of Object.entries(req.headers || {}))
		lines.push(`${name}: ${value}`);
	if (req.length !== false)
		lines.push(`Content-Length: ${body ? body.length : 0}`);
	const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n');

	return new Promise((resolve, reject) => {
		const chunks = [];
		const sock = net.connect(Number(url.port) || 80, url.hostname);

		sock.setTimeout(timeoutMs, () => {
			sock.destroy();
			reject(new Error(`${req.method} ${req.target}: no answer ` +
			    `in ${timeoutMs} ms`));
		});
		sock.on('connect', () => {
			sock.write(head);
			if (body)
				sock.write(body);
		});
		sock.on('data', (d) => chunks.push(d));
		// A server may answer (413) and close before reading a large
		// body: a reset after an answer began is not an error.
		sock.on('error', (e) => {
			if (chunks.length === 0)
				reject(e);
		});
		sock.on('close', () => {
			try {
				resolve(parse(Buffer.concat(chunks)));
			} catch (e) {
				reject(new Error(`${req.method} ${req.target}: ${e.message}`));
			}
		});
	});
}

// Split a whole answer into status, headers and body.
function parse(raw) {
	const end = raw.indexOf('\r\n\r\n');
	if (end === -1)
		throw new Error('answer without a header block');
	const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
	const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
	if (!m)
		throw new Error(`not an HTTP status line: ${lines[0]}`);
	const headers = {};
	for (const line of lines.slice(1)) {
		const i = line.indexOf(':');
		if (i > 0)
			headers[line.slice(0, i).trim().toLowerCase()] =
			    line.slice(i + 1).trim();
	}
	let body = raw.subarray(end + 4);
	if (headers['content-length'] !== undefined)
		body = body.subarray(0, Number(headers['content-length']));
	return { status: Number(m[1]), headers, body };
}

module.exports = { send };

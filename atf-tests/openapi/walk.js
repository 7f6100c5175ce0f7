#!/usr/bin/env node
// walk.js -- hold web/api-docs/openapi.yml against the code and a stack.
//
//   node walk.js MODE --doc FILE [--base URL] [--routes lib/core/route.c]
//                [--fresh DIR] [--stored FILE] [--secrets FILE]
//                [--only OPERATION-ID,...] [--count N]
//
// MODE is one of:
//   operations  print every operation of the document, "METHOD PATH" a
//             line, in the document's order (no stack needed);
//   table     every route of lib/core/route.c's table is a path of the document
//             with the same methods, and every path of the document that
//             is not x-static is a route (no stack needed);
//   needs     print the fresh lead ids the examples mode will use, one
//             line "COUNT VARIANT [PREFIX]" per simulator variant;
//   examples  send every operation's requests (or those of --only
//             OPERATION-ID,...) built from the document's
//             examples (the good one, each bad one, the links of its
//             answers, the credentials checks, and the errors every route
//             shares) and check each answer: its status is documented for
//             the operation and is the one the example expects (x-expect;
//             an example without x-expect, the good request included, must
//             get a 2xx), its body validates against the documented schema
//             for that status and its code is one the response lists;
//   burst     send --count N (20) copies of the good request of the one
//             --only operation at once: each answer must be a documented 2xx
//             or 429 and match the document as above, and at least one of
//             each must come (for a stack with a small RATE_LIMIT);
//   methods   every method a path does not document answers 405, with an
//             Allow header naming exactly the documented ones;
//   static    the x-static paths (served by lighttpd) answer their
//             documented status and type, and the document served is
//             this file;
//   static-methods  every method an x-static path does not document
//             answers 404 or 405.
//
// --fresh DIR holds one file per variant (named as in `needs`, spaces as
// "_"), one lead id a line.  --stored FILE is a JSON object of a person the
// stack has stored ({"cpf", "uuid", "email", "phone", "name"}): the values
// of the examples marked x-stored.  --secrets FILE holds "SCHEME=VALUE"
// lines: the secrets of the security schemes the stack enforces; a scheme
// without a line is taken as not enforced in this run.
//
// Prints one line per request ("ok" or "FAIL" with the reasons), then
// "N checks, M failed"; exits 1 when any failed, 2 on a usage error.
'use strict';

const fs = require('fs');
const yaml = require('js-yaml');
const SwaggerParser = require('@apidevtools/swagger-parser');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const { send } = require('./http');

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'];
const BODY_CAP = 1024 * 1024;		// MAX_BODY_SIZE's default
const QUERY_CAP = 4096;			// lib/web/req.h's CX_QUERY_MAX

function usage(msg) {
	console.error(`walk.js: ${msg}`);
	process.exit(2);
}

function parseArgs(argv) {
	const a = { mode: argv[0], secrets: {}, count: 20 };
	for (let i = 1; i < argv.length; i += 2) {
		const k = argv[i], v = argv[i + 1];
		if (v === undefined)
			usage(`${k} needs a value`);
		if (k === '--doc') a.doc = v;
		else if (k === '--base') a.base = v.replace(/\/$/, '');
		else if (k === '--routes') a.routes = v;
		else if (k === '--fresh') a.fresh = v;
		else if (k === '--secrets') a.secretsFile = v;
		else if (k === '--only') a.only = v.split(',');
		else if (k === '--stored')
			a.stored = JSON.parse(fs.readFileSync(v, 'utf8'));
		else if (k === '--count') a.count = Number(v);
		else usage(`unknown option ${k}`);
	}
	if (!['operations', 'table', 'needs', 'examples', 'burst', 'methods',
	    'static', 'static-methods'].includes(a.mode))
		usage('MODE must be operations, table, needs, examples, burst, ' +
		    'methods, static or static-methods');
	if (!(a.count >= 2))
		usage('--count wants a number of requests, 2 or more');
	if (!a.doc)
		usage('--doc is required');
	if (a.secretsFile)
		for (const line of fs.readFileSync(a.secretsFile, 'utf8').split('\n')) {
			const i = line.indexOf('=');
			if (i > 0)
				a.secrets[line.slice(0, i)] = line.slice(i + 1);
		}
	return a;
}

// ---------------------------------------------------------------------
// The document.

// Every operation: {path, method, item, op, params, security}.
function operations(api) {
	const ops = [];
	for (const [path, item] of Object.entries(api.paths))
		for (const method of METHODS) {
			if (!item[method])
				continue;
			const op = item[method];
			const params = new Map();
			for (const p of [...(item.parameters || []), ...(op.parameters || [])])
				params.set(`${p.in}:${p.name}`, p);
			ops.push({ path, method, item, op, params: [...params.values()],
			    security: op.security || api.security || [] });
		}
	return ops;
}

function goodExample(o) {
	if (o.example !== undefined)
		return o.example;
	return o.examples && o.examples.good ? o.examples.good.value : undefined;
}

// The good Example Object of a parameter or a media type: {} for a bare
// `example`.
function goodObject(o) {
	return o.examples && o.examples.good ? o.examples.good : {};
}

// A request body example with the members its x-stored names ({member:
// key}) taken from the stored person.
function storedBody(value, map, ctx) {
	if (!map)
		return value;
	const out = { ...value };
	for (const [member, key] of Object.entries(map))
		out[member] = ctx.stored(key);
	return out;
}

// Follow a runtime expression "$response.body#/json/pointer" into "body";
// undefined when it does not resolve.
function resolveExpr(expr, body) {
	const m = /^\$response\.body#(.*)$/.exec(expr);
	if (!m)
		return expr;		// a constant
	let v = body;
	for (const raw of m[1].split('/').slice(1)) {
		const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
		if (v === null || typeof v !== 'object' || !(key in v))
			return undefined;
		v = v[key];
	}
	return v;
}

// Resolve every expression in a link's request body, or undefined.
function resolveDeep(v, body) {
	if (typeof v === 'string')
		return resolveExpr(v, body);
	if (v === null || typeof v !== 'object')
		return v;
	const out = Array.isArray(v) ? [] : {};
	for (const [k, x] of Object.entries(v)) {
		const r = resolveDeep(x, body);
		if (r === undefined)
			return undefined;
		out[k] = r;
	}
	return out;
}

// ---------------------------------------------------------------------
// The route table of lib/core/route.c: [{pattern, methods: [lower case]}].

function routeTable(file) {
	const src = fs.readFileSync(file, 'utf8');
	const table = /routes\[\]\s*=\s*\{([\s\S]*?)\n\};/.exec(src);
	if (!table)
		throw new Error(`${file}: no routes[] table`);
	const routes = [];
	const entry = /\{\s*CE_ROUTE_\w+\s*,\s*"([^"]+)"\s*,\s*([^}]+?)\s*\}/g;
	let m;
	while ((m = entry.exec(table[1])) !== null)
		routes.push({ pattern: m[1], methods: m[2].split('|').map((s) =>
		    s.trim().replace(/^CE_METHOD_/, '').toLowerCase()).sort() });
	if (routes.length === 0)
		throw new Error(`${file}: the routes[] table has no entry`);
	return routes;
}

function checkTable(api, routes, out) {
	const docPaths = new Map();
	for (const [path, item] of Object.entries(api.paths)) {
		if (item['x-static'])
			continue;
		// "{id}" in the document is "*" (one segment) in the table.
		docPaths.set(path.replace(/\{[^}/]+\}/g, '*'),
		    { path, methods: METHODS.filter((m) => item[m]).sort() });
	}
	const code = new Map(routes.map((r) => [r.pattern, r]));
	for (const r of routes) {
		const d = docPaths.get(r.pattern);
		out.result(`route ${r.pattern}`, !d ? ['not in the document'] :
		    d.methods.join() !== r.methods.join() ?
		    [`methods ${r.methods.join(' ')} in lib/core/route.c, ` +
		    `${d.methods.join(' ')} in the document`] : []);
	}
	for (const [pattern, d] of docPaths)
		if (!code.has(pattern))
			out.result(`path ${d.path}`, ['in the document, not in lib/core/route.c']);
}

// ---------------------------------------------------------------------
// Requests.
//
// A planned request: {o (its operation), label, method, pathv, query
// (["name=value", ...]), headers, body, length, expect: {status, code,
// not, success}, good}.  "change" says how it differs from the good
// request:
//   params: {name: {value, raw, omit, fresh, stored}}  parameters set or
//           left out
//   only:   send no optional query parameter but those of "params"
//   body:   {value, raw, ctype, repeat}
//   auth:   null (no credentials), or {req: requirement, wrong: bool}
// expect.success asks for a 2xx.

function planRequest(o, label, change, ctx) {
	const r = { o, label, method: o.method.toUpperCase(), pathv: {},
	    query: [], headers: {}, body: null, length: true,
	    expect: change.expect || {}, good: !!change.good };
	const set = change.params || {};

	for (const p of o.params) {
		let v = { value: goodExample(p), fresh: p['x-fresh-lead'],
		    stored: goodObject(p)['x-stored'] };
		if (p.name in set)
			v = set[p.name];
		else if (change.only && p.in === 'query' && !p.required)
			continue;
		if (v.omit)
			continue;
		const value = v.fresh ? ctx.fresh(v.fresh) :
		    v.stored ? ctx.stored(v.stored) : v.value;
		const enc = v.raw !== undefined ? v.raw :
		    encodeURIComponent(String(value));
		if (p.in === 'path')
			r.pathv[p.name] = enc;
		else if (p.in === 'query')
			r.query.push(`${p.name}=${enc}`);
		else if (p.in === 'header')
			r.headers[p.name] = String(value);
	}
	if (o.op.requestBody) {
		const [ctype, media] = Object.entries(o.op.requestBody.content)[0];
		const b = change.body || { value: storedBody(goodExample(media),
		    goodObject(media)['x-stored'], ctx) };
		const value = b.repeat ? Array(b.repeat).fill(b.value[0]) : b.value;
		r.body = b.raw !== undefined ? b.raw : JSON.stringify(value);
		r.headers['Content-Type'] = b.ctype || ctype;
	}
	const auth = change.auth !== undefined ? change.auth :
	    { req: usableRequirement(o, ctx.secrets), wrong: false };
	if (auth && auth.req)
		applyAuth(r, ctx.api, auth.req, ctx.secrets, auth.wrong);
	return r;
}

// The first security requirement whose every scheme has a secret in this
// run, or null (no credentials are asked for in this run).
function usableRequirement(o, secrets) {
	for (const req of o.security) {
		const names = Object.keys(req);
		if (names.length > 0 && names.every((n) => n in secrets))
			return req;
	}
	return null;
}

function applyAuth(r, api, req, secrets, wrong) {
	for (const name of Object.keys(req)) {
		const s = api.components.securitySchemes[name];
		const value = wrong ? `${secrets[name]}-wrong` : secrets[name];
		if (s.type === 'http' && s.scheme === 'bearer')
			r.headers.Authorization = `Bearer ${value}`;
		else if (s.type === 'apiKey' && s.in === 'header')
			r.headers[s.name] = value;
		else if (s.type === 'apiKey' && s.in === 'query')
			r.query.push(`${s.name}=${encodeURIComponent(value)}`);
		else
			throw new Error(`security scheme ${name}: cannot send it`);
	}
}

// What an Example Object (or a link) asks the walker to expect: its
// x-expect and x-code, or a 2xx when it states no x-expect.
function expectOf(ex) {
	if (ex['x-expect'] === undefined)
		return { success: true };
	return { status: ex['x-expect'], code: ex['x-code'] };
}

// What the good request must get: the x-expect of a good example that
// states one, else a 2xx.
function goodExpect(o) {
	const goods = o.params.map(goodObject);
	if (o.op.requestBody)
		goods.push(goodObject(Object.values(o.op.requestBody.content)[0]));
	return expectOf(goods.find((ex) => ex['x-expect'] !== undefined) || {});
}

// Every request of one operation, in order.
function planOperation(o, ctx) {
	const plan = [planRequest(o, 'good', { good: true,
	    expect: goodExpect(o) }, ctx)];

	// Each parameter's other examples, one request each.
	for (const p of o.params)
		for (const [name, ex] of Object.entries(p.examples || {})) {
			if (name === 'good')
				continue;
			const params = { [p.name]: { value: ex.value, raw: ex['x-raw'],
			    omit: ex['x-omit'], fresh: ex['x-fresh-lead'],
			    stored: ex['x-stored'] } };
			for (const [k, v] of Object.entries(ex['x-with'] || {}))
				params[k] = { value: v };
			plan.push(planRequest(o, `${p.name}:${name}`, { params,
			    only: !!ex['x-only'], expect: expectOf(ex) }, ctx));
		}
	// The request body's other examples.
	if (o.op.requestBody) {
		const media = Object.values(o.op.requestBody.content)[0];
		for (const [name, ex] of Object.entries(media.examples || {})) {
			if (name === 'good')
				continue;
			plan.push(planRequest(o, `body:${name}`, { body: { value:
			    storedBody(ex.value, ex['x-stored'], ctx), raw: ex['x-raw'],
			    ctype: ex['x-content-type'], repeat: ex['x-repeat'] },
			    expect: expectOf(ex) }, ctx));
		}
	}
	// Credentials, where this run's stack enforces them: none is a 401,
	// a wrong one is a 401, every other documented way in is not.
	const usable = o.security.filter((req) => Object.keys(req).length > 0 &&
	    Object.keys(req).every((n) => n in ctx.secrets));
	if (usable.length > 0) {
		plan.push(planRequest(o, 'auth:none', { auth: null,
		    expect: { status: 401, code: 'unauthorized' } }, ctx));
		for (const req of usable) {
			const names = Object.keys(req).join('+');
			plan.push(planRequest(o, `auth:wrong ${names}`, { auth: { req,
			    wrong: true }, expect: { status: 401, code: 'unauthorized' } },
			    ctx));
			plan.push(planRequest(o, `auth:${names}`, { auth: { req,
			    wrong: false }, expect: { ...goodExpect(o), not: [401] } },
			    ctx));
		}
	}
	// What every route shares (lib/web/handle.c, lighttpd).
	const long = planRequest(o, 'query over 4096 bytes', { expect:
	    { status: 400, code: 'bad_request' } }, ctx);
	long.query.push(`pad=${'a'.repeat(QUERY_CAP)}`);
	plan.push(long);
	if (o.method === 'get') {
		// lighttpd refuses a GET with a body itself.
		const body = planRequest(o, 'a body on a GET', { expect:
		    { status: 400, code: 'bad_request' } }, ctx);
		body.body = '{}';
		plan.push(body);
	} else if (o.method !== 'head') {
		const big = planRequest(o, 'body over MAX_BODY_SIZE', { expect:
		    { status: 413, code: 'too_large' } }, ctx);
		big.body = 'x'.repeat(BODY_CAP + 1024);
		big.headers['Content-Type'] = 'application/json';
		plan.push(big);
	}
	if (o.method === 'post') {
		const nolen = planRequest(o, 'no Content-Length', { expect:
		    { status: 411, code: 'bad_request' } }, ctx);
		nolen.body = null;
		nolen.length = false;
		plan.push(nolen);
	}
	return plan;
}

function target(r) {
	const path = r.o.path.replace(/\{([^}/]+)\}/g, (_, n) => r.pathv[n]);
	return r.query.length ? `${path}?${r.query.join('&')}` : path;
}

// ---------------------------------------------------------------------
// Answers.

// Problems with answer "res" to request "r" (empty when it is right).
// Sets r.json to the parsed body.
function checkAnswer(r, res, ctx) {
	const problems = [];
	const responses = r.o.op.responses;
	const resp = responses[String(res.status)];
	const e = r.expect;

	if (!resp)
		return [`status ${res.status} is not documented ` +
		    `(documented: ${Object.keys(responses).join(' ')})`];
	if (e.status !== undefined && ![].concat(e.status).includes(res.status))
		problems.push(`expected status ${e.status}`);
	if (e.not && e.not.includes(res.status))
		problems.push(`status ${res.status} was not expected`);
	if (e.success && (res.status < 200 || res.status > 299))
		problems.push('expected a 2xx (the example states no x-expect)');
	// Documented headers: present when required, of an allowed value.
	for (const [name, h] of Object.entries(resp.headers || {})) {
		const v = res.headers[name.toLowerCase()];
		const sch = h.schema || {};
		if (v === undefined) {
			if (h.required)
				problems.push(`no ${name} header`);
		} else if (sch.enum && !sch.enum.includes(v))
			problems.push(`${name} is "${v}", not one of ${sch.enum.join(' ')}`);
		else if (sch.type === 'integer' && (!/^[0-9]+$/.test(v) ||
		    Number(v) < (sch.minimum ?? 0)))
			problems.push(`${name} is "${v}", not an integer from ` +
			    `${sch.minimum ?? 0}`);
	}
	if (r.method === 'HEAD')
		return problems;
	if (!resp.content) {
		if (res.body.length > 0)
			problems.push('a body where none is documented');
		return problems;
	}
	const ctype = (res.headers['content-type'] || '').split(';')[0].trim()
	    .toLowerCase();
	const media = resp.content[ctype];
	if (!media)
		return [...problems, `content type "${ctype}" is not documented ` +
		    `(documented: ${Object.keys(resp.content).join(' ')})`];
	if (ctype !== 'application/json') {
		if (res.body.length === 0)
			problems.push('empty body');
		return problems;
	}
	try {
		r.json = JSON.parse(res.body.toString('utf8'));
	} catch (err) {
		return [...problems, `the body is not JSON: ${err.message}`];
	}
	const validate = ctx.validator(media.schema);
	if (!validate(r.json))
		problems.push(`the body does not match the schema: ` +
		    ctx.ajv.errorsText(validate.errors, { separator: '; ' }));
	const codes = media['x-codes'];
	if (codes && !codes.includes(r.json.code))
		problems.push(`code "${r.json.code}" is not one of ${codes.join(' ')}`);
	if (e.code !== undefined && r.json.code !== e.code)
		problems.push(`expected code "${e.code}", got "${r.json.code}"`);
	return problems;
}

// The requests the links of the answer to "r" call for.  A link that does
// not resolve is a problem only after the good request.
function linkRequests(r, res, ctx, problems) {
	const resp = r.o.op.responses[String(res.status)];
	const links = [];
	for (const [name, link] of Object.entries((resp && resp.links) || {})) {
		const o = ctx.byId.get(link.operationId);
		if (!o) {
			problems.push(`link ${name}: no operation ${link.operationId}`);
			continue;
		}
		const params = {};
		let ok = r.json !== undefined;
		for (const [p, expr] of Object.entries(link.parameters || {})) {
			const v = ok ? resolveExpr(expr, r.json) : undefined;
			if (v === undefined)
				ok = false;
			params[p] = { value: v };
		}
		const change = { params, only: true, expect: expectOf(link) };
		if (ok && link.requestBody !== undefined) {
			const body = resolveDeep(link.requestBody, r.json);
			if (body === undefined)
				ok = false;
			change.body = { value: body };
		}
		if (!ok) {
			if (r.good)
				problems.push(`link ${name}: does not resolve in the answer`);
			continue;
		}
		links.push(planRequest(o, `link ${name} from ${r.o.op.operationId} ` +
		    `${r.label}`, change, ctx));
	}
	return links;
}

// ---------------------------------------------------------------------
// Output.

function reporter() {
	let n = 0, failed = 0;
	return {
		result(what, problems, extra) {
			n++;
			if (problems.length === 0) {
				console.log(`ok   ${what}`);
				return;
			}
			failed++;
			console.log(`FAIL ${what}: ${problems.join('; ')}` +
			    (extra ? `\n     ${extra}` : ''));
		},
		end() {
			console.log(`${n} checks, ${failed} failed`);
			return failed === 0;
		},
	};
}

// "GET /path (label)", never the query string: it may hold a key.
function describe(r, res) {
	return `${res ? res.status : '---'} ${r.method} ${r.o.path} (${r.label})`;
}

async function run(ctx, r, out, depth = 0) {
	let res;
	try {
		res = await send(ctx.base, { method: r.method, target: target(r),
		    headers: r.headers, body: r.body, length: r.length });
	} catch (err) {
		out.result(describe(r, null), [err.message]);
		return;
	}
	const problems = checkAnswer(r, res, ctx);
	const links = depth < 3 ? linkRequests(r, res, ctx, problems) : [];
	out.result(describe(r, res), problems,
	    problems.length ? `body: ${res.body.toString('utf8', 0, 400)}` : '');
	for (const l of links)
		await run(ctx, l, out, depth + 1);
}

// ---------------------------------------------------------------------
// The modes.

// Fresh lead ids: counted in "needs" mode, taken from --fresh otherwise.
function freshSource(args, counts) {
	if (counts)
		return (spec) => {
			counts.set(spec, (counts.get(spec) || 0) + 1);
			return '0'.repeat(32);
		};
	const pools = new Map();
	return (spec) => {
		if (!pools.has(spec)) {
			const f = `${args.fresh}/${spec.replace(/ /g, '_')}`;
			if (!args.fresh || !fs.existsSync(f))
				throw new Error(`no fresh lead ids for "${spec}" (${f})`);
			pools.set(spec, fs.readFileSync(f, 'utf8').split('\n')
			    .filter(Boolean));
		}
		const id = pools.get(spec).shift();
		if (!id)
			throw new Error(`fresh lead ids for "${spec}" ran out`);
		return id;
	};
}

// The operations of the service (not x-static) to walk: all, or --only.
function walked(ctx) {
	const only = ctx.args.only;
	for (const id of only || [])
		if (!ctx.byId.has(id))
			usage(`--only: no operation ${id}`);
	return ctx.ops.filter((x) => !x.item['x-static'] &&
	    (!only || only.includes(x.op.operationId)));
}

async function modeExamples(ctx, out) {
	for (const o of walked(ctx))
		for (const r of planOperation(o, ctx))
			await run(ctx, r, out);
}

// --count copies of one operation's good request at once: documented 2xx
// and 429 answers, at least one of each.
async function modeBurst(ctx, out) {
	const ops = walked(ctx);
	if (!ctx.args.only || ops.length !== 1)
		usage('burst wants one operation in --only');
	const o = ops[0];
	const ok = Object.keys(o.op.responses).map(Number)
	    .filter((s) => s >= 200 && s <= 299);
	const plan = [];
	for (let i = 0; i < ctx.args.count; i++)
		plan.push(planRequest(o, `burst ${i + 1}`, { good: true,
		    expect: { status: [...ok, 429] } }, ctx));
	const answers = await Promise.all(plan.map((r) => send(ctx.base,
	    { method: r.method, target: target(r), headers: r.headers,
	    body: r.body, length: r.length }).catch((err) => err)));
	const seen = new Set();
	answers.forEach((res, i) => {
		if (res instanceof Error) {
			out.result(describe(plan[i], null), [res.message]);
			return;
		}
		seen.add(res.status);
		const problems = checkAnswer(plan[i], res, ctx);
		out.result(describe(plan[i], res), problems, problems.length ?
		    `body: ${res.body.toString('utf8', 0, 400)}` : '');
	});
	out.result(`${o.method.toUpperCase()} ${o.path}: a 429 among ` +
	    `${plan.length} at once`, seen.has(429) ? [] :
	    ['no 429: is RATE_LIMIT set and RATE_BURST below --count?']);
	out.result(`${o.method.toUpperCase()} ${o.path}: a 2xx among ` +
	    `${plan.length} at once`, ok.some((s) => seen.has(s)) ? [] :
	    ['no 2xx: every request was refused']);
}

// Methods a path does not document: 405 and Allow (404 also for static
// paths, which lighttpd serves).
async function modeMethods(ctx, out, wantStatic) {
	for (const [path, item] of Object.entries(ctx.api.paths)) {
		if (!!item['x-static'] !== wantStatic)
			continue;
		const allowed = METHODS.filter((m) => item[m]);
		const o = ctx.ops.find((x) => x.path === path);
		// The path's parameters from their good examples (never fresh
		// ids: nothing runs).
		const pathv = {};
		for (const p of o.params.filter((x) => x.in === 'path'))
			pathv[p.name] = encodeURIComponent(String(goodExample(p)));
		for (const m of METHODS.filter((x) => !allowed.includes(x))) {
			const r = { o, label: 'undocumented method', method: m.toUpperCase(),
			    pathv, query: [] };
			let res;
			try {
				res = await send(ctx.base, { method: r.method,
				    target: target(r), headers: {}, body: '' });
			} catch (err) {
				out.result(describe(r, null), [err.message]);
				continue;
			}
			out.result(describe(r, res), wantStatic ?
			    staticMethodProblems(res) : methodProblems(res, allowed, m));
		}
	}
}

function methodProblems(res, allowed, m) {
	const problems = [];
	if (res.status !== 405)
		return [`expected 405, got ${res.status}`];
	const allow = (res.headers.allow || '').split(',').map((s) => s.trim())
	    .filter(Boolean).sort().join(', ');
	const want = allowed.map((x) => x.toUpperCase()).sort().join(', ');
	if (allow !== want)
		problems.push(`Allow is "${allow}", the document says "${want}"`);
	if (m !== 'head') {
		let body;
		try {
			body = JSON.parse(res.body.toString('utf8'));
		} catch (err) {
			return [...problems, 'the body is not JSON'];
		}
		if (body.code !== 'method_not_allowed' || typeof body.error !== 'string')
			problems.push('the body is not the method_not_allowed error');
	}
	return problems;
}

function staticMethodProblems(res) {
	return [404, 405].includes(res.status) ? [] :
	    [`expected 404 or 405, got ${res.status}`];
}

// Static paths: their operations, and the document served as committed.
// (Their other methods: modeMethods(ctx, out, true).)
async function modeStatic(ctx, out) {
	for (const o of ctx.ops.filter((x) => x.item['x-static'])) {
		const r = planRequest(o, 'good', { good: true }, ctx);
		let res;
		try {
			res = await send(ctx.base, { method: r.method, target: target(r),
			    headers: r.headers, body: null });
		} catch (err) {
			out.result(describe(r, null), [err.message]);
			continue;
		}
		const problems = checkAnswer(r, res, ctx);
		const ctype = (res.headers['content-type'] || '').split(';')[0].trim();
		if (r.method === 'GET' && /yaml/.test(ctype) &&
		    !res.body.equals(fs.readFileSync(ctx.args.doc)))
			problems.push(`the document served is not ${ctx.args.doc}`);
		out.result(describe(r, res), problems);
	}
}

async function main() {
	const args = parseArgs(process.argv.slice(2));
	const raw = yaml.load(fs.readFileSync(args.doc, 'utf8'));
	const api = await SwaggerParser.dereference(raw);
	const out = reporter();
	const ajv = new Ajv({ strict: false, allErrors: true });
	const cache = new WeakMap();
	addFormats(ajv);

	const counts = args.mode === 'needs' ? new Map() : null;
	const ctx = {
		args, api, ajv, base: args.base, secrets: args.secrets,
		ops: operations(api), fresh: freshSource(args, counts),
		byId: new Map(),
		// A value of the stored person (x-stored); needs mode sends
		// nothing.
		stored(key) {
			if (counts)
				return '';
			const v = (args.stored || {})[key];
			if (typeof v !== 'string' || v === '')
				throw new Error(`an example wants the stored ` +
				    `person's ${key}: give it in --stored`);
			return v;
		},
		validator(schema) {
			if (!cache.has(schema))
				cache.set(schema, ajv.compile(schema));
			return cache.get(schema);
		},
	};
	for (const o of ctx.ops)
		ctx.byId.set(o.op.operationId, o);
	if (!['operations', 'table', 'needs'].includes(args.mode) && !args.base)
		usage(`${args.mode} needs --base`);

	switch (args.mode) {
	case 'operations':
		for (const o of ctx.ops)
			console.log(`${o.method.toUpperCase()} ${o.path}`);
		return;
	case 'table':
		if (!args.routes)
			usage('table needs --routes');
		checkTable(api, routeTable(args.routes), out);
		break;
	case 'needs':
		for (const o of walked(ctx))
			planOperation(o, ctx);
		for (const [spec, n] of counts)
			console.log(`${n} ${spec}`);
		return;
	case 'examples':
		await modeExamples(ctx, out);
		break;
	case 'burst':
		await modeBurst(ctx, out);
		break;
	case 'methods':
		await modeMethods(ctx, out, false);
		break;
	case 'static':
		await modeStatic(ctx, out);
		break;
	case 'static-methods':
		await modeMethods(ctx, out, true);
		break;
	}
	process.exit(out.end() ? 0 : 1);
}

main().catch((err) => {
	console.error(`walk.js: ${err.stack || err.message}`);
	process.exit(1);
});

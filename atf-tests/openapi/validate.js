#!/usr/bin/env node
// validate.js -- is web/api-docs/openapi.yml a valid OpenAPI document, and
// does it keep the house rules the walker relies on?
//
//   node validate.js FILE
//
// First @apidevtools/swagger-parser validates the document against the
// OpenAPI schema and resolves every $ref.  Then the house rules:
//   - every operation has an operationId, a summary and a tag;
//   - every parameter and every request body has a good example
//     (`example`, or `examples.good`), which the walker sends;
//   - every operation of the service (not x-static) documents 400, 413
//     and 503, which any route can answer (lib/web/handle.c), its 503 listing
//     out_of_memory when it has a body, and 429 but on /health, which is
//     never rate limited; every POST documents 411; every operation with a
//     key or secret documents 401;
//   - every JSON error answer (4xx, 5xx) requires "error" and "code" and
//     lists its codes in x-codes, each of which its schema admits as
//     "code" (the Error schema's enum, say).
// Prints "valid: N paths, M operations" and exits 0, or prints each
// problem and exits 1.
'use strict';

const SwaggerParser = require('@apidevtools/swagger-parser');

const METHODS = ['get', 'head', 'post', 'put', 'delete', 'patch', 'options'];

// The good example of a parameter or a media type, or undefined.
function goodExample(o) {
	if (o.example !== undefined)
		return o.example;
	if (o.examples && o.examples.good)
		return o.examples.good.value;
	return undefined;
}

// Does every value "schema" admits have "error" and "code"?
function requiresErrorAndCode(schema) {
	if (!schema)
		return false;
	const req = schema.required || [];
	if (req.includes('error') && req.includes('code'))
		return true;
	if (schema.allOf && schema.allOf.some(requiresErrorAndCode))
		return true;
	for (const k of ['anyOf', 'oneOf'])
		if (schema[k] && schema[k].every(requiresErrorAndCode))
			return true;
	return false;
}

// Does "schema" admit "code" as the value of its member "code"?  An
// allOf admits what every part admits, an anyOf or oneOf what one part
// admits; a schema without "code" among its properties admits anything
// unless additionalProperties is false.
function admitsCode(schema, code) {
	if (!schema)
		return true;
	if (schema.allOf && !schema.allOf.every((s) => admitsCode(s, code)))
		return false;
	for (const k of ['anyOf', 'oneOf'])
		if (schema[k] && !schema[k].some((s) => admitsCode(s, code)))
			return false;
	const p = (schema.properties || {}).code;
	if (p === undefined)
		return schema.additionalProperties !== false;
	if (p.enum)
		return p.enum.includes(code);
	return p.type === undefined || p.type === 'string';
}

function houseRules(api) {
	const problems = [];
	let nops = 0;

	for (const [path, item] of Object.entries(api.paths)) {
		for (const method of METHODS) {
			const op = item[method];
			if (!op)
				continue;
			nops++;
			const where = `${method.toUpperCase()} ${path}`;
			const say = (msg) => problems.push(`${where}: ${msg}`);
			const statuses = Object.keys(op.responses);
			const security = op.security || api.security || [];

			if (!op.operationId || !op.summary || !(op.tags || []).length)
				say('needs an operationId, a summary and a tag');
			for (const p of [...(item.parameters || []), ...(op.parameters || [])])
				if (goodExample(p) === undefined)
					say(`parameter ${p.name} has no good example`);
			for (const [type, media] of Object.entries(op.requestBody ?
			    op.requestBody.content : {}))
				if (goodExample(media) === undefined)
					say(`request body ${type} has no good example`);
			if (!item['x-static']) {
				for (const s of ['400', '413', '503'])
					if (!statuses.includes(s))
						say(`does not document ${s}`);
				if (path !== '/health' && !statuses.includes('429'))
					say('does not document 429');
				const oom = ((op.responses['503'] || {}).content || {})[
				    'application/json'];
				if (oom && !(oom['x-codes'] || []).includes('out_of_memory'))
					say('503: x-codes does not list out_of_memory');
			}
			if (method === 'post' && !statuses.includes('411'))
				say('does not document 411');
			if (security.some((r) => Object.keys(r).length > 0) &&
			    !statuses.includes('401'))
				say('takes a key but does not document 401');
			for (const s of statuses) {
				const json = ((op.responses[s].content || {})['application/json']);
				if (Number(s) < 400 || !json)
					continue;
				if (!requiresErrorAndCode(json.schema))
					say(`${s}: the schema does not require error and code`);
				if (!Array.isArray(json['x-codes']) || !json['x-codes'].length)
					say(`${s}: no x-codes`);
				for (const c of json['x-codes'] || [])
					if (!admitsCode(json.schema, c))
						say(`${s}: x-codes has ${c}, which the ` +
						    'schema does not admit as code');
			}
		}
	}
	return { problems, nops };
}

async function main() {
	const file = process.argv[2];
	if (!file) {
		console.error('usage: node validate.js FILE');
		process.exit(2);
	}
	let api;
	try {
		api = await SwaggerParser.validate(file);
	} catch (e) {
		console.error(`invalid: ${e.message}`);
		process.exit(1);
	}
	const { problems, nops } = houseRules(api);
	for (const p of problems)
		console.error(`house rule: ${p}`);
	if (problems.length)
		process.exit(1);
	console.log(`valid: ${Object.keys(api.paths).length} paths, ${nops} operations`);
}

main();

// atf-tests/browser.mjs -- the browser driver of web_test: loads one page in
// Debian's headless Chromium through playwright-core (from web/node_modules)
// and reports what a person's browser would have shown and logged.
//
// Usage:
//   node browser.mjs URL --wait SELECTOR --screenshot FILE
//        [--eval NAME=EXPRESSION]... [--fulfill PATH=STATUS:FILE]...
//        [--timeout MS]
//
// It waits for SELECTOR, evaluates each EXPRESSION in the page, writes a
// full-page screenshot to FILE, and prints one JSON report on stdout:
//   waited        true when SELECTOR appeared within the timeout
//   wait_error    why not, otherwise null
//   console       console messages of type error or warning {type,text,url}
//   page_errors   uncaught exceptions and rejections in the page
//   failed_requests  requests that got no answer {url,error}
//   http_errors   answers with a status >= 400 {url,status}
//   requests      every URL the page asked for
//   off_host      URLs outside the page's origin (blocked, never sent)
//   values        NAME -> the EXPRESSION's value (or {"error": text})
//   screenshot    FILE
// --fulfill answers requests for PATH (the path part of the URL) itself,
// with STATUS and FILE's content as application/json: a broken backend.
// Exits 0 when the report was written, 2 on bad usage, 3 when the browser
// could not run.  Asserting on the report is the test's job.

import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const CHROMIUM = process.env.C2S_CHROMIUM || '/usr/bin/chromium';
// Without the background-networking flags Chromium tries to reach
// Google's hosts at every start; nothing but loopback is reachable here.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync'];

function usage(msg) {
	process.stderr.write(`browser.mjs: ${msg}\n` +
	    'usage: node browser.mjs URL --wait SELECTOR --screenshot FILE ' +
	    '[--eval NAME=EXPR]... [--fulfill PATH=STATUS:FILE]... [--timeout MS]\n');
	process.exit(2);
}

function parseArgs(argv) {
	const o = { url: null, wait: null, screenshot: null, evals: [],
	    fulfill: new Map(), timeout: 20000 };
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length)
				usage(`${a} needs a value`);
			return argv[++i];
		};
		if (a === '--wait') {
			o.wait = val();
		} else if (a === '--screenshot') {
			o.screenshot = val();
		} else if (a === '--timeout') {
			o.timeout = Number(val());
		} else if (a === '--eval') {
			const v = val(), eq = v.indexOf('=');
			if (eq < 1)
				usage(`--eval wants NAME=EXPRESSION, not ${v}`);
			o.evals.push([v.slice(0, eq), v.slice(eq + 1)]);
		} else if (a === '--fulfill') {
			const m = /^(\/[^=]*)=([0-9]{3}):(.+)$/.exec(val());
			if (!m)
				usage('--fulfill wants PATH=STATUS:FILE');
			o.fulfill.set(m[1], { status: Number(m[2]),
			    body: readFileSync(m[3]) });
		} else if (!a.startsWith('--') && o.url === null) {
			o.url = a;
		} else {
			usage(`unknown argument ${a}`);
		}
	}
	if (!o.url || !o.wait || !o.screenshot)
		usage('URL, --wait and --screenshot are required');
	if (!(o.timeout > 0))
		usage('--timeout wants milliseconds');
	return o;
}

async function run(o) {
	const origin = new URL(o.url).origin;
	const report = { url: o.url, waited: false, wait_error: null,
	    console: [], page_errors: [], failed_requests: [], http_errors: [],
	    requests: [], off_host: [], values: {}, screenshot: o.screenshot };
	const profile = mkdtempSync(join(tmpdir(), 'c2s-browser-'));
	let context;

	try {
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM, headless: true, args: ARGS,
			viewport: { width: 1280, height: 900 }, timeout: o.timeout,
		});
		const page = context.pages()[0] || await context.newPage();

		page.on('console', (m) => {
			if (m.type() === 'error' || m.type() === 'warning')
				report.console.push({ type: m.type(), text: m.text(),
				    url: m.location().url || null });
		});
		page.on('pageerror', (e) => report.page_errors.push(String(e)));
		page.on('requestfailed', (r) => report.failed_requests.push(
		    { url: r.url(), error: r.failure()?.errorText ?? null }));
		page.on('response', (r) => {
			if (r.status() >= 400)
				report.http_errors.push({ url: r.url(),
				    status: r.status() });
		});
		await page.route('**/*', (route) => {
			const u = new URL(route.request().url());
			report.requests.push(u.href);
			if (u.protocol === 'data:' || u.protocol === 'blob:')
				return route.continue();
			if (u.origin !== origin) {
				report.off_host.push(u.href);
				return route.abort('blockedbyclient');
			}
			const f = o.fulfill.get(u.pathname);
			if (f)
				return route.fulfill({ status: f.status,
				    contentType: 'application/json', body: f.body });
			return route.continue();
		});

		await page.goto(o.url, { timeout: o.timeout });
		try {
			await page.waitForSelector(o.wait, { timeout: o.timeout });
			report.waited = true;
		} catch (e) {
			report.wait_error = String(e.message || e).split('\n')[0];
		}
		// Let late requests (and their errors) arrive before judging.
		await page.waitForLoadState('networkidle', { timeout: 5000 })
		    .catch(() => {});
		for (const [name, expr] of o.evals) {
			try {
				report.values[name] = await page.evaluate(expr);
			} catch (e) {
				report.values[name] = { error: String(e.message || e) };
			}
		}
		await page.screenshot({ path: o.screenshot, fullPage: true });
	} finally {
		if (context)
			await context.close().catch(() => {});
		rmSync(profile, { recursive: true, force: true });
	}
	return report;
}

const opts = parseArgs(process.argv.slice(2));
// A browser that hangs must not hang the test: kyua's timeout is longer.
const guard = setTimeout(() => {
	process.stderr.write('browser.mjs: gave up after 90 s\n');
	process.exit(3);
}, 90000);
try {
	const report = await run(opts);
	process.stdout.write(JSON.stringify(report, null, 1) + '\n');
	clearTimeout(guard);
} catch (e) {
	process.stderr.write(`browser.mjs: ${e.stack || e}\n`);
	process.exit(3);
}

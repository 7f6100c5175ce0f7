/*
 * web/status/status.js -- fills the status page (index.html beside it)
 * from GET /api/v1/stats and GET /ready, and again every 30 s, with the
 * machine's counters
 *
 * and GET /metrics (upstream calls, processes, memory, duplicates).
 *
 * It owns: fetching them (with a time limit), drawing the 7-day outcome
 * chart as inline SVG, the tables, and the error message shown when the
 * stats cannot be had.  A failed fetch never throws: the page says what
 * went wrong, keeps the last numbers it had (marked stale) and tries again
 * at the next refresh.  Text from the server is set with textContent only.
 * Numbers carry data-stat attributes naming their place in the stats JSON,
 * for the browser tests.
 */
(function () {
	'use strict';

	var REFRESH_MS = 30000;
	var FETCH_TIMEOUT_MS = 10000;
	var KEY_STORE = 'c2s-enrich.api-key';

	/* Relative to /status/, so the page also works under a path prefix. */
	var STATS_URL = new URL('../api/v1/stats', document.baseURI).href;
	var READY_URL = new URL('../ready', document.baseURI).href;
	var METRICS_URL = new URL('../metrics', document.baseURI).href;
	/* The upstreams of /api/v1/stats, by the api label of /metrics. */
	var METRIC_API = {c2s: 'c2s', diretrix: 'diretrix', work_api: 'work'};
	/* Upstream outcomes that count as a failure of the upstream. */
	var UP_FAILED = ['provider_down', 'bad_response', 'deadline'];

	/* Lead outcomes in the order they are stacked, bottom first. */
	var OUTCOMES = ['completed', 'basic', 'partial', 'unenriched',
	    'invalid_contact', 'failed'];
	var LABELS = {
		received: 'received', processing: 'processing',
		completed: 'completed', partial: 'partial', basic: 'basic',
		unenriched: 'unenriched', invalid_contact: 'invalid contact',
		failed: 'failed', other: 'in progress',
		api: 'API', webhook: 'C2S webhook', poller: 'poller',
		google_ads: 'Google Ads', retry: 'retry', backfill: 'backfill',
		c2s: 'C2S', diretrix: 'Diretrix', work_api: 'Work API'
	};
	var SVGNS = 'http://www.w3.org/2000/svg';

	var timer = null;
	var busy = false;
	var memKey = '';	/* the API key, where sessionStorage is refused */

	/* ---- small helpers ---- */

	function $(id) {
		return document.getElementById(id);
	}

	function label(k) {
		return Object.prototype.hasOwnProperty.call(LABELS, k) ?
		    LABELS[k] : String(k).replace(/_/g, ' ');
	}

	/* el('td', {class: 'x'}, 'text', child...): an element; strings
	 * become text nodes, null children are skipped. */
	function el(tag, attrs) {
		var e = document.createElement(tag), k, i, c;

		for (k in attrs || {})
			if (attrs[k] !== null && attrs[k] !== undefined)
				e.setAttribute(k, attrs[k]);
		for (i = 2; i < arguments.length; i++) {
			c = arguments[i];
			if (c === null || c === undefined)
				continue;
			e.appendChild(typeof c === 'object' ? c :
			    document.createTextNode(String(c)));
		}
		return e;
	}

	function svg(tag, attrs, text) {
		var e = document.createElementNS(SVGNS, tag), k;

		for (k in attrs)
			e.setAttribute(k, attrs[k]);
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	function num(v) {
		return typeof v === 'number' && isFinite(v) ? v : null;
	}

	function obj(v) {
		return v !== null && typeof v === 'object' && !Array.isArray(v) ?
		    v : {};
	}

	function fmtInt(v) {
		v = num(v);
		return v === null ? '—' : Math.round(v).toLocaleString('en-US');
	}

	function fmtRate(v) {
		v = num(v);
		return v === null ? '—' : (v * 100).toFixed(1) + ' %';
	}

	function pad2(n) {
		return (n < 10 ? '0' : '') + n;
	}

	/* A timestamp as local "YYYY-MM-DD HH:MM" plus how far from now. */
	function fmtTime(ts) {
		var d, diff, a, s;

		if (ts === null || ts === undefined || ts === '')
			return '—';
		d = new Date(ts);
		if (isNaN(d.getTime()))
			return String(ts);
		s = d.getFullYear() + '-' + pad2(d.getMonth() + 1) + '-' +
		    pad2(d.getDate()) + ' ' + pad2(d.getHours()) + ':' +
		    pad2(d.getMinutes());
		diff = (d.getTime() - Date.now()) / 1000;
		a = Math.abs(diff);
		if (a < 60)
			return s + ' (now)';
		a = a < 3600 ? Math.round(a / 60) + ' min' :
		    a < 172800 ? Math.round(a / 3600) + ' h' :
		    Math.round(a / 86400) + ' d';
		return s + (diff > 0 ? ' (in ' + a + ')' : ' (' + a + ' ago)');
	}

	/* Every element whose data-stat is "path" gets "text". */
	function setStat(path, text) {
		var list = document.querySelectorAll('[data-stat="' + path + '"]');
		var i;

		for (i = 0; i < list.length; i++)
			list[i].textContent = text;
	}

	function clear(node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return node;
	}

	/* Rows of a two-column table: [label (text or node), value,
	 * data-stat, class]. */
	function fillKv(table, rows) {
		var body = clear(table.tBodies[0]);

		rows.forEach(function (r) {
			body.appendChild(el('tr', {class: r[3] || null},
			    el('th', {scope: 'row'}, r[0]),
			    el('td', {'data-stat': r[2] || null}, r[1])));
		});
	}

	/* ---- fetching ---- */

	/* The API key typed into the form (shown on a 401), if any. */
	function apiKey() {
		try {
			return window.sessionStorage.getItem(KEY_STORE) || memKey;
		} catch (e) {
			return memKey;
		}
	}

	/*
	 * GET url as JSON within FETCH_TIMEOUT_MS.  Resolves to
	 * {ok, status, body, error}: never rejects.  body is the parsed JSON or
	 * null; error says why ok is false.
	 */
	function getJson(url, withKey) {
		var ctl = new AbortController();
		var t = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT_MS);
		var headers = {Accept: 'application/json'};

		if (withKey && apiKey())
			headers['X-API-Key'] = apiKey();
		return fetch(url, {headers: headers, signal: ctl.signal,
		    cache: 'no-store', credentials: 'same-origin'})
		    .then(function (r) {
			return r.text().then(function (text) {
				var body = null;

				try {
					body = JSON.parse(text);
				} catch (e) {
					body = null;
				}
				return {ok: r.ok && body !== null, status: r.status,
				    body: body,
				    error: r.ok && body === null ?
				    'the answer is not JSON' : null};
			});
		    }, function (e) {
			return {ok: false, status: 0, body: null,
			    error: e && e.name === 'AbortError' ?
			    'no answer within ' + FETCH_TIMEOUT_MS / 1000 + ' s' :
			    'network error'};
		    })
		    .finally(function () { clearTimeout(t); });
	}

	/*
	 * GET /metrics (Prometheus text, the whole machine) within
	 * FETCH_TIMEOUT_MS.  Resolves to {ok, status, series, error}, series
	 * being [{name, labels: {k: v}, value}]; never rejects.
	 */
	function loadMetrics() {
		var ctl = new AbortController();
		var t = setTimeout(function () { ctl.abort(); }, FETCH_TIMEOUT_MS);
		var headers = {Accept: 'text/plain'};

		if (apiKey())
			headers['X-API-Key'] = apiKey();
		return fetch(METRICS_URL, {headers: headers, signal: ctl.signal,
		    cache: 'no-store', credentials: 'same-origin'})
		    .then(function (r) {
			return r.text().then(function (text) {
				return {ok: r.ok, status: r.status,
				    series: r.ok ? parseMetrics(text) : [],
				    error: r.ok ? null : 'HTTP ' + r.status};
			});
		    }, function () {
			return {ok: false, status: 0, series: [],
			    error: 'no answer'};
		    })
		    .finally(function () { clearTimeout(t); });
	}

	/* 'name{a="b",c="d"} 12' lines into series; comments skipped. */
	function parseMetrics(text) {
		var out = [];

		text.split('\n').forEach(function (line) {
			var m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
			    .exec(line), labels = {}, re = /(\w+)="((?:[^"\\]|\\.)*)"/g,
			    l;

			if (!m)
				return;
			while ((l = re.exec(m[2] || '')) !== null)
				labels[l[1]] = l[2];
			out.push({name: m[1], labels: labels, value: Number(m[3])});
		});
		return out;
	}

	/* The sum of the series "name" whose labels include "want". */
	function msum(series, name, want) {
		return series.reduce(function (acc, x) {
			var k;

			if (x.name !== name)
				return acc;
			for (k in want || {})
				if (x.labels[k] !== want[k])
					return acc;
			return acc + x.value;
		}, 0);
	}

	/* ---- rendering ---- */

	function renderLeads(s) {
		var leads = obj(s.leads), by = obj(leads.by_status);
		var src = obj(leads.by_source);
		var daily = Array.isArray(s.daily) ? s.daily : [];
		var today = obj(daily[daily.length - 1]);
		var keys;

		setStat('leads.total', fmtInt(leads.total));
		setStat('enrichment_rate.today.leads',
		    fmtInt(obj(obj(s.enrichment_rate).today).leads));
		setStat('daily.today.completed', fmtInt(today.completed));
		setStat('retryable.count', fmtInt(obj(s.retryable).count));
		setStat('failed.count', fmtInt(obj(s.failed).count));

		keys = ['received', 'processing'].concat(OUTCOMES);
		Object.keys(by).forEach(function (k) {
			if (keys.indexOf(k) < 0)
				keys.push(k);
		});
		fillKv($('by-status'), keys.map(function (k) {
			var sw = OUTCOMES.indexOf(k) < 0 ? 'other' : k;

			return [el('span', {}, el('span', {class: 'swatch o-' + sw}),
			    label(k)), fmtInt(by[k]), 'leads.by_status.' + k];
		}));
		keys = ['api', 'webhook', 'poller', 'google_ads', 'retry',
		    'backfill'];
		Object.keys(src).forEach(function (k) {
			if (keys.indexOf(k) < 0)
				keys.push(k);
		});
		fillKv($('by-source'), keys.map(function (k) {
			return [label(k), fmtInt(src[k]), 'leads.by_source.' + k];
		}));
	}

	/* A round upper bound for the chart's axis: 1, 2 or 5 times 10^k. */
	function niceMax(m) {
		var p = 1, f;

		if (m <= 4)
			return 4;
		while (p * 10 <= m)
			p *= 10;
		f = m / p;
		return (f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
	}

	function dayParts(day) {
		var d = obj(day), parts = [], sum = 0, total = num(d.total);

		OUTCOMES.forEach(function (k) {
			var n = num(d[k]) || 0;

			parts.push({key: k, n: n});
			sum += n;
		});
		/* Leads received or still processing: total minus outcomes. */
		parts.push({key: 'other',
		    n: total !== null && total > sum ? total - sum : 0});
		return {date: String(d.date || ''), parts: parts,
		    total: total !== null && total > sum ? total : sum};
	}

	function dayLabel(date, last) {
		var d = new Date(date + 'T00:00:00Z');

		if (isNaN(d.getTime()))
			return [date, ''];
		return [last ? 'today' :
		    ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()],
		    date.slice(5)];
	}

	/* Stacked bars, one group (class "day") per entry of stats.daily. */
	function renderChart(daily) {
		var chart = clear($('chart'));
		var W = 720, H = 260, L = 44, R = 8, T = 12, B = 44;
		var days = daily.map(dayParts);
		var max = niceMax(Math.max.apply(null, [0].concat(
		    days.map(function (d) { return d.total; }))));
		var band = (W - L - R) / Math.max(days.length, 1);
		var barW = Math.min(band * 0.62, 64);
		var i, y, v;

		function yOf(n) {
			return T + (H - T - B) * (1 - n / max);
		}

		for (i = 0; i <= 4; i++) {
			v = max * i / 4;
			y = yOf(v);
			chart.appendChild(svg('line', {x1: L, x2: W - R, y1: y, y2: y,
			    class: i ? 'gridline' : 'axis'}));
			chart.appendChild(svg('text', {x: L - 6, y: y + 4,
			    class: 'tick', 'text-anchor': 'end'},
			    Number.isInteger(v) ? String(v) : v.toFixed(1)));
		}
		days.forEach(function (d, di) {
			var g = svg('g', {class: 'day', 'data-date': d.date,
			    'data-total': d.total});
			var x = L + di * band + (band - barW) / 2;
			var base = 0;
			var lab = dayLabel(d.date, di === days.length - 1);

			d.parts.forEach(function (p) {
				var r;

				if (p.n <= 0)
					return;
				r = svg('rect', {x: x, width: barW,
				    y: yOf(base + p.n), height: yOf(base) - yOf(base + p.n),
				    class: 'o-' + p.key, 'data-outcome': p.key,
				    'data-count': p.n});
				r.appendChild(svg('title', {},
				    d.date + ' ' + label(p.key) + ': ' + p.n));
				g.appendChild(r);
				base += p.n;
			});
			if (d.total > 0)
				g.appendChild(svg('text', {x: x + barW / 2,
				    y: yOf(d.total) - 4, class: 'bar-total',
				    'text-anchor': 'middle'}, String(d.total)));
			g.appendChild(svg('text', {x: x + barW / 2, y: H - B + 16,
			    class: 'day-label', 'text-anchor': 'middle'}, lab[0]));
			g.appendChild(svg('text', {x: x + barW / 2, y: H - B + 31,
			    class: 'day-date', 'text-anchor': 'middle'}, lab[1]));
			chart.appendChild(g);
		});
		if (!days.some(function (d) { return d.total > 0; }))
			chart.appendChild(svg('text', {x: (W + L) / 2, y: H / 2,
			    class: 'empty', 'text-anchor': 'middle'},
			    'no leads in these 7 days'));
	}

	function renderLegend() {
		var ul = clear($('legend'));

		OUTCOMES.concat(['other']).forEach(function (k) {
			ul.appendChild(el('li', {},
			    el('span', {class: 'swatch o-' + k}), label(k)));
		});
	}

	/* The chart's numbers as a table: a row per outcome, a column per day. */
	function renderDailyTable(daily) {
		var t = $('daily-table');
		var days = daily.map(dayParts);
		var head = el('tr', {}, el('th', {}, 'outcome'));
		var body = clear(t.tBodies[0]);
		var keys = OUTCOMES.concat(['other']);

		days.forEach(function (d, i) {
			head.appendChild(el('th', {scope: 'col'},
			    dayLabel(d.date, i === days.length - 1).join(' ')));
		});
		clear(t.tHead).appendChild(head);
		keys.forEach(function (k, ki) {
			var tr = el('tr', {'data-outcome': k},
			    el('th', {scope: 'row'},
			    el('span', {class: 'swatch o-' + k}), label(k)));

			days.forEach(function (d, di) {
				tr.appendChild(el('td', {'data-stat':
				    'daily.' + di + '.' + k}, fmtInt(d.parts[ki].n)));
			});
			body.appendChild(tr);
		});
		body.appendChild(days.reduce(function (tr, d, di) {
			tr.appendChild(el('td', {'data-stat': 'daily.' + di + '.total'},
			    fmtInt(d.total)));
			return tr;
		}, el('tr', {class: 'total'}, el('th', {scope: 'row'}, 'total'))));
	}

	function renderRates(s) {
		var er = obj(s.enrichment_rate);
		var body = clear($('rate-table').tBodies[0]);

		[['today', 'today'], ['last_7_days', 'last 7 days'],
		    ['all_time', 'all time']].forEach(function (p) {
			var r = obj(er[p[0]]), base = 'enrichment_rate.' + p[0] + '.';

			body.appendChild(el('tr', {},
			    el('th', {scope: 'row'}, p[1]),
			    el('td', {'data-stat': base + 'leads'}, fmtInt(r.leads)),
			    el('td', {'data-stat': base + 'enriched'},
			    fmtInt(r.enriched)),
			    el('td', {'data-stat': base + 'with_cpf'},
			    fmtInt(r.with_cpf)),
			    el('td', {'data-stat': base + 'rate'}, fmtRate(r.rate))));
		});
	}

	/* The hit rate of the CPF discovery, tier by tier (tiers). */
	function renderTiers(s) {
		var t = obj(s.tiers), by = obj(t.by_tier);
		var body = clear($('tier-table').tBodies[0]);

		setStat('tiers.found', fmtInt(t.found));
		setStat('tiers.stored_share', fmtRate(t.stored_share));
		[['stored', 'stored contacts (free)'],
		    ['work_phone', 'Work API by phone'],
		    ['diretrix_phone', 'Diretrix by phone'],
		    ['diretrix_email', 'Diretrix by e-mail']].forEach(function (p) {
			var r = obj(by[p[0]]), base = 'tiers.by_tier.' + p[0] + '.';
			var sc = num(r.name_score_avg);

			body.appendChild(el('tr', {},
			    el('th', {scope: 'row'}, p[1]),
			    el('td', {'data-stat': base + 'leads'}, fmtInt(r.leads)),
			    el('td', {'data-stat': base + 'share'},
			    fmtRate(r.share)),
			    el('td', {'data-stat': base + 'name_score_avg'},
			    sc === null ? '—' : sc.toFixed(1))));
		});
	}

	function renderLeadList(table, list, empty) {
		var body = clear(table.tBodies[0]);

		clear(table.tHead).appendChild(el('tr', {},
		    el('th', {}, 'lead'), el('th', {}, 'status'),
		    el('th', {}, 'retries'), el('th', {}, 'next retry'),
		    el('th', {}, 'last error'), el('th', {}, 'updated')));
		list = Array.isArray(list) ? list : [];
		if (!list.length) {
			body.appendChild(el('tr', {class: 'none'},
			    el('td', {colspan: 6}, empty)));
			return;
		}
		list.forEach(function (x) {
			x = obj(x);
			body.appendChild(el('tr', {class: 'lead'},
			    el('td', {class: 'mono'}, String(x.lead_id || '—')),
			    el('td', {class: 'o-text-' + x.status},
			    label(x.status || '—')),
			    el('td', {}, fmtInt(x.retries)),
			    el('td', {}, fmtTime(x.next_retry_at)),
			    x.last_error ? el('td', {class: 'err'},
			    String(x.last_error)) : el('td', {class: 'muted'}, '—'),
			    el('td', {}, fmtTime(x.updated_at))));
		});
	}

	/* The newest invalid webhook events: why, and the keys that came. */
	function renderInvalidWebhooks(iw) {
		var table = $('invalid-webhooks'), body = clear(table.tBodies[0]);
		var list = Array.isArray(iw.recent) ? iw.recent : [];

		setStat('invalid_webhooks.count', fmtInt(iw.count));
		clear(table.tHead).appendChild(el('tr', {},
		    el('th', {}, 'event'), el('th', {}, 'received'),
		    el('th', {}, 'hook_action'), el('th', {}, 'why'),
		    el('th', {}, 'keys sent')));
		if (!list.length) {
			body.appendChild(el('tr', {class: 'none'},
			    el('td', {colspan: 5}, 'no invalid event')));
			return;
		}
		list.forEach(function (x) {
			x = obj(x);
			body.appendChild(el('tr', {class: 'event'},
			    el('td', {class: 'mono'}, String(x.id)),
			    el('td', {}, fmtTime(x.received_at)),
			    el('td', {class: 'mono'}, String(x.hook_action || '—')),
			    el('td', {class: 'err'}, String(x.error || '—')),
			    el('td', {class: 'mono'}, Array.isArray(x.keys) ?
			    x.keys.join(', ') : '—')));
		});
	}

	function renderSavings(s) {
		var sv = obj(s.saved), jobs = obj(s.jobs);
		var fetched = num(sv.dossiers_fetched), reused = num(sv.dossiers_reused);
		var share = fetched !== null && reused !== null &&
		    fetched + reused > 0 ? reused / (fetched + reused) : null;

		fillKv($('saved'), [
			['dossiers reused (Work API calls not paid)',
			    fmtInt(reused), 'saved.dossiers_reused'],
			['dossiers fetched', fmtInt(fetched), 'saved.dossiers_fetched'],
			['share reused', fmtRate(share), null],
			['webhook events', fmtInt(sv.webhook_events),
			    'saved.webhook_events'],
			['webhook events merged into a queued job',
			    fmtInt(sv.webhook_events_merged),
			    'saved.webhook_events_merged']
		]);
		fillKv($('jobs'), ['queued', 'running', 'done', 'failed'].map(
		    function (k) {
			return [k, fmtInt(jobs[k]), 'jobs.' + k];
		    }));
	}

	function renderUpstreams(s, met) {
		var up = obj(s.upstreams);
		var names = ['c2s', 'diretrix', 'work_api'];
		var body = clear($('upstreams').tBodies[0]);
		var series = met && met.ok ? met.series : null;

		/* Calls and failures since the machine's file was made. */
		function calls(k, failed) {
			var api = METRIC_API[k], n = 0;

			if (series === null || api === undefined)
				return '—';
			(failed ? UP_FAILED : [null]).forEach(function (o) {
				var want = {api: api};

				if (o !== null)
					want.outcome = o;
				n += msum(series, 'c2s_upstream_calls_total', want);
			});
			return fmtInt(n);
		}

		Object.keys(up).forEach(function (k) {
			if (names.indexOf(k) < 0)
				names.push(k);
		});
		names.forEach(function (k) {
			var u = obj(up[k]), n = num(u.errors_1h);
			var st = n === null ? 'unknown' : n > 0 ? 'errors' : 'ok';

			body.appendChild(el('tr', {'data-upstream': k},
			    el('th', {scope: 'row'}, label(k)),
			    el('td', {class: 'state-' + st}, st),
			    el('td', {'data-stat': 'upstreams.' + k + '.errors_1h'},
			    fmtInt(n)),
			    el('td', {}, fmtTime(u.last_error_at)),
			    el('td', {'data-stat': 'metrics.upstream.' + k +
			    '.calls'}, calls(k, false)),
			    el('td', {'data-stat': 'metrics.upstream.' + k +
			    '.failed'}, calls(k, true))));
		});
	}

	/* The machine's processes, memory and what de-duplication saved. */
	function renderMetrics(met) {
		var x = met && met.ok ? met.series : null;

		function v(name, want) {
			return x === null ? '—' : fmtInt(msum(x, name, want));
		}
		fillKv($('service'), [
			['responders alive', v('c2s_processes_alive',
			    {role: 'responder'}), 'metrics.responders'],
			['workers alive', v('c2s_processes_alive',
			    {role: 'worker'}), 'metrics.workers'],
			['resident memory, all processes (MB)', x === null ? '—' :
			    (msum(x, 'c2s_process_resident_memory_bytes') /
			    1048576).toFixed(1), 'metrics.rss_mb'],
			['duplicate leads answered without a run',
			    x === null ? '—' : fmtInt(msum(x, 'c2s_dedup_total',
			    {result: 'hit_file'}) + msum(x, 'c2s_dedup_total',
			    {result: 'hit_database'})), 'metrics.dedup_hits'],
			['requests answered', v('c2s_http_requests_total'),
			    'metrics.requests']
		]);
		$('service-note').textContent = x === null ?
		    'Machine counters unavailable (' + (met ? met.error :
		    'not fetched') + ').' :
		    'Counters of this machine since its shared file was made.';
	}

	function renderStats(s) {
		var daily = Array.isArray(s.daily) ? s.daily : [];

		renderLeads(s);
		renderChart(daily);
		renderDailyTable(daily);
		renderRates(s);
		renderTiers(s);
		setStat('retryable.next_retry_at',
		    fmtTime(obj(s.retryable).next_retry_at));
		renderLeadList($('retryable-list'), obj(s.retryable).recent,
		    'no lead waits for a retry');
		renderLeadList($('failed-list'), obj(s.failed).recent,
		    'no failed lead');
		renderInvalidWebhooks(obj(s.invalid_webhooks));
		renderSavings(s);
		$('generated').textContent = fmtTime(s.generated_at);
	}

	/* /ready answers JSON with 200 or 503; anything else is "unreachable". */
	function renderReady(r) {
		var badge = $('ready'), b = obj(r.body), checks = obj(b.checks);
		var state = r.status === 200 ? 'ready' :
		    r.status === 503 && r.body ? 'not_ready' : 'unreachable';

		badge.dataset.ready = state;
		badge.textContent = state === 'ready' ? 'ready' :
		    state === 'not_ready' ? 'not ready' +
		    (b.failing ? ': ' + b.failing : '') :
		    'readiness unknown (' + (r.error || 'HTTP ' + r.status) + ')';
		fillKv($('checks'), Object.keys(checks).map(function (k) {
			var v = String(checks[k]);

			return [k, v, 'ready.checks.' + k,
			    /^ok\b/.test(v) ? 'state-ok' : 'state-errors'];
		}));
	}

	function showMessage(text) {
		var m = $('message');

		m.textContent = text;
		m.hidden = !text;
	}

	function statsError(r) {
		var b = obj(r.body), why;

		if (r.status === 0)
			why = r.error;
		else
			why = 'HTTP ' + r.status +
			    (typeof b.error === 'string' ? ': ' + b.error : '') +
			    (typeof b.code === 'string' ? ' (' + b.code + ')' :
			    r.error ? ' (' + r.error + ')' : '');
		$('key-form').hidden = r.status !== 401;
		return 'Statistics unavailable: ' + why + '.' +
		    (document.body.dataset.loaded ?
		    ' The numbers below are from the last successful refresh.' : '') +
		    ' Trying again in ' + REFRESH_MS / 1000 + ' s.';
	}

	/* ---- the refresh cycle ---- */

	function schedule() {
		clearTimeout(timer);
		timer = setTimeout(refresh, REFRESH_MS);
	}

	function refresh() {
		if (busy)
			return;
		busy = true;
		Promise.all([getJson(STATS_URL, true), getJson(READY_URL, false),
		    loadMetrics()])
		    .then(function (res) {
			var stats = res[0];

			renderReady(res[1]);
			renderMetrics(res[2]);
			if (stats.ok && obj(stats.body).leads) {
				renderStats(stats.body);
				renderUpstreams(stats.body, res[2]);
				showMessage('');
				$('key-form').hidden = true;
				document.body.dataset.loaded = '1';
				document.body.dataset.state = 'ok';
			} else {
				if (stats.ok)
					stats = {status: stats.status,
					    body: null, error: 'not the stats document'};
				showMessage(statsError(stats));
				document.body.dataset.state = 'error';
			}
			$('main').classList.toggle('stale',
			    document.body.dataset.state !== 'ok');
			$('updated').textContent = 'checked ' +
			    new Date().toLocaleTimeString('en-GB');
		    })
		    .catch(function (e) {
			/* A bug in this file, not a fetch failure. */
			console.error('status page:', e);
			showMessage('The status page failed to draw the statistics: ' +
			    (e && e.message ? e.message : e));
			document.body.dataset.state = 'error';
		    })
		    .finally(function () {
			busy = false;
			schedule();
		    });
	}

	$('refresh').addEventListener('click', refresh);
	$('key-form').addEventListener('submit', function (ev) {
		ev.preventDefault();
		memKey = $('key').value;
		try {
			window.sessionStorage.setItem(KEY_STORE, memKey);
		} catch (e) {
			/* No storage: memKey serves until the tab is closed. */
		}
		$('key').value = '';
		refresh();
	});
	renderLegend();
	refresh();
}());

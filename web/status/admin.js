/*
 * web/status/admin.js -- the operators' actions on the status page
 * (index.html, section #admin): Retry and Reprocess of one lead (POST
 * /api/v1/leads/{id}/retry and /reprocess) and the CSV export (GET
 * /api/v1/leads?format=csv with the chosen filters), each with the admin
 * key typed into the page.  The key goes in the X-API-Key header only,
 * never in a URL, and is kept in this tab's sessionStorage at most.  The
 * answer (the run's JSON, or the error) is shown as text; the export is
 * fetched and handed to the browser as a download.  A lead id clicked in
 * the failed or retryable lists fills the form.  Nothing inline: the
 * page's Content-Security-Policy allows scripts of its own origin only.
 */
(function () {
	'use strict';

	var KEY_STORE = 'c2s-enrich.admin-key';
	var TIMEOUT_MS = 120000;
	var LEADS_URL = new URL('../api/v1/leads', document.baseURI).href;
	var memKey = '';	/* where sessionStorage is refused */

	function $(id) {
		return document.getElementById(id);
	}

	function adminKey() {
		var k = $('admin-key').value;

		if (k)
			return k;
		try {
			return window.sessionStorage.getItem(KEY_STORE) || memKey;
		} catch (e) {
			return memKey;
		}
	}

	function keepKey(k) {
		memKey = k;
		try {
			window.sessionStorage.setItem(KEY_STORE, k);
		} catch (e) {
			/* memKey it is */
		}
	}

	function show(text, bad) {
		var out = $('admin-out');

		out.hidden = false;
		out.textContent = text;
		out.className = bad ? 'admin-out admin-err' : 'admin-out';
		out.setAttribute('data-state', bad ? 'error' : 'ok');
	}

	/* fetch with the key and a time limit; resolves to the Response or
	 * rejects with a message. */
	function call(url, method) {
		var ctl = new AbortController();
		var t = setTimeout(function () { ctl.abort(); }, TIMEOUT_MS);
		var key = adminKey();

		if (!key)
			return Promise.reject(new Error('type the admin key first'));
		keepKey(key);
		return fetch(url, {method: method, headers: {'X-API-Key': key,
		    Accept: method === 'GET' ? 'text/csv' : 'application/json'},
		    body: method === 'POST' ? '' : undefined, signal: ctl.signal,
		    cache: 'no-store', credentials: 'same-origin'})
		    .catch(function (e) {
			throw new Error(e && e.name === 'AbortError' ?
			    'no answer within ' + TIMEOUT_MS / 1000 + ' s' :
			    'network error');
		    })
		    .finally(function () { clearTimeout(t); });
	}

	/* An error answer (JSON {error, code}) as one line. */
	function failure(r) {
		return r.text().then(function (text) {
			var j = null;

			try {
				j = JSON.parse(text);
			} catch (e) {
				j = null;
			}
			throw new Error('HTTP ' + r.status + (j && j.error ?
			    ': ' + j.error + ' (' + j.code + ')' : ''));
		});
	}

	function action(what) {
		var id = $('admin-lead').value.trim().toLowerCase();

		if (!/^[0-9a-f]{32}$/.test(id)) {
			show('the lead id is 32 hex characters', true);
			return;
		}
		if (what === 'reprocess' && !window.confirm('Reprocess lead ' +
		    id + '? It pays Diretrix and the Work API again and posts ' +
		    'a new note.'))
			return;
		show(what + ' ' + id + ': running…', false);
		call(LEADS_URL + '/' + id + '/' + what, 'POST')
		    .then(function (r) {
			if (!r.ok)
				return failure(r);
			return r.json().then(function (j) {
				show(what + ' ' + id + ': HTTP ' + r.status + '\n' +
				    JSON.stringify(j, null, 2), j.success !== true);
			});
		    })
		    .catch(function (e) {
			show(what + ' ' + id + ': ' + e.message, true);
		    });
	}

	function exportCsv() {
		var q = new URLSearchParams({format: 'csv'});

		[['status', 'admin-status'], ['source', 'admin-source'],
		    ['since', 'admin-since'], ['until', 'admin-until']]
		    .forEach(function (p) {
			if ($(p[1]).value)
				q.set(p[0], $(p[1]).value);
		    });
		show('export: running…', false);
		call(LEADS_URL + '?' + q.toString(), 'GET')
		    .then(function (r) {
			var name = 'leads.csv';
			var m = /filename="([^"]+)"/.exec(
			    r.headers.get('Content-Disposition') || '');

			if (!r.ok)
				return failure(r);
			if (m)
				name = m[1];
			return r.blob().then(function (b) {
				var a = document.createElement('a');

				a.href = URL.createObjectURL(b);
				a.download = name;
				document.body.appendChild(a);
				a.click();
				a.remove();
				setTimeout(function () {
					URL.revokeObjectURL(a.href);
				}, 60000);
				show('export: ' + name + ', ' + b.size +
				    ' bytes', false);
			});
		    })
		    .catch(function (e) {
			show('export: ' + e.message, true);
		    });
	}

	$('admin-retry').addEventListener('click', function () {
		action('retry');
	});
	$('admin-reprocess').addEventListener('click', function () {
		action('reprocess');
	});
	$('admin-export').addEventListener('click', exportCsv);
	/* A lead id clicked in the failed or retryable lists is picked. */
	$('queue').addEventListener('click', function (ev) {
		var td = ev.target.closest('tr.lead td.mono');
		var id = td ? td.textContent.trim() : '';

		if (!/^[0-9a-f]{32}$/.test(id))
			return;
		$('admin-lead').value = id;
		$('admin-lead').focus();
	});
	$('admin-form').addEventListener('submit', function (ev) {
		ev.preventDefault();
		action('retry');
	});
	$('admin-export-form').addEventListener('submit', function (ev) {
		ev.preventDefault();
		exportCsv();
	});
}());

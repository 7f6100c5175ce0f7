/*
 * web/status/alerts.js -- the status page's Alerts section (index.html):
 * the newest alerts of GET /api/v1/alerts (what the worker raised: a lead
 * failed, an upstream down and back, the Work API refusing, a low rate,
 * silent webhooks, a high-value lead), each with its time, text, C2S
 * link and the state of each channel.  It loads with the page, again on
 * Refresh and every 30 s, with the API key status.js keeps in this tab;
 * without a key only once status.js got the stats (API_AUTH=off), so
 * that a page waiting for its key asks nothing more in vain.
 * Text from the server is set with textContent only; a link only when it
 * is http(s).
 */
(function () {
	'use strict';

	var REFRESH_MS = 30000;
	var KEY_STORE = 'c2s-enrich.api-key';
	var URL_ALERTS = new URL('../api/v1/alerts', document.baseURI).href;

	function $(id) {
		return document.getElementById(id);
	}

	function el(tag, attrs, text) {
		var e = document.createElement(tag), k;

		for (k in attrs || {})
			e.setAttribute(k, attrs[k]);
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function key() {
		try {
			return window.sessionStorage.getItem(KEY_STORE) || '';
		} catch (e) {
			return '';
		}
	}

	/* "sent", "pending (3 tries: HTTP status 500)", "off". */
	function channel(c) {
		if (!c || c.state === 'off')
			return 'off';
		if (c.state === 'sent')
			return 'sent';
		return 'pending' + (c.attempts > 0 ? ' (' + c.attempts +
		    ' tries' + (c.error ? ': ' + c.error : '') + ')' : '');
	}

	function render(list) {
		var body = $('alert-list').querySelector('tbody');
		var i, a, tr, td, link;

		body.textContent = '';
		$('alert-count').textContent = String(list.length);
		$('alert-none').hidden = list.length !== 0;
		for (i = 0; i < list.length; i++) {
			a = list[i];
			tr = el('tr', {'data-kind': a.kind, 'data-id': a.id});
			tr.appendChild(el('td', null,
			    new Date(a.created_at).toLocaleString()));
			tr.appendChild(el('td', {'class': 'kind'}, a.kind));
			td = el('td');
			td.appendChild(el('strong', null, a.title));
			td.appendChild(el('div', {'class': 'muted'}, a.text));
			if (a.link && /^https?:\/\//.test(a.link)) {
				link = el('a', {href: a.link, rel: 'noopener',
				    target: '_blank'}, 'open in C2S');
				td.appendChild(link);
			}
			tr.appendChild(td);
			tr.appendChild(el('td', null, channel(a.webhook)));
			tr.appendChild(el('td', null, channel(a.email)));
			body.appendChild(tr);
		}
	}

	function load() {
		var headers = {Accept: 'application/json'};

		if (key())
			headers['X-API-Key'] = key();
		fetch(URL_ALERTS, {headers: headers, cache: 'no-store',
		    credentials: 'same-origin'}).then(function (r) {
			return r.json().then(function (j) {
				if (!r.ok || !j || !Array.isArray(j.alerts))
					throw new Error('status ' + r.status);
				$('alert-error').hidden = true;
				render(j.alerts);
			});
		}).catch(function (e) {
			$('alert-error').textContent =
			    'Alerts unavailable: ' + e.message;
			$('alert-error').hidden = false;
		});
	}

	/* A key in this tab, or the stats answered without one. */
	function maybeLoad() {
		if (key() !== '' || document.body.dataset.state === 'ok')
			load();
	}

	document.addEventListener('DOMContentLoaded', function () {
		maybeLoad();
		setInterval(maybeLoad, REFRESH_MS);
		$('refresh').addEventListener('click', maybeLoad);
		/* The stats came (a key typed in, say): the alerts too. */
		new MutationObserver(function () {
			if (document.body.dataset.state === 'ok' &&
			    $('alert-count').textContent === '\u2014')
				load();
		}).observe(document.body, {attributes: true,
		    attributeFilter: ['data-state']});
	});
})();

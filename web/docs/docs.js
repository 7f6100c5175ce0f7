/*
 * web/docs/docs.js -- starts Swagger UI on /docs with the OpenAPI document
 * of this server.  Everything that could reach another host is off: no
 * validator badge (validatorUrl), no spec URL taken from the query string
 * (queryConfigEnabled), no remote config.
 */
(function () {
	'use strict';

	var root = document.getElementById('swagger-ui');

	if (typeof window.SwaggerUIBundle !== 'function') {
		root.textContent = 'Swagger UI is missing (vendor/swagger-ui-bundle.js, ' +
		    'committed in web/docs/vendor/). The OpenAPI document is at ' +
		    '/api-docs/openapi.yml.';
		return;
	}

	/* Relative to /docs/, so the pages also work under a path prefix. */
	var spec = new URL('../api-docs/openapi.yml', document.baseURI).href;

	window.ui = window.SwaggerUIBundle({
		url: spec,
		dom_id: '#swagger-ui',
		validatorUrl: null,
		queryConfigEnabled: false,
		deepLinking: true,
		displayRequestDuration: true,
		docExpansion: 'list',
		defaultModelsExpandDepth: 0,
		presets: [window.SwaggerUIBundle.presets.apis],
		layout: 'BaseLayout'
	});
}());

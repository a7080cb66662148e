// Starts Swagger UI on /api/docs with the settings the page carries as JSON (no inline script, so
// the Content-Security-Policy can forbid them). "Try it out" with the session sends the CSRF token.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  settings.dom_id = "#swagger-ui";
  settings.presets = [SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrf) request.headers["X-CSRFToken"] = csrf;
    return request;
  };
  window.ui = SwaggerUIBundle(settings);
})();

// GET /docs: Swagger UI started on the OpenAPI document the page names (data-openapi-url).
// A file of its own rather than FastAPI's inline <script>: the pages' Content-Security-Policy
// runs scripts from this origin only (http/security_headers.py).
"use strict";

window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
});

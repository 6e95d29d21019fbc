// Starts Swagger UI on the API documentation page. The page names the OpenAPI document
// in a data attribute, so this file holds no addresses of its own.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    // Nothing leaves this server: no validator badge from an outside service.
    validatorUrl: null,
  });
})();

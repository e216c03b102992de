// Starts Swagger UI with the settings the page carries in #viewer-config. validatorUrl null:
// Swagger UI would otherwise send the document to an online validator.
(function () {
  "use strict";
  var holder = document.getElementById("viewer-config");
  if (!holder || !window.SwaggerUIBundle) { return; }
  var settings = JSON.parse(holder.textContent);
  var wanted = /^#operation\/(.+)$/.exec(window.location.hash);
  if (wanted && settings.anchors[decodeURIComponent(wanted[1])]) {
    history.replaceState(null, "", "#" + settings.anchors[decodeURIComponent(wanted[1])]);
  }
  window.ui = window.SwaggerUIBundle({
    url: settings.documentUrl,
    dom_id: "#viewer",
    deepLinking: true,
    validatorUrl: null,
    persistAuthorization: false,
    tryItOutEnabled: false,
    displayOperationId: true,
    filter: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();

// Starts Scalar's API reference with the settings the page carries in #viewer-config (a JSON
// block, so the page needs no inline script). Everything Scalar would fetch from its own
// services (fonts, telemetry, AI agent, MCP, developer tools) is switched off here.
(function () {
  "use strict";
  var holder = document.getElementById("viewer-config");
  if (!holder || !window.Scalar) { return; }
  var settings = JSON.parse(holder.textContent);
  var wanted = /^#operation\/(.+)$/.exec(window.location.hash);
  if (wanted && settings.anchors[decodeURIComponent(wanted[1])]) {
    history.replaceState(null, "", "#" + settings.anchors[decodeURIComponent(wanted[1])]);
  }
  window.Scalar.createApiReference("#viewer", {
    url: settings.documentUrl,
    withDefaultFonts: false,
    telemetry: false,
    showDeveloperTools: "never",
    agent: { disabled: true },
    mcp: { disabled: true },
    hideClientButton: true,
    persistAuth: false,
    darkMode: document.documentElement.dataset.theme === "dark",
    authentication: { preferredSecurityScheme: settings.preferredSecurityScheme },
    metaData: { title: settings.title }
  });
})();

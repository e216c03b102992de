// Applies the reader's chosen theme before the first paint. Without a choice (or without
// JavaScript) the stylesheet follows the system's prefers-color-scheme.
(function () {
  try {
    var chosen = localStorage.getItem("localtitan-theme");
    if (chosen === "light" || chosen === "dark") {
      document.documentElement.setAttribute("data-theme", chosen);
    }
  } catch (e) { /* storage blocked: follow the system */ }
})();

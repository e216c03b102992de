// My Apps editor: the All / None links of each scope module (the form works without them).
(function () {
  "use strict";
  function boxes(key) {
    return document.querySelectorAll('tbody[data-module="' + key + '"] input[type="checkbox"]');
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".module-links").forEach(function (el) { el.hidden = false; });
    document.querySelectorAll("[data-all], [data-none]").forEach(function (button) {
      button.addEventListener("click", function () {
        var all = button.hasAttribute("data-all");
        var key = button.getAttribute(all ? "data-all" : "data-none");
        boxes(key).forEach(function (box) { box.checked = all; });
      });
    });
  });
})();

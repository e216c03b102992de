// Small enhancements; every page works without them.
(function () {
  "use strict";

  function currentTheme() {
    var set = document.documentElement.getAttribute("data-theme");
    if (set) return set;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }

  function setupThemeToggle() {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    button.hidden = false;
    function label() {
      var next = currentTheme() === "dark" ? "light" : "dark";
      button.setAttribute("aria-label", "Switch to the " + next + " theme");
      button.title = "Switch to the " + next + " theme";
    }
    label();
    button.addEventListener("click", function () {
      var next = currentTheme() === "dark" ? "light" : "dark";
      document.documentElement.setAttribute("data-theme", next);
      try { localStorage.setItem("localtitan-theme", next); } catch (e) { /* not kept */ }
      label();
    });
  }

  // "/" focuses the search box, unless the reader is typing somewhere already.
  function setupSearchKey() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
      var target = event.target;
      var tag = target && target.tagName;
      if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
      var box = document.getElementById("site-search");
      if (!box) return;
      event.preventDefault();
      box.focus();
      box.select();
    });
  }

  function copyText(text, button) {
    function done() {
      var before = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = before; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallback(); });
    } else {
      fallback();
    }
    function fallback() {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "absolute";
      area.style.left = "-9999px";
      document.body.appendChild(area);
      area.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* select by hand */ }
      document.body.removeChild(area);
    }
  }

  function setupCopyButtons() {
    var blocks = document.querySelectorAll("pre[data-copy], .content pre");
    blocks.forEach(function (pre) {
      if (pre.parentNode.classList && pre.parentNode.classList.contains("copy-wrap")) return;
      var wrap = document.createElement("div");
      wrap.className = "copy-wrap";
      pre.parentNode.insertBefore(wrap, pre);
      wrap.appendChild(pre);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "copy";
      button.textContent = "Copy";
      button.addEventListener("click", function () { copyText(pre.innerText, button); });
      wrap.appendChild(button);
    });
  }

  // Code samples come as one section per language; with JavaScript they become tabs and
  // the chosen language is remembered across samples and pages.
  function setupSampleTabs() {
    var groups = document.querySelectorAll(".samples");
    var preferred = null;
    try { preferred = localStorage.getItem("localtitan-lang"); } catch (e) { /* none */ }
    function show(lang) {
      groups.forEach(function (group) {
        var sections = group.querySelectorAll(".sample");
        if (sections.length < 2) return;
        var pick = group.querySelector('.sample[data-lang="' + lang + '"]') ? lang
          : sections[0].getAttribute("data-lang");
        sections.forEach(function (s) {
          s.hidden = s.getAttribute("data-lang") !== pick;
        });
        group.querySelectorAll(".tabs button").forEach(function (b) {
          b.setAttribute("aria-selected", b.getAttribute("data-lang") === pick ? "true" : "false");
        });
      });
    }
    groups.forEach(function (group) {
      var sections = group.querySelectorAll(".sample");
      if (sections.length < 2) return;
      var bar = document.createElement("div");
      bar.className = "tabs";
      bar.setAttribute("role", "tablist");
      sections.forEach(function (section) {
        var lang = section.getAttribute("data-lang");
        var heading = section.querySelector(".sample-lang");
        if (heading) heading.hidden = true;
        var button = document.createElement("button");
        button.type = "button";
        button.setAttribute("role", "tab");
        button.setAttribute("data-lang", lang);
        button.textContent = heading ? heading.textContent : lang;
        button.addEventListener("click", function () {
          try { localStorage.setItem("localtitan-lang", lang); } catch (e) { /* not kept */ }
          show(lang);
        });
        bar.appendChild(button);
      });
      group.insertBefore(bar, group.firstChild);
      group.classList.add("tabbed");
    });
    show(preferred || "curl");
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupThemeToggle();
    setupSearchKey();
    setupCopyButtons();
    setupSampleTabs();
  });
})();

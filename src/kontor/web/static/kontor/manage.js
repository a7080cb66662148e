// List selection with bulk actions, and the duplicate warning of the create forms.
(function () {
  "use strict";

  function initBulk() {
    var form = document.getElementById("bulk-form");
    if (!form || form.getAttribute("data-ready")) { return; }
    form.setAttribute("data-ready", "1");
    var boxes = function () { return document.querySelectorAll("input[name=ids][form=bulk-form]"); };
    var all = document.querySelector("[data-select-all]");
    var action = form.querySelector("select[name=action]");
    function refresh() {
      var n = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
      var count = form.querySelector("[data-bulk-count] strong");
      if (count) { count.textContent = String(n); }
      form.setAttribute("data-selected", String(n));
      form.querySelectorAll("[data-bulk-for]").forEach(function (select) {
        select.hidden = select.getAttribute("data-bulk-for") !== action.value;
      });
    }
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (b) { b.checked = all.checked; });
        refresh();
      });
    }
    document.addEventListener("change", function (e) {
      if (e.target.matches && e.target.matches("input[name=ids][form=bulk-form]")) { refresh(); }
    });
    action.addEventListener("change", refresh);
    refresh();
  }

  function initDuplicates() {
    var form = document.querySelector("form[data-dup-url]");
    if (!form || form.getAttribute("data-dup-ready")) { return; }
    form.setAttribute("data-dup-ready", "1");
    var panel = document.getElementById("dup-panel");
    var names = ["phones", "emails", "title", "company_title", "name", "last_name"];
    var last = null;
    function check() {
      var params = new URLSearchParams();
      ["phones", "emails", "title", "company_title"].forEach(function (name) {
        form.querySelectorAll("[name=" + name + "]").forEach(function (input) {
          if (input.value.trim()) { params.append(name, input.value.trim()); }
        });
      });
      var query = params.toString();
      if (query === last) { return; }
      last = query;
      fetch(form.getAttribute("data-dup-url") + "?" + query, {credentials: "same-origin",
        headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) { if (last === query && panel) { panel.innerHTML = html; } });
    }
    form.addEventListener("focusout", function (e) {
      if (e.target && names.indexOf(e.target.name) >= 0) { check(); }
    });
    document.addEventListener("click", function (e) {
      var button = e.target.closest && e.target.closest("[data-dup-link]");
      if (!button) { return; }
      var field = button.getAttribute("data-dup-link");
      var hidden = document.getElementById("id_" + field);
      var text = document.getElementById("id_" + field + "_search");
      if (hidden) { hidden.value = button.getAttribute("data-id"); }
      if (text) { text.value = button.getAttribute("data-label"); }
      button.textContent = button.getAttribute("data-linked-text") || "✓";
      button.setAttribute("aria-pressed", "true");
    });
  }

  function init() { initBulk(); initDuplicates(); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  document.addEventListener("htmx:afterSettle", init);
})();

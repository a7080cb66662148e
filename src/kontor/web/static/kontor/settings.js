// Settings screens: reorder lists by drag and drop (SortableJS) and pick a suggested colour.
// Without JavaScript, or on a phone, the ↑/↓ buttons of each row do the same through a form post.
(function () {
  "use strict";

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function saveOrder(list) {
    var keys = Array.prototype.map.call(list.querySelectorAll(":scope > li[data-key]"), function (li) {
      return li.getAttribute("data-key");
    });
    var body = new URLSearchParams();
    body.set("order", keys.join(","));
    list.setAttribute("aria-busy", "true");
    return fetch(list.getAttribute("data-reorder-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(list), "X-Requested-With": "fetch"}
    }).then(function (response) {
      list.removeAttribute("aria-busy");
      list.setAttribute("data-saved", response.ok ? "yes" : "no");
      // The ↑/↓ buttons' disabled state follows the new order.
      var items = list.querySelectorAll(":scope > li[data-key]");
      items.forEach(function (li, i) {
        var up = li.querySelector("button[value=up]"), down = li.querySelector("button[value=down]");
        if (up) { up.disabled = i === 0; }
        if (down) { down.disabled = i === items.length - 1; }
      });
    });
  }

  function init() {
    document.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (typeof Sortable === "undefined" || list.getAttribute("data-sortable-ready")) { return; }
      list.setAttribute("data-sortable-ready", "1");
      Sortable.create(list, {
        animation: 120, draggable: "li[data-key]", filter: "a, button, input", preventOnFilter: false,
        onEnd: function (evt) { if (evt.oldIndex !== evt.newIndex) { saveOrder(list); } }
      });
    });
    document.querySelectorAll("[data-palette-for]").forEach(function (box) {
      var input = document.getElementById(box.getAttribute("data-palette-for"));
      box.querySelectorAll("button[data-color]").forEach(function (button) {
        button.addEventListener("click", function () { if (input) { input.value = button.getAttribute("data-color"); } });
      });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();

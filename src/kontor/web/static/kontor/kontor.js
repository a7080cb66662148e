// Kontor's small behaviours on top of htmx: kanban drag and drop, the contact/company pickers and
// the wizard's "new pipeline" field. Everything degrades to plain links and forms without JS.
(function () {
  "use strict";

  function announce(text) {
    var box = document.getElementById("flash");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.textContent = text;
    box.replaceChildren(p);
  }

  // Kanban: a card dropped into another column is POSTed to its move URL; the answer updates the
  // columns' counts and sums out of band. A refused move puts the card back where it was.
  function initKanban(root) {
    root.querySelectorAll(".kanban").forEach(function (board) {
      if (board.dataset.sortableReady) return;
      board.dataset.sortableReady = "1";
      // the won/lost drop zones under the board belong to the same group
      var drops = board.parentElement ? board.parentElement.querySelectorAll(".kanban-drops .kanban-cards") : [];
      Array.prototype.concat.apply([], [Array.from(board.querySelectorAll(".kanban-cards")), Array.from(drops)])
        .forEach(function (list) {
        Sortable.create(list, {
          group: "kanban-" + board.dataset.kanban,
          animation: 150,
          delay: 150,
          delayOnTouchOnly: true,
          forceFallback: true,  // mouse/touch events instead of native drag: the same on phones and desktops
          fallbackTolerance: 3,
          draggable: ".kanban-card",
          onStart: function () { document.querySelectorAll(".kanban-drops").forEach(function (d) { d.classList.add("dragging"); }); },
          onEnd: function (evt) {
            document.querySelectorAll(".kanban-drops").forEach(function (d) { d.classList.remove("dragging"); });
            if (evt.from === evt.to) return;
            var card = evt.item;
            var values = { q: board.dataset.q || "" };
            values[board.dataset.param] = evt.to.dataset.key;
            card.dataset.moving = "1";
            htmx.ajax("POST", card.dataset.moveUrl, { source: card, swap: "none", values: values }).then(function () {
              delete card.dataset.moving;
              card.dataset.saved = evt.to.dataset.key;
            });
            card._kontorUndo = function () {
              evt.from.insertBefore(card, evt.from.children[evt.oldIndex] || null);
            };
          },
        });
      });
    });
  }

  document.addEventListener("htmx:responseError", function (evt) {
    var elt = evt.detail.elt;
    if (elt && elt._kontorUndo) { elt._kontorUndo(); delete elt.dataset.moving; }
    announce(evt.detail.xhr.responseText && evt.detail.xhr.responseText.length < 300
      ? evt.detail.xhr.responseText : (document.documentElement.lang === "de"
        ? "Das hat nicht geklappt. Bitte laden Sie die Seite neu." : "That did not work. Please reload the page."));
  });

  // Contact/company pickers (ARIA combobox with a listbox): typing fetches options (htmx), arrow
  // keys move through them, Enter or a click picks one (hidden id + visible name), Esc closes.
  function lookupParts(box) {
    return { text: box.querySelector("[data-lookup-text]"), list: box.querySelector(".lookup-results"),
             value: box.querySelector("[data-lookup-value]") };
  }
  function lookupOptions(box) { return Array.from(box.querySelectorAll("[role=option]")); }
  function lookupClose(box) {
    var p = lookupParts(box);
    p.list.replaceChildren();
    p.text.setAttribute("aria-expanded", "false");
    p.text.removeAttribute("aria-activedescendant");
  }
  function lookupPick(box, option) {
    var p = lookupParts(box);
    p.value.value = option ? option.dataset.id : "";
    p.text.value = option ? option.dataset.label : "";
    lookupClose(box);
    p.text.focus();
  }
  function lookupActivate(box, index) {
    var options = lookupOptions(box);
    var p = lookupParts(box);
    options.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (options[index]) {
      p.text.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }
  document.addEventListener("click", function (evt) {
    var pick = evt.target.closest("[data-lookup-pick]");
    var clear = evt.target.closest("[data-lookup-clear]");
    var box = (pick || clear) && (pick || clear).closest("[data-lookup]");
    if (!box) return;
    lookupPick(box, pick);
  });
  document.addEventListener("keydown", function (evt) {
    var text = evt.target.closest && evt.target.closest("[data-lookup-text]");
    var box = text && text.closest("[data-lookup]");
    if (!box) return;
    var options = lookupOptions(box);
    var current = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      if (!options.length) return;
      evt.preventDefault();
      var step = evt.key === "ArrowDown" ? 1 : -1;
      lookupActivate(box, current < 0 ? (step > 0 ? 0 : options.length - 1)
        : (current + step + options.length) % options.length);
    } else if (evt.key === "Enter") {
      if (current >= 0) { evt.preventDefault(); lookupPick(box, options[current]); }
      else if (options.length) { evt.preventDefault(); }  // Enter in a picker never submits the form
    } else if (evt.key === "Escape" && options.length) {
      evt.preventDefault();
      evt.stopPropagation();
      lookupClose(box);
    }
  });
  document.addEventListener("htmx:afterSwap", function (evt) {
    var list = evt.detail.target;
    var box = list && list.closest && list.closest("[data-lookup]");
    if (!box || !list.classList.contains("lookup-results")) return;
    var text = lookupParts(box).text;
    var open = lookupOptions(box).length > 0;
    text.setAttribute("aria-expanded", open ? "true" : "false");
    text.removeAttribute("aria-activedescendant");
  });

  // Menus (<details class="dropdown">): one open at a time; Esc and a click outside close them.
  function openMenus() { return Array.from(document.querySelectorAll("details.dropdown[open]")); }
  document.addEventListener("toggle", function (evt) {
    var menu = evt.target;
    if (!menu.matches || !menu.matches("details.dropdown") || !menu.open) return;
    openMenus().forEach(function (other) { if (other !== menu) other.open = false; });
  }, true);
  document.addEventListener("keydown", function (evt) {
    if (evt.key !== "Escape") return;
    var menus = openMenus();
    if (!menus.length) return;
    menus.forEach(function (menu) { menu.open = false; });
    var summary = menus[0].querySelector("summary");
    if (summary && menus[0].contains(document.activeElement)) summary.focus();
  });
  document.addEventListener("click", function (evt) {
    openMenus().forEach(function (menu) { if (!menu.contains(evt.target)) menu.open = false; });
  });

  // Global search: "/" (outside inputs) or Ctrl+K / Cmd+K focuses the header's search field.
  document.addEventListener("keydown", function (evt) {
    var field = document.getElementById("global-search");
    if (!field) return;
    var typing = evt.target.closest && evt.target.closest("input, textarea, select, [contenteditable]");
    if ((evt.key === "k" && (evt.ctrlKey || evt.metaKey)) || (evt.key === "/" && !typing && !evt.ctrlKey && !evt.metaKey && !evt.altKey)) {
      evt.preventDefault();
      field.focus();
      field.select();
    }
  });

  // Behaviours that would otherwise be inline event handlers, which the Content-Security-Policy
  // forbids: a select that submits its form when changed, a read-only field selected on click.
  document.addEventListener("change", function (evt) {
    var select = evt.target.closest && evt.target.closest("[data-autosubmit]");
    if (select && select.form) select.form.requestSubmit();
  });
  document.addEventListener("click", function (evt) {
    var field = evt.target.closest && evt.target.closest("[data-select-on-click]");
    if (field) field.select();
  });

  // Wizard: the new pipeline's name is asked only when "a new pipeline" is chosen.
  function initWizard(root) {
    var select = root.querySelector ? root.querySelector("#id_pipeline") : null;
    var box = document.querySelector("[data-new-pipeline]");
    if (!select || !box) return;
    var sync = function () { box.hidden = select.value !== "new"; };
    select.addEventListener("change", sync);
    sync();
  }

  // Custom field settings: list items only for lists, the link target only for CRM records.
  function initCustomFieldForm(root) {
    var form = root.querySelector ? root.querySelector("[data-custom-field-form]") : null;
    var select = form ? form.querySelector("#id_type") : null;
    if (!select) return;
    var sync = function () {
      form.querySelectorAll("[data-show-for]").forEach(function (box) {
        box.hidden = box.dataset.showFor !== select.value;
      });
    };
    select.addEventListener("change", sync);
    sync();
  }

  // Phone: the navigation scrolls sideways; the current tab is scrolled into view, never cut off.
  function showCurrentTab() {
    var nav = document.querySelector(".mainnav");
    var current = nav && nav.querySelector("a[aria-current=page]");
    if (!current) return;
    var left = current.offsetLeft - nav.offsetLeft;
    if (left + current.offsetWidth > nav.scrollLeft + nav.clientWidth || left < nav.scrollLeft) {
      nav.scrollLeft = Math.max(0, left - 16);
    }
  }
  document.addEventListener("DOMContentLoaded", showCurrentTab);

  // Lists on a phone: each table becomes stacked cards (kontor.css, table.stack); every cell gets
  // its column's heading as data-label, shown in front of the value. Without JS the table scrolls.
  function stackTables(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll(".table-wrap table:not(.custom-fields):not([data-no-stack])").forEach(function (table) {
      var heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.from(tr.children).forEach(function (cell, i) {
          if (heads[i] && !cell.hasAttribute("colspan")) cell.setAttribute("data-label", heads[i]);
        });
      });
      table.classList.add("stack");
    });
  }

  function init(root) { initKanban(root); initWizard(root); initCustomFieldForm(root); stackTables(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (evt) { init(evt.detail.elt); });
})();

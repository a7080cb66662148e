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
      board.querySelectorAll(".kanban-cards").forEach(function (list) {
        Sortable.create(list, {
          group: "kanban-" + board.dataset.kanban,
          animation: 150,
          delay: 150,
          delayOnTouchOnly: true,
          forceFallback: true,  // mouse/touch events instead of native drag: the same on phones and desktops
          fallbackTolerance: 3,
          draggable: ".kanban-card",
          onEnd: function (evt) {
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

  // Contact/company pickers: a result button sets the hidden id and the visible name.
  document.addEventListener("click", function (evt) {
    var pick = evt.target.closest("[data-lookup-pick]");
    var clear = evt.target.closest("[data-lookup-clear]");
    var box = (pick || clear) && (pick || clear).closest("[data-lookup]");
    if (!box) return;
    box.querySelector("[data-lookup-value]").value = pick ? pick.dataset.id : "";
    var text = box.querySelector("[data-lookup-text]");
    text.value = pick ? pick.dataset.label : "";
    box.querySelector(".lookup-results").replaceChildren();
    text.focus();
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

  function init(root) { initKanban(root); initWizard(root); initCustomFieldForm(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (evt) { init(evt.detail.elt); });
})();

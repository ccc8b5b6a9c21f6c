// ittifaq corpus browser: filters on the index; entity and relation highlighting on documents.
(function () {
  "use strict";
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function attrSel(name, value) { return "[" + name + "=\"" + CSS.escape(value) + "\"]"; }

  // Index: filter rows by genre / region / split.
  var filters = all("select[data-filter]");
  function applyFilters() {
    all("tr[data-doc]").forEach(function (row) {
      var show = filters.every(function (f) { return !f.value || row.getAttribute("data-" + f.dataset.filter) === f.value; });
      row.classList.toggle("hidden", !show);
    });
    var shown = all("tr[data-doc]:not(.hidden)").length;
    var counter = document.getElementById("shown-count");
    if (counter) { counter.textContent = String(shown); }
  }
  filters.forEach(function (f) { f.addEventListener("change", applyFilters); });

  // Documents: hovering a span highlights its entity cluster and its relations.
  function clear() {
    all(".hl").forEach(function (e) { e.classList.remove("hl"); });
    all(".rel-hl").forEach(function (e) { e.classList.remove("rel-hl"); });
  }
  function mark(panel, spanId) {
    all(attrSel("data-id", spanId), panel).forEach(function (e) { e.classList.add("hl"); });
  }
  all(".ann, .ann-cont").forEach(function (el) {
    el.addEventListener("mouseover", function (ev) {
      ev.stopPropagation();
      clear();
      var panel = el.closest("[data-panel]") || document;
      var entity = el.getAttribute("data-entity");
      if (entity) {
        all(attrSel("data-entity", entity), panel).forEach(function (e) { e.classList.add("hl"); });
      } else {
        mark(panel, el.getAttribute("data-id"));
      }
      var side = panel.getAttribute ? panel.getAttribute("data-panel") : null;
      all("tr[data-head], tr[data-tail]").forEach(function (row) {
        if (side && row.getAttribute("data-side") !== side) { return; }
        var id = el.getAttribute("data-id");
        if (row.getAttribute("data-head") === id || row.getAttribute("data-tail") === id) {
          row.classList.add("rel-hl");
          mark(panel, row.getAttribute("data-head"));
          mark(panel, row.getAttribute("data-tail"));
        }
      });
    });
  });
  all("tr[data-head]").forEach(function (row) {
    row.addEventListener("mouseover", function () {
      clear();
      row.classList.add("rel-hl");
      var panel = document.querySelector(attrSel("data-panel", row.getAttribute("data-side") || "main")) || document;
      mark(panel, row.getAttribute("data-head"));
      mark(panel, row.getAttribute("data-tail"));
    });
  });
})();

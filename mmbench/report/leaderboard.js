// Sorting, filtering and detail links for the mmbench leaderboard page.
// Reads only the DOM the server rendered (already escaped); never writes HTML, only classes.
(function () {
  "use strict";
  var table = document.getElementById("leaderboard");
  if (!table) { return; }
  var body = table.tBodies[0];

  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) { return numeric ? NaN : ""; }
    var raw = cell.getAttribute("data-value");
    if (numeric) { return raw === null || raw === "" ? NaN : parseFloat(raw); }
    return (raw !== null ? raw : cell.textContent).toLowerCase();
  }

  function sortBy(th) {
    var index = parseInt(th.getAttribute("data-col"), 10);
    var numeric = th.getAttribute("data-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    if (th.getAttribute("aria-sort") === null && numeric) { ascending = false; }  // numbers: best first
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
      if (numeric) {
        if (isNaN(x) && isNaN(y)) { return 0; }
        if (isNaN(x)) { return 1; }  // missing values last in both directions
        if (isNaN(y)) { return -1; }
        return ascending ? x - y : y - x;
      }
      return ascending ? x.localeCompare(y) : y.localeCompare(x);
    });
    rows.forEach(function (row) { body.appendChild(row); });
    Array.prototype.forEach.call(table.querySelectorAll("th[data-col]"), function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  Array.prototype.forEach.call(table.querySelectorAll("th[data-type] button"), function (button) {
    button.addEventListener("click", function () { sortBy(button.parentNode); });
  });

  var filter = document.getElementById("filter");
  function applyFilter() {
    var query = filter.value.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var match = query === "" || row.cells[0].textContent.toLowerCase().indexOf(query) !== -1 ||
        (row.getAttribute("data-search") || "").toLowerCase().indexOf(query) !== -1;
      row.classList.toggle("hidden", !match);
      if (match) { shown += 1; }
    });
    document.getElementById("shown-count").textContent = String(shown);
  }
  if (filter) { filter.addEventListener("input", applyFilter); }

  Array.prototype.forEach.call(document.querySelectorAll("a.detail-link"), function (link) {
    link.addEventListener("click", function () {
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (target) { target.open = true; }
    });
  });
})();

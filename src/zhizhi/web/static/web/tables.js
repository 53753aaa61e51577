// Tables marked "stack" become one card per row on a phone (zhizhi.css): each cell is labelled with its
// column's heading, copied here from the table's head so templates need not repeat them.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.stack").forEach(function (table) {
    var heads = Array.from(table.querySelectorAll("thead th")).map(function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.from(row.children).forEach(function (cell, i) {
        if (heads[i] && !cell.hasAttribute("colspan") && !cell.dataset.label) { cell.dataset.label = heads[i]; }
      });
    });
  });
});

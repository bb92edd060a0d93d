// Small helpers for the header search pop-up: Escape closes it, clicking outside closes it.
(function () {
  "use strict";
  function popup() {
    return document.getElementById("search-popup");
  }
  document.addEventListener("keydown", function (event) {
    var box = popup();
    if (event.key === "Escape" && box && box.innerHTML.trim() !== "") {
      box.innerHTML = "";
      var input = document.getElementById("header-search-input");
      if (input) input.focus();
    }
  });
  document.addEventListener("click", function (event) {
    var box = popup();
    if (box && !event.target.closest(".header-search")) {
      box.innerHTML = "";
    }
  });
})();

// Person picker on the lease forms: a ticked search result moves to the chosen list, so a
// new search does not drop it.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-picker]")) return;
  var selected = document.getElementById("selected-parties");
  if (selected && box.checked) {
    box.removeAttribute("data-picker");
    selected.appendChild(box.closest(".form-row"));
  }
});

// A print button (the record of processing activities, issue 16): <button data-print>.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});

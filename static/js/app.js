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

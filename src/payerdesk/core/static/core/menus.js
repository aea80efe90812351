// The top bar's menus are <details>: they open and close without this script. It only
// keeps one open at a time, and closes it on Escape or a click elsewhere.
(function () {
  "use strict";
  function menus() { return document.querySelectorAll("nav.menus details.menu"); }
  function closeAll(except) {
    menus().forEach(function (menu) { if (menu !== except) { menu.open = false; } });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches("nav.menus details.menu") && menu.open) { closeAll(menu); }
  }, true);
  document.addEventListener("click", function (event) {
    if (!event.target.closest("nav.menus details.menu")) { closeAll(null); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("nav.menus details.menu[open]");
    if (open) { open.open = false; open.querySelector("summary").focus(); }
  });
})();

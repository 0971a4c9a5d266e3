// Enhancements only: every page works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // choosing an activity type shows its form at once
  var chooser = document.querySelector("form.choose-type select");
  if (chooser) {
    chooser.addEventListener("change", function () { if (chooser.value) { chooser.form.submit(); } });
  }
  // a second click while the first is on its way does nothing (the server stores once anyway)
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("[data-once]");
      if (button) { setTimeout(function () { button.disabled = true; button.textContent = "正在提交……"; }, 0); }
    });
  });
  // the print button of the overview
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // after a refused submit, take keyboard and screen-reader users to the problems
  var problems = document.getElementById("form-problems");
  if (problems) { problems.setAttribute("tabindex", "-1"); problems.focus(); }
});

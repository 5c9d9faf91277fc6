// Every form rendered with the shared field template (templates/includes/field.html): after a refused
// submission, move focus to the error summary at the top of the form (templates/includes/form_errors.html), so
// a keyboard or screen-reader user hears what went wrong and can follow its links to each field. The links
// work as plain in-page links without JavaScript; here they also put the focus in the field itself.
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-field]");
    var field = link && document.getElementById(link.getAttribute("data-field"));
    if (!field) {
      return;
    }
    event.preventDefault();
    var label = document.querySelector("label[for='" + field.id + "']");
    (label || field).scrollIntoView({ block: "center" });
    if (field.offsetParent === null && field.closest(".field")) {
      // Hidden behind an enhanced control (the rich-text editor): focus what the person types into.
      field = field.closest(".field").querySelector("[contenteditable='true'], input:not([type='hidden']), select") || field;
    }
    field.focus({ preventScroll: true });
  });
})();

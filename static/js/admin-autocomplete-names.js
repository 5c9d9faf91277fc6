"use strict";
// The admin's autocomplete boxes (select2) are named only by the value chosen in them, so an empty box has no
// accessible name (WCAG 4.1.2). Each box is also named by its field's label (or, in a table of memberships, by
// its column's name, which the select carries as aria-label).
(function () {
  function fieldName(select) {
    const label = select.id ? document.querySelector(`label[for="${select.id}"]`) : null;
    const text = label ? label.textContent : select.getAttribute("aria-label") || "";
    return text.replace(/:\s*$/, "").trim();
  }

  function nameBoxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach((select) => {
      const container = select.nextElementSibling;
      const box = container ? container.querySelector(".select2-selection") : null;
      if (!box || box.dataset.named || !select.id) {
        return;
      }
      const name = document.createElement("span");
      name.id = `${select.id}-name`;
      name.className = "visually-hidden";
      name.textContent = fieldName(select);
      container.append(name);
      box.setAttribute("aria-labelledby", `${name.id} ${box.getAttribute("aria-labelledby") || ""}`.trim());
      // The value shown inside the box is a read-only text box of its own: it is named by the field too.
      const value = box.querySelector(".select2-selection__rendered");
      if (value) {
        value.setAttribute("aria-labelledby", name.id);
      }
      box.dataset.named = "true";
    });
  }

  // The admin's autocomplete script makes its boxes when jQuery says the document is ready; by the time the
  // document is parsed its handler is queued, so this one, queued now, runs after it.
  document.addEventListener("DOMContentLoaded", () => {
    if (window.django && window.django.jQuery) {
      window.django.jQuery(() => nameBoxes(document));
    }
  });
  document.addEventListener("formset:added", (event) => nameBoxes(event.target));
})();

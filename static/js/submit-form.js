// The case submission form (cases/submit.html).
//
// One case per load of the submission form (cases.services.case_submit keeps one case per form token).
// Going Back to a submitted form may load it again from the server: the page then has a new token while the
// browser restores everything typed, and Submit would file the case a second time. So the token the form was
// sent with is kept for the tab, and a form reached with Back or Forward is sent with it again: the server
// then shows the case it already filed. Without JavaScript, or with the page restored whole from the
// back/forward cache, the form keeps the token it was loaded with.
(function () {
  "use strict";

  var form = document.querySelector("form[data-submit-once]");
  var token = form && form.querySelector("input[name='token']");
  if (!token) {
    return;
  }
  var key = "portal:form-token:" + window.location.pathname + window.location.search;
  var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
  if (entries.length && entries[0].type === "back_forward") {
    try {
      var sent = window.sessionStorage.getItem(key);
      if (sent) {
        token.value = sent;
      }
    } catch (e) {
      // Storage refused (privacy settings): the form keeps its own token.
    }
  }
  form.addEventListener("submit", function () {
    try {
      window.sessionStorage.setItem(key, token.value);
    } catch (e) {
      // As above.
    }
  });
})();

// The Contact field offers the authorized contacts of the chosen district only: when the district changes, its
// options become that district's (the page carries them in <template data-contacts-for>). Without JavaScript
// the server refuses a contact of another district by name and shows the form again with the right list.
(function () {
  "use strict";

  var district = document.getElementById("id_district");
  var contact = document.getElementById("id_contact");
  if (!district || !contact || district.tagName !== "SELECT") {
    return;
  }
  district.addEventListener("change", function () {
    var source = document.querySelector("template[data-contacts-for='" + district.value + "']");
    if (!source) {
      return;
    }
    var previous = contact.value;
    while (contact.firstChild) {
      contact.removeChild(contact.firstChild);
    }
    contact.appendChild(document.importNode(source.content, true));
    var kept = Array.prototype.some.call(contact.options, function (option) {
      return option.value === previous;
    });
    contact.value = kept ? previous : (contact.options.length ? contact.options[0].value : "");
  });
})();

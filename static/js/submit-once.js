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

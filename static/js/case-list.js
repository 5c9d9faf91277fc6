// The case list (cases/list.html): small additions to htmx's swaps. Without JavaScript the list works as plain
// links and a GET form; nothing here is needed for it to work.
(function () {
  "use strict";

  function isCaseList(target) {
    return target && target.id === "case-list";
  }

  // Only the answer to the newest request may reach the page. htmx swaps every answer that arrives, in the
  // order they arrive; the list keeps no history snapshots (hx-history="false"), so each Back or Forward fetches
  // its page. Two quick Back presses, or a click and then Back, would otherwise let a slow older answer land last
  // and show one state under another state's address. A new list request or history restore aborts the one
  // still in flight.
  var inFlight = null;

  function supersede(xhr) {
    if (inFlight && inFlight !== xhr) {
      inFlight.abort();
    }
    inFlight = xhr;
    xhr.addEventListener("loadend", function () {
      if (inFlight === xhr) {
        inFlight = null;
      }
    });
  }

  document.addEventListener("htmx:historyCacheMiss", function (event) {
    supersede(event.detail.xhr);
  });

  document.addEventListener("htmx:beforeSend", function (event) {
    if (isCaseList(event.detail.target)) {
      supersede(event.detail.xhr);
    }
  });

  // A filter the server refused (400) comes back as the list region with the error next to the field:
  // show it like any other answer instead of leaving the old list on screen.
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isCaseList(event.detail.target) && event.detail.xhr.status === 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A refused filter is an answer, not a failure: keep it from django-htmx's debug handler (DEBUG=1), which
  // would replace the whole page with the list region.
  var region = document.getElementById("case-list");
  if (region) {
    region.addEventListener("htmx:beforeOnLoad", function (event) {
      if (event.detail.xhr.status === 400) {
        event.stopPropagation();
      }
    });
  }

  // After moving to another page of results, continue reading from the top of the results, not from the
  // pagination links at the bottom (which may no longer exist).
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!isCaseList(event.detail.target)) {
      return;
    }
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (trigger && trigger.closest && trigger.closest(".pagination, .page-size")) {
      var heading = document.getElementById("results-heading");
      if (heading) {
        heading.focus();
      }
    }
  });
})();

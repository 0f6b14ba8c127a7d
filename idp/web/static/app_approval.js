// While the app is asked to approve, look again every 2 seconds; once it has approved,
// go on with the login (with what was ticked on this page). Without JavaScript the page
// reloads itself instead (a <noscript> refresh) and waits for Continue.
(function () {
  "use strict";
  var status = document.querySelector("[data-approval-status]");
  var form = document.getElementById("approval-finish");
  if (!status || !form) { return; }
  function finish() {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }
  if (status.dataset.approvalStatus === "approved") { finish(); return; }
  if (status.dataset.approvalStatus !== "pending") { return; }
  function look() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var now = page.querySelector("[data-approval-status]");
        var value = now ? now.dataset.approvalStatus : "";
        if (value === "approved") { finish(); return; }
        if (value !== "pending") { window.location.reload(); return; }
        status.textContent = now.textContent;
        window.setTimeout(look, 2000);
      })
      .catch(function () { window.setTimeout(look, 4000); });
  }
  window.setTimeout(look, 2000);
})();

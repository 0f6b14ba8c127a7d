// Recovery codes: copy them to the clipboard, or print them. Without JavaScript these
// buttons stay hidden; the download link and the browser's print menu still work.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");
  var text = document.getElementById("recovery-codes-text");

  var copy = document.getElementById("copy-codes");
  if (copy && text && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(text.textContent).then(function () {
        status.textContent = status.getAttribute("data-copied");
      }, function () {
        status.textContent = status.getAttribute("data-failed");
      });
    });
  }

  var print = document.getElementById("print-codes");
  if (print && window.print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();

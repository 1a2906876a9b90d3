/* Every page: the offline copy of form pages (service worker) and tidying after a submission. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* optional */ });
  }
  var params = new URLSearchParams(location.search);
  var done = params.get("submitted");
  if (done) {
    Object.keys(localStorage).forEach(function (k) {
      if (/^draft:\d+:\d+$/.test(k) && k.split(":")[2] === done) { localStorage.removeItem(k); }
    });
  }
  document.querySelectorAll("form.sign-out").forEach(function (f) {
    f.addEventListener("submit", function () {
      if (window.caches) { caches.delete("pages-v1"); }
      Object.keys(localStorage).forEach(function (k) {
        try { if (/^draft:/.test(k) && JSON.parse(localStorage.getItem(k)).synced) { localStorage.removeItem(k); } }
        catch (e) { /* keep what cannot be read */ }
      });
    });
  });
})();

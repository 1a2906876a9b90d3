/* Every page: the offline copy of form pages (service worker), tidying after a submission, the
   one-tap tokens of the buttons that make something, and the street list that follows the
   district chosen on a case's evaluation page. */
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
  var district = document.getElementById("district");
  var street = document.getElementById("street");
  if (district && street) {
    /* the street box offers the streets of the district chosen (问题属地) */
    district.addEventListener("change", function () {
      street.setAttribute("list", "streets-" + district.value);
      /* a street of another district is cleared; a district listing no streets takes any */
      var list = document.getElementById("streets-" + district.value);
      var known = list ? Array.prototype.map.call(list.options, function (o) { return o.value; }) : [];
      if (street.value && known.length && known.indexOf(street.value) < 0) { street.value = ""; }
    });
  }
  /* A button that makes something (a case, a form, a flag, a report, a survey, a handover)
     carries one token each time the page is shown: a double tap sends it twice and makes one
     thing, while the page shown again (going back to it, or its offline copy) has a new token
     and makes a new one (service/web/taps.py). */
  window.addEventListener("pageshow", function () {
    document.querySelectorAll('input[name="request_token"]').forEach(function (input) {
      var bytes = new Uint8Array(16);
      crypto.getRandomValues(bytes);
      input.value = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    });
  });
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

/* Keeps the last copy of each form page, case page and the case list, and the static files, so
   that a form reloaded while the connection is down still opens (its typed values come back
   from localStorage) and going back and forth between a case and its forms works offline. */
"use strict";
var PAGES = "pages-v1", STATIC = "static-v1";
var FORM_PAGE = /^\/cases(\/\d+(\/forms\/\d+)?)?$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) {
    return c.addAll(["/static/css/app.css", "/static/js/forms.js", "/static/js/app.js"]);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== location.origin) { return; }
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(fetch(request).then(function (response) {
      var copy = response.clone();
      caches.open(STATIC).then(function (c) { c.put(request, copy); });
      return response;
    }).catch(function () { return caches.match(request); }));
    return;
  }
  if (request.mode === "navigate" && FORM_PAGE.test(url.pathname)) {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(PAGES).then(function (c) { c.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(url.pathname).then(function (hit) {
        return hit || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
      });
    }));
  }
});

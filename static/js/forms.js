/* The annex form on a tablet: nothing typed is lost.
   - every change is kept in this browser at once (localStorage), with the time it was typed;
   - the draft goes to the server every few seconds and when a field is left;
   - offline, the page comes from the service worker's copy and the typed values are restored;
   - a submission made while the connection is down waits on this device and is sent when the
     connection returns (the page stays; going back and forth offline works from the cache);
   - each draft save has a name; the saves whose answers never came back (the connection
     dropped on the way, or the page was left or reloaded first) are listed with the next
     save and the submission, so that the server knows a change it holds since this page's
     tag as the page's own, not another's;
   - a date that does not exist is refused beside its field before anything is sent;
   - a value the case pre-filled is selected when the field is entered, so typing replaces it;
   - signatures and pictures are drawn with a finger; D's goal table grows row by row.
   The texts come from the catalogs, in the page's language (the page's #form-texts). */
(function () {
  "use strict";
  var form = document.getElementById("annex-form");
  if (!form) { return; }
  var key = form.dataset.storageKey;
  var draftUrl = form.dataset.draftUrl;
  var status = document.getElementById("save-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var dirty = false, timer = null;
  var inFlight = null;  // the draft save on its way, if any (a promise settled with its answer)
  var leaving = false;  // a submission is leaving: it carries every value, no autosave starts
  var PAGE_ONLY = ["csrf_token", "submission_token", "unanswered"];  // never kept or restored
  var pageId = randomName();  // this page, as the writer of the device's copy
  var text = {};
  try { text = JSON.parse(document.getElementById("form-texts").textContent); } catch (e) { /* keys shown */ }
  function t(name) { return text[name] || name; }

  function setStatus(message, offline) {
    if (!status) { return; }
    status.textContent = message;
    status.classList.toggle("offline", !!offline);
  }

  function values() {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || PAGE_ONLY.indexOf(el.name) >= 0) { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.type === "submit" || el.type === "button") { return; }
      out.push([el.name, el.value]);
    });
    return out;
  }

  /* The device's copy of this form (null when there is none or it cannot be read), and
     keeping it; when storage is full or disabled, the server's copy still works. */
  function readCopy() {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function writeCopy(copy) {
    try { localStorage.setItem(key, JSON.stringify(copy)); } catch (e) { /* full or disabled */ }
  }

  function keepLocal() {
    var copy = { typedAt: new Date().toISOString(), synced: false, values: values(), writer: pageId };
    var before = readCopy();
    if (before && before.pendingSubmit) { copy.pendingSubmit = before.pendingSubmit; }
    if (before && before.writer === pageId && before.unanswered) { copy.unanswered = before.unanswered; }
    writeCopy(copy);
  }

  /* A save sent at sentAt was stored as version tag: the device's copy now names that version
     (so a copy restored later is not refused as stale by its own save), and is synced unless
     something was typed after the save left. */
  function markSynced(savedAt, tag, sentAt) {
    var copy = readCopy();
    if (!copy) { return; }
    if (tag && Array.isArray(copy.values)) {
      copy.values = copy.values.filter(function (pair) { return pair[0] !== "version_tag"; });
      copy.values.push(["version_tag", tag]);
    }
    if (!sentAt || !copy.typedAt || copy.typedAt <= sentAt) { copy.synced = true; copy.serverSavedAt = savedAt; }
    if (copy.writer === pageId) { delete copy.unanswered; }  // answered: the tag is current
    writeCopy(copy);
  }

  /* A name for a page or a draft save, and the names of this page's saves whose answers
     never came. The
     list belongs to the page that wrote the device's copy (another tab of the same form keeps
     its own work, and a save of its own that lost its answer is compared, never taken as
     this page's); a page that restores the copy takes the copy's list on with its values,
     which hold everything those saves carried. */
  function randomName() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function unanswered() {
    var copy = readCopy() || {};
    return (copy.writer === pageId && copy.unanswered) || [];
  }
  function noteUnanswered(name) {  // without storage, a lost answer shows as a conflict
    var copy = readCopy() || { values: values(), writer: pageId };
    if (copy.writer !== pageId) { return; }  // another tab's copy: this save is not listed
    copy.unanswered = (copy.unanswered || []).concat([name]).slice(-100);
    writeCopy(copy);
  }

  function ensureRows(name) {
    var m = /^(\w+)\.(\d+)\./.exec(name);
    if (!m) { return; }
    var table = form.querySelector('table.goals[data-field="' + m[1] + '"] tbody');
    while (table && table.rows.length <= Number(m[2])) { addRow(m[1]); }
  }

  function restore(copy) {
    var byName = {};
    copy.values.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); ensureRows(pair[0]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || PAGE_ONLY.indexOf(el.name) >= 0) { return; }
      var got = byName[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") { el.checked = got.indexOf(el.value) >= 0; }
      else if (el.type !== "submit" && el.type !== "button") { el.value = got.length ? got[0] : ""; }
    });
    form.querySelectorAll("canvas.signature-pad").forEach(drawStored);
  }

  function maybeRestore() {
    var copy = readCopy();
    if (!copy || copy.synced || !copy.values) { return; }
    var server = form.dataset.serverSaved ? Date.parse(form.dataset.serverSaved) : 0;
    if (Date.parse(copy.typedAt) > server) {
      restore(copy);
      copy.writer = pageId;  // this page carries the copy's work, and its unanswered saves, on
      writeCopy(copy);
      dirty = true;
      setStatus(t("restored"), !navigator.onLine);
      schedule(500);
    }
  }

  function save() {
    if (!draftUrl || !dirty || inFlight || leaving) { return; }
    dirty = false;
    setStatus(t("saving"));
    var sentAt = new Date().toISOString();
    var name = randomName();
    var body = new FormData(form);
    body.set("draft_attempt", name);
    body.set("unanswered", unanswered().join(","));
    noteUnanswered(name);  // until its answer comes: the page may be gone before it does
    inFlight = fetch(draftUrl, { method: "POST", body: body, credentials: "same-origin",
                      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (r.status === 409 || r.status === 412) { return r.json().then(refused); }
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (j) {
        if (!j) { return; }
        var tag = document.getElementById("version_tag");
        if (tag && j.version_tag) { tag.value = j.version_tag; }
        markSynced(j.saved_at, j.version_tag, sentAt);
        setStatus(t("saved") + " " + new Date().toLocaleTimeString(), false);
      })
      .catch(function () { dirty = true; setStatus(t("offline"), true); })
      .then(function () { inFlight = null; });
  }

  /* The server refused the save: the form waits for review (409), or someone else saved it
     meanwhile (412). Nothing is sent again and this device keeps its copy; on a stale save
     the page offers the comparison of both versions, field by field. */
  function refused(j) {
    draftUrl = null;
    dirty = false;
    setStatus(j.error || "", true);
    var compare = document.getElementById("compare-button");
    if (compare && j.compare_url) { compare.hidden = false; }
    return null;
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  function changed() { dirty = true; keepLocal(); schedule(3000); }

  form.addEventListener("input", function (e) {
    if (e.target.classList.contains("write-in") && e.target.value) { tickOption(e.target); }
    changed();
  });
  form.addEventListener("change", function () { changed(); deriveAge(); schedule(300); });
  form.addEventListener("focusout", function () { if (dirty) { schedule(100); } });
  window.addEventListener("online", function () { if (dirty) { schedule(100); } });
  setInterval(function () { if (dirty) { save(); } }, 5000);
  document.addEventListener("visibilitychange", function () { if (document.hidden && dirty) { save(); } });

  /* Submitting: a date that does not exist stops it beside its field; without a connection
     the submission waits on this device and goes when the connection returns. */
  var submitters = Array.prototype.slice.call(form.querySelectorAll("button[type=submit]"));
  var going = false;

  function badDates() {
    var bad = [];
    form.querySelectorAll("input[type=date]").forEach(function (el) {
      var note = el.parentElement.querySelector(".error.bad-date");
      if (el.validity && el.validity.badInput) {
        if (!note) {
          note = document.createElement("span");
          note.className = "error bad-date";
          note.setAttribute("role", "alert");
          note.textContent = t("badDate");
          el.insertAdjacentElement("afterend", note);
        }
        bad.push(el);
      } else if (note) { note.remove(); }
    });
    return bad;
  }
  form.addEventListener("input", function (e) { if (e.target.type === "date") { badDates(); } });

  function pending() {
    return (readCopy() || {}).pendingSubmit;
  }
  function setPending(index) {  // without storage, the page itself still holds the values
    var copy = readCopy() || { values: values() };
    if (index === null) { delete copy.pendingSubmit; } else { copy.pendingSubmit = { button: index, at: new Date().toISOString() }; }
    writeCopy(copy);
  }
  function waitForConnection(index) {
    leaving = false;
    setPending(index);
    submitters.forEach(function (b) { b.disabled = false; });
    setStatus(t("submitWaiting"), true);
  }
  function send(index) {
    var button = submitters[index] || submitters[0];
    var listed = form.querySelector("input[name=unanswered]");
    if (!listed) {
      listed = document.createElement("input");
      listed.type = "hidden"; listed.name = "unanswered"; form.appendChild(listed);
    }
    listed.value = unanswered().join(",");
    going = true;
    form.dataset.sending = "1";
    if (form.requestSubmit) { form.requestSubmit(button); }
    else {
      if (button && button.name) {
        var carry = document.createElement("input");
        carry.type = "hidden"; carry.name = button.name; carry.value = button.value; form.appendChild(carry);
      }
      if (button && button.formAction) { form.action = button.formAction; }
      form.submit();
    }
  }
  /* Try the server first (a HEAD of a tiny file): a submission never leaves for a dead line.
     No autosave starts meanwhile, and one already on its way is waited for: it changes the
     form's version tag, and a submission sent beside it would be refused as stale by the
     worker's own save. */
  function trySend(index) {
    if (!navigator.onLine) { waitForConnection(index); return; }
    leaving = true;
    clearTimeout(timer);
    setStatus(t("submitting"));
    (inFlight || Promise.resolve())
      .then(function () {
        return fetch("/sw.js", { method: "HEAD", cache: "no-store", credentials: "same-origin" });
      })
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } setPending(null); send(index); })
      .catch(function () { waitForConnection(index); });
  }

  form.addEventListener("submit", function (e) {
    if (going) {  // the checked submission itself: let it go, once
      submitters.forEach(function (b) { setTimeout(function () { b.disabled = true; }, 0); });
      return;
    }
    e.preventDefault();
    if (form.dataset.sending) { return; }
    keepLocal();
    var bad = badDates();
    if (bad.length) { bad[0].focus(); setStatus(t("badDate"), false); return; }
    var index = Math.max(submitters.indexOf(e.submitter), 0);
    trySend(index);
  });
  window.addEventListener("online", function () {
    var waiting = pending();
    if (waiting && !form.dataset.sending) { trySend(waiting.button || 0); }
  });

  /* A value the case pre-filled (say 会谈对象, the petitioner's name) is selected whole when
     the field is entered, so that typing replaces it instead of adding to it. */
  form.querySelectorAll("[data-prefilled]").forEach(function (el) {
    var fresh = true;
    function selectAll() { if (fresh && el.value === el.defaultValue) { el.select(); } }
    el.addEventListener("focus", function () { setTimeout(selectAll, 0); });
    el.addEventListener("pointerup", function (e) {
      if (fresh && el.value === el.defaultValue) { e.preventDefault(); el.select(); }
      fresh = false;
    });
    el.addEventListener("input", function () { fresh = false; });
  });

  function tickOption(input) {
    var item = input.closest(".box-item");
    var box = item && item.querySelector("input[type=checkbox], input[type=radio]");
    if (box && !box.checked) { box.checked = true; }
  }

  /* 年龄 follows from 出生年月 and the day of first contact. */
  function deriveAge() {
    var birth = form.querySelector('[name="birth_month"]');
    var age = form.querySelector('[name="age"]');
    if (!birth || !age || !/^\d{4}-\d{2}$/.test(birth.value)) { return; }
    var on = form.querySelector('[name="first_contact_date"]');
    var day = on && /^\d{4}-\d{2}-\d{2}$/.test(on.value) ? new Date(on.value) : new Date();
    var y = Number(birth.value.slice(0, 4)), m = Number(birth.value.slice(5, 7));
    var years = day.getFullYear() - y - ((day.getMonth() + 1) < m ? 1 : 0);
    if (years >= 0 && years <= 130) { age.value = String(years); }
  }

  /* D's goal table: a new row numbered after the last. */
  function addRow(name) {
    var body = form.querySelector('table.goals[data-field="' + name + '"] tbody');
    if (!body || !body.rows.length) { return; }
    var last = body.rows[body.rows.length - 1];
    var row = last.cloneNode(true);
    var index = body.rows.length;
    row.querySelectorAll("input, textarea, select").forEach(function (el) {
      el.name = el.name.replace(/\.\d+\./, "." + index + ".");
      el.id = el.name;
      el.value = el.classList.contains("seq") ? String(index + 1) : "";
    });
    row.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    body.appendChild(row);
  }
  form.querySelectorAll("button.add-row").forEach(function (b) {
    b.addEventListener("click", function () { addRow(b.dataset.table); changed(); });
  });

  /* Finger-drawn signatures and pictures, kept as PNG data URLs in a hidden field. */
  function hiddenOf(canvas) { return canvas.parentElement.querySelector("input[type=hidden]"); }
  function drawStored(canvas) {
    var ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    var hidden = hiddenOf(canvas);
    if (hidden && hidden.value) {
      var img = new Image();
      img.onload = function () { ctx.drawImage(img, 0, 0, canvas.width, canvas.height); };
      img.src = hidden.value;
    }
  }
  form.querySelectorAll("canvas.signature-pad").forEach(function (canvas) {
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    drawStored(canvas);
    if (canvas.dataset.locked) { return; }
    function point(e) {
      var r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (e) {
      drawing = true; canvas.setPointerCapture(e.pointerId);
      var p = point(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
      ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#000";
    });
    canvas.addEventListener("pointermove", function (e) {
      if (!drawing) { return; }
      var p = point(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    function finish() {
      if (!drawing) { return; }
      drawing = false;
      if (drawn) { hiddenOf(canvas).value = canvas.toDataURL("image/png"); changed(); }
    }
    canvas.addEventListener("pointerup", finish);
    canvas.addEventListener("pointercancel", finish);
    var clear = canvas.parentElement.querySelector(".clear-signature");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height); hiddenOf(canvas).value = ""; drawn = false; changed();
      });
    }
  });

  maybeRestore();
  if (pending()) {  // a submission made offline, before this page was reloaded or reopened
    if (navigator.onLine) { trySend(pending().button || 0); } else { waitForConnection(pending().button || 0); }
  }
})();

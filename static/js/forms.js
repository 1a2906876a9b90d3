/* The annex form on a tablet: nothing typed is lost.
   - every change is kept in this browser at once (localStorage), with the time it was typed;
   - the draft goes to the server every few seconds and when a field is left;
   - offline, the page comes from the service worker's copy and the typed values are restored;
   - signatures and pictures are drawn with a finger; D's goal table grows row by row. */
(function () {
  "use strict";
  var form = document.getElementById("annex-form");
  if (!form) { return; }
  var key = form.dataset.storageKey;
  var draftUrl = form.dataset.draftUrl;
  var status = document.getElementById("save-status");
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var dirty = false, saving = false, timer = null;
  var text = {
    saved: document.documentElement.lang === "en" ? "Draft saved " : "草稿已保存 ",
    offline: document.documentElement.lang === "en" ? "Offline: kept on this device, sent when the connection returns"
                                                   : "离线：已保存在本设备，恢复连接后自动上传",
    restored: document.documentElement.lang === "en" ? "Restored what was typed on this device"
                                                     : "已恢复本设备上输入的内容",
    saving: document.documentElement.lang === "en" ? "Saving…" : "正在保存…"
  };

  function setStatus(message, offline) {
    if (!status) { return; }
    status.textContent = message;
    status.classList.toggle("offline", !!offline);
  }

  function values() {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.name === "csrf_token" || el.name === "submission_token") { return; }
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) { return; }
      if (el.type === "submit" || el.type === "button") { return; }
      out.push([el.name, el.value]);
    });
    return out;
  }

  function keepLocal() {
    try {
      localStorage.setItem(key, JSON.stringify({ typedAt: new Date().toISOString(), synced: false, values: values() }));
    } catch (e) { /* storage full or disabled: the server copy still works */ }
  }

  function markSynced(savedAt) {
    try {
      var copy = JSON.parse(localStorage.getItem(key) || "null");
      if (copy) { copy.synced = true; copy.serverSavedAt = savedAt; localStorage.setItem(key, JSON.stringify(copy)); }
    } catch (e) { /* ignore */ }
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
      if (!el.name || el.disabled || el.name === "csrf_token" || el.name === "submission_token") { return; }
      var got = byName[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") { el.checked = got.indexOf(el.value) >= 0; }
      else if (el.type !== "submit" && el.type !== "button") { el.value = got.length ? got[0] : ""; }
    });
    form.querySelectorAll("canvas.signature-pad").forEach(drawStored);
  }

  function maybeRestore() {
    var copy;
    try { copy = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { copy = null; }
    if (!copy || copy.synced || !copy.values) { return; }
    var server = form.dataset.serverSaved ? Date.parse(form.dataset.serverSaved) : 0;
    if (Date.parse(copy.typedAt) > server) {
      restore(copy);
      dirty = true;
      setStatus(text.restored, !navigator.onLine);
      schedule(500);
    }
  }

  function save() {
    if (!draftUrl || !dirty || saving) { return; }
    saving = true;
    dirty = false;
    setStatus(text.saving);
    var body = new FormData(form);
    fetch(draftUrl, { method: "POST", body: body, credentials: "same-origin",
                      headers: { "X-CSRFToken": csrf, "X-Requested-With": "fetch" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.json();
      })
      .then(function (j) {
        markSynced(j.saved_at);
        setStatus(text.saved + new Date().toLocaleTimeString(), false);
      })
      .catch(function () { dirty = true; setStatus(text.offline, true); })
      .then(function () { saving = false; });
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

  form.addEventListener("submit", function (e) {
    keepLocal();
    var button = form.querySelector("button[type=submit]");
    if (form.dataset.sending) { e.preventDefault(); return; }
    form.dataset.sending = "1";
    if (button) { setTimeout(function () { button.disabled = true; }, 0); }
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
})();

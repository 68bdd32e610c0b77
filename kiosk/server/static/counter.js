// The counter page: sign in with the counter's device token (kept in this tab's
// sessionStorage, sent as Authorization: Bearer, never in a URL), choose the services,
// call next / again / did not come / done. Every answer or failure is said in words.
"use strict";
(function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const T = page.texts;
  const $ = (id) => document.getElementById(id);
  const store = window.sessionStorage;

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));
  }
  function say(text, kind) {
    const box = $("message");
    box.textContent = text;
    box.className = kind || "error";
    box.hidden = !text;
  }
  function uuid() {  // crypto.randomUUID needs https; getRandomValues works on plain http
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  class Failure extends Error {}

  // fetch with the token; resolves to the JSON answer (or null), throws a Failure
  // whose message is what staff read
  async function api(method, path, body, extra) {
    const headers = Object.assign({ Authorization: "Bearer " + store.getItem("token") },
                                  extra || {});
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, { method, headers, cache: "no-store",
                                     body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Failure(T.unreachable);
    }
    let answer = null;
    try { answer = await response.json(); } catch (err) { answer = null; }
    if (response.ok) return answer;
    const code = answer && answer.error;
    if (response.status === 401) { signOut(); throw new Failure(T.bad_token); }
    if (response.status === 403) throw new Failure(T.not_counter);
    if (code === "nobody_waiting") throw new Failure(T.nobody);
    if (code === "no_current_call") throw new Failure(T.no_call);
    if (response.status >= 500 && response.status !== 503) throw new Failure(T.unreachable);
    throw new Failure(fill(T.refused, { reason: (answer && answer.reason) || response.status }));
  }

  const counterPath = (action) =>
    `/api/v1/counters/${encodeURIComponent(store.getItem("counter"))}/${action}`;

  function chosen() {
    return Array.from(document.querySelectorAll("#services input:checked"), (i) => i.value);
  }
  function showCurrent(number) {
    $("current").textContent = number || T.no_current;
    $("current").classList.toggle("empty", !number);
  }

  async function refreshQueue() {
    const rows = await api("GET", "/api/v1/queue");
    const names = Object.fromEntries(page.services.map((s) => [s.id, s.name]));
    const body = $("queue").tBodies[0];
    body.replaceChildren(...rows.map((row) => {
      const tr = document.createElement("tr");
      const name = document.createElement("td");
      name.textContent = names[row.service] || row.service;
      const waiting = document.createElement("td");
      waiting.textContent = row.open ? String(row.waiting) : `${row.waiting} (${T.closed})`;
      tr.append(name, waiting);
      return tr;
    }));
  }

  async function refreshCurrent() {
    const calls = await api("GET", "/api/v1/calls?limit=100");
    const mine = calls.find((c) => c.counter === store.getItem("counter"));
    showCurrent(mine ? mine.number : null);
  }

  // one action at a time: the buttons are disabled while the server answers
  async function act(work) {
    const buttons = document.querySelectorAll(".actions button");
    // a disabled button loses the focus: keyboard users get it back afterwards
    const focused = document.activeElement;
    buttons.forEach((b) => { b.disabled = true; });
    try {
      await work();
    } catch (err) {
      say(err instanceof Failure ? err.message : T.unreachable, "error");
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      if (focused && focused !== document.body && !$("desk").hidden) focused.focus();
      refreshQueue().catch(() => {});
    }
  }

  async function callNext() {
    const services = chosen();
    if (!services.length) throw new Failure(T.choose);
    // one key per click: a retry of the same click never calls a second visitor
    const call = await api("POST", counterPath("call"), { services },
                           { "Idempotency-Key": uuid() });
    showCurrent(call.number);
    say(fill(T.called, { number: call.number, counter: call.counter }), "ok");
  }
  async function recall() {
    const call = await api("POST", counterPath("recall"));
    showCurrent(call.number);
    say(fill(T.called, { number: call.number, counter: call.counter }), "ok");
  }
  async function finish(action) {
    // the counter's current call as the server keeps it (another tab may have moved on)
    await api("POST", counterPath(action));
    showCurrent(null);
    say("", "ok");
  }

  function buildServices() {
    const box = $("services");
    const saved = JSON.parse(store.getItem("services") || "null");
    for (const s of page.services) {
      const label = document.createElement("label");
      const box_ = document.createElement("input");
      box_.type = "checkbox";
      box_.value = s.id;
      box_.checked = saved ? saved.includes(s.id) : true;
      box_.addEventListener("change", () =>
        store.setItem("services", JSON.stringify(chosen())));
      label.append(box_, " ", s.name);
      box.append(label);
    }
  }

  async function enter() {
    $("counter-id").textContent = store.getItem("counter");
    $("sign-in").hidden = true;
    $("desk").hidden = false;
    $("call-next").focus();
    await act(refreshCurrent);
  }
  function signOut() {
    store.removeItem("token");
    store.removeItem("counter");
    $("desk").hidden = true;
    $("sign-in").hidden = false;
    $("counter-id").textContent = "";
    $("token").focus();
  }

  $("sign-in").addEventListener("submit", async (event) => {
    event.preventDefault();
    store.setItem("token", $("token").value.trim());
    store.setItem("counter", $("counter").value.trim());
    $("token").value = "";
    try {
      await api("GET", "/counter/me");
    } catch (err) {
      signOut();
      say(err instanceof Failure ? err.message : T.unreachable, "error");
      return;
    }
    say("", "ok");
    await enter();
  });
  $("call-next").addEventListener("click", () => act(callNext));
  $("recall").addEventListener("click", () => act(recall));
  $("no-show").addEventListener("click", () => act(() => finish("noshow")));
  $("done").addEventListener("click", () => act(() => finish("done")));
  $("sign-out").addEventListener("click", () => { say("", "ok"); signOut(); });

  // the waiting counts change with every terminal's ticket: read again whenever staff
  // come back to this window (an event, not a timer)
  window.addEventListener("focus", () => {
    if (store.getItem("token")) refreshQueue().catch(() => {});
  });

  buildServices();
  if (store.getItem("token") && store.getItem("counter")) enter();
  else $("token").focus();
})();

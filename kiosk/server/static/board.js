// The waiting-area board: the newest call large and highlighted, the ones before it
// below, an optional chime. Calls arrive as server-sent events; after a network cut the
// EventSource reconnects by itself and the list is read again, so nothing is missed.
"use strict";
(function () {
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const T = page.texts;
  const $ = (id) => document.getElementById(id);
  let calls = [];         // newest first: {number, counter, ...}
  let source = null;
  let retryMs = 2000;     // a stream the server refused (503, 401) is tried again, slower
  let audio = null;

  function status(text) {
    $("status").textContent = text;
    $("status").hidden = !text;
    document.body.classList.toggle("offline", !!text);
  }
  const counterText = (c) => T.counter_of.replace("{counter}", c.counter);

  function render(fresh) {
    const newest = calls[0];
    $("newest-number").textContent = newest ? newest.number : "";
    $("newest-counter").textContent = newest ? counterText(newest) : "";
    const box = $("newest");
    if (fresh) {  // restart the highlight animation
      box.classList.remove("fresh");
      void box.offsetWidth;
      box.classList.add("fresh");
    }
    $("calls").tBodies[0].replaceChildren(...calls.slice(1).map((c) => {
      const tr = document.createElement("tr");
      const number = document.createElement("td");
      number.textContent = c.number;
      const counter = document.createElement("td");
      counter.textContent = c.counter;
      tr.append(number, counter);
      return tr;
    }));
  }

  function chime() {
    if (!page.chime) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      const now = audio.currentTime;
      [[784, 0], [523, 0.35]].forEach(([freq, at]) => {  // a two-tone gong, 0.7 s
        const tone = audio.createOscillator();
        const gain = audio.createGain();
        tone.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, now + at);
        gain.gain.exponentialRampToValueAtTime(0.4, now + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.6);
        tone.connect(gain).connect(audio.destination);
        tone.start(now + at);
        tone.stop(now + at + 0.65);
      });
    } catch (err) { /* no audio on this screen: the board still shows the call */ }
  }

  async function load() {
    const response = await fetch(`/api/v1/calls?limit=${page.calls}`,
                                 { cache: "no-store", credentials: "same-origin" });
    if (response.status === 401 || response.status === 403) {
      status(T.sign_in);
      return false;
    }
    if (!response.ok) throw new Error(String(response.status));
    calls = (await response.json()).slice(0, page.calls);
    render(false);
    return true;
  }

  function onCall(event) {
    const call = JSON.parse(event.data);
    calls = [call].concat(calls.filter((c) => c.number !== call.number)).slice(0, page.calls);
    render(true);
    chime();
  }

  function connect() {
    source = new EventSource("/api/v1/calls/stream");
    source.addEventListener("call", onCall);
    source.addEventListener("open", () => {
      retryMs = 2000;
      // calls made while the stream was down: read the list again
      load().then((ok) => { if (ok) status(""); })
            .catch(() => status(T.reconnecting));
    });
    source.addEventListener("error", () => {
      status(T.reconnecting);
      if (source.readyState === EventSource.CLOSED) {
        // the server answered but not with a stream (restarting, or the cookie is
        // gone): the browser gives up, so a new EventSource is made after a pause
        source.close();
        load().then((ok) => {
          if (ok) setTimeout(connect, retryMs);
        }).catch(() => setTimeout(connect, retryMs));
        retryMs = Math.min(retryMs * 2, 30000);
      }
    });
  }

  async function signIn() {
    const match = /^#token=(.+)$/.exec(window.location.hash);
    if (!match) return;
    // the token leaves the address bar at once (the fragment is never sent to a server)
    history.replaceState(null, "", window.location.pathname);
    const response = await fetch("/board/session", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: decodeURIComponent(match[1]) }),
    });
    if (!response.ok) status(T.sign_in);
  }

  document.addEventListener("click", () => { if (audio) audio.resume(); });
  signIn().catch(() => status(T.reconnecting)).finally(async () => {
    let ok = false;
    try { ok = await load(); } catch (err) { status(T.reconnecting); ok = true; }
    if (ok) connect();
  });
})();

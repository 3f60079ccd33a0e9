// Replay view: a checked session record as a timeline of stages and decisions.
"use strict";

const state = {record: null, id: null, pos: 0, time: 0, playing: false, last: null};
const $ = (id) => document.getElementById(id);

async function init() {
  const records = await getJSON("/api/records");
  for (const r of records) {
    const option = el("option", (r.sample ? "sample: " : "") + r.name);
    option.value = r.id;
    $("records").appendChild(option);
  }
  $("records").onchange = () => open(Number($("records").value));
  $("scrub").oninput = () => seek(Number($("scrub").value));
  $("next").onclick = () => step(1);
  $("prev").onclick = () => step(-1);
  $("play").onclick = () => play(!state.playing);
  document.addEventListener("keydown", (e) => {
    if (e.key === ".") step(1);
    else if (e.key === ",") step(-1);
    else if (e.key === " ") { e.preventDefault(); play(!state.playing); }
  });
  const wanted = Number(new URLSearchParams(location.search).get("record") || 0);
  if (records.length) await open(wanted);
}

async function open(id) {
  play(false);
  $("error").textContent = "";
  document.body.dataset.ready = "";
  try {
    state.record = await getJSON("/api/records/" + id);
  } catch (err) {
    $("error").textContent = "cannot open this record: " + err.message;
    return;
  }
  state.id = id;
  $("records").value = id;
  const events = state.record.events;
  const end = events[events.length - 1];
  $("scrub").max = end.t;
  $("outcome").textContent = end.event === "task_end"
    ? (end.success ? "task succeeded" : end.aborted ? "session aborted" : "task failed") : "";
  $("outcome").className = end.success ? "ok" : "bad";
  drawTimeline();
  seek(0);
  document.body.dataset.ready = "1";
}

function drawTimeline() {
  const line = $("timeline");
  line.replaceChildren();
  const events = state.record.events, end = events[events.length - 1].t || 1;
  events.forEach((e, i) => {
    if (e.event !== "stage" && e.event !== "decision" && e.event !== "confirm") return;
    const tick = el("span", null, "tick " + e.event);
    tick.style.left = (100 * e.t / end) + "%";
    tick.title = e.event + " " + (e.stage || "") + " t=" + e.t;
    tick.onclick = () => show(i);
    line.appendChild(tick);
  });
}

// Go to session time t: the last event at or before it.
function seek(t) {
  const events = state.record.events;
  let pos = 0;
  while (pos + 1 < events.length && events[pos + 1].t <= t) pos++;
  state.time = t;
  render(pos);
}

// Go to the event at index pos.
function show(pos) {
  state.time = state.record.events[pos].t;
  render(pos);
}

function step(direction) {
  const marks = state.record.marks;
  const next = direction > 0 ? marks.find((m) => m > state.pos)
    : [...marks].reverse().find((m) => m < state.pos);
  if (next !== undefined) { play(false); show(next); }
}

function play(on) {
  state.playing = on && !!state.record;
  $("play").textContent = state.playing ? "pause" : "play";
  state.last = null;
  if (state.playing) requestAnimationFrame(tick);
}

function tick(now) {
  if (!state.playing) return;
  if (state.last !== null) {
    const speed = Number($("speed").value);
    const end = Number($("scrub").max);
    const t = Math.min(end, state.time + speed * (now - state.last) / 1000);
    seek(t);
    if (t >= end) { play(false); return; }
  }
  state.last = now;
  requestAnimationFrame(tick);
}

function lastBefore(pos, test) {
  const events = state.record.events;
  for (let i = pos; i >= 0; i--) if (test(events[i])) return i;
  return -1;
}

function render(pos) {
  state.pos = pos;
  const events = state.record.events;
  $("scrub").value = state.time;
  $("clock").textContent = "t = " + state.time.toFixed(1) + " s";
  const frame = lastBefore(pos, (e) => e.event === "frame");
  const src = frame < 0 ? "" : withToken("/api/records/" + state.id + "/frames/" + events[frame].path);
  if (src && $("frame").dataset.src !== src) { $("frame").src = src; $("frame").dataset.src = src; }
  const stage = lastBefore(pos, (e) => e.event === "stage");
  $("stage").textContent = stage < 0 ? "-" : "stage: " + events[stage].stage;
  const mark = lastBefore(pos, (e) => e.event === "decision" || e.event === "confirm");
  const marks = state.record.marks;
  $("mark").textContent = mark < 0 ? "no decision yet"
    : "decision " + (marks.indexOf(mark) + 1) + " of " + marks.length;
  const box = $("decision");
  box.replaceChildren();
  box.dataset.event = mark;
  if (mark >= 0) describe(box, events[mark]);
  plotEEG(mark < 0 ? null : state.record.windows[String(mark)]);
}

function describe(box, e) {
  if (e.event === "decision") {
    box.appendChild(el("div", e.stage + ": decoded " + e.label + ", wanted " + e.intended,
                       e.correct ? "ok" : "bad"));
    box.appendChild(el("div", e.score_kind + " over " + e.window_s + " s of EEG, decided in "
                       + Number(e.latency_ms).toFixed(1) + " ms"));
    box.appendChild(scoreBars(e.scores, e.label));
  } else {
    const verdict = e.clench ? "rejected (clench)" : "accepted";
    box.appendChild(el("div", "confirm " + e.stage + ": " + (e.proposal || "") + " " + verdict,
                       e.correct ? "ok" : "bad"));
    box.appendChild(el("div", "clench score " + Number(e.score).toFixed(2)
                       + (e.wanted_reject ? " (the person wanted to reject)" : "")));
  }
}

// The decision's EEG window: one trace per channel, stacked.
function plotEEG(w) {
  const canvas = $("eeg"), g = canvas.getContext("2d");
  g.fillStyle = "#000";
  g.fillRect(0, 0, canvas.width, canvas.height);
  if (!w) return;
  const rows = w.uV.length, h = canvas.height / rows, n = w.uV[0].length;
  g.font = "10px sans-serif";
  w.uV.forEach((trace, c) => {
    const mid = h * (c + 0.5);
    const peak = Math.max(1e-6, ...trace.map(Math.abs));
    g.strokeStyle = "#7bf";
    g.beginPath();
    trace.forEach((v, i) => {
      const x = 40 + (canvas.width - 44) * i / Math.max(1, n - 1);
      const y = mid - 0.45 * h * v / peak;
      if (i) g.lineTo(x, y); else g.moveTo(x, y);
    });
    g.stroke();
    g.fillStyle = "#ccc";
    g.fillText(w.channels[c], 2, mid + 3);
  });
  g.fillText((n / w.sfreq).toFixed(1) + " s", canvas.width - 30, canvas.height - 2);
}

init().catch((err) => { $("error").textContent = err.message; });

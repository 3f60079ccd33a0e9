// Experimenter view: the live EEG by channel group with quality flags, decoder scores per
// stage, the event log, task progress, pause / resume (which only hold the session) and abort
// (the loop ends the session at its next safe point).
"use strict";

const $ = (id) => document.getElementById(id);
const progress = {attempt: 1, skills: 0, decisions: 0, t: 0, task: ""};
let socket = null, paused = false;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + withToken("/ws?view=experimenter"));
  socket.onopen = () => { $("status").textContent = "connected"; };
  socket.onclose = () => { $("status").textContent = "disconnected: retrying"; setTimeout(connect, 1000); };
  socket.onmessage = (m) => handle(JSON.parse(m.data));
}

function showProgress() {
  $("progress").textContent = progress.task + " | attempt " + progress.attempt + " | skills "
    + progress.skills + " | decisions " + progress.decisions + " | t = " + progress.t.toFixed(1) + " s";
  document.body.dataset.decisions = progress.decisions;
}

function handle(m) {
  if (m.type === "idle") { $("status").textContent = "no session is running"; return; }
  if (m.type === "session") { progress.task = m.task; showProgress(); return; }
  if (m.type === "paused") {
    paused = m.paused;
    $("pause").textContent = paused ? "resume" : "pause";
    $("status").textContent = paused ? "PAUSED (the robot stands still)" : "running";
    document.body.dataset.paused = paused ? "1" : "";
    return;
  }
  if (m.type === "warning") { $("warnings").appendChild(el("div", m.text)); return; }
  if (m.type === "aborting") {
    $("status").textContent = "ABORTING at the next safe point";
    document.body.dataset.aborting = "1";
    return;
  }
  if (m.type === "trace") { addTrace(m); return; }
  if (m.type !== "event") return;
  const e = m.event;
  progress.t = e.t;
  if (e.event === "task_reset") progress.attempt = e.attempt;
  if (e.event === "skill_end" || e.event === "skill_failure") progress.skills++;
  if (e.event === "decision" || e.event === "confirm") progress.decisions++;
  if (e.event === "decision" && $("scores-" + e.stage)) {
    const box = $("scores-" + e.stage);
    box.replaceChildren(el("div", e.stage + ": " + e.label + (e.correct ? " (as wanted)" : " (wanted " + e.intended + ")"),
                           e.correct ? "ok" : "bad"));
    box.appendChild(scoreBars(e.scores, e.label));
  }
  if (e.event === "task_end") {
    $("status").textContent = e.success ? "task done" : e.aborted ? "session aborted" : "task not done";
    document.body.dataset.ended = e.success ? "success" : e.aborted ? "aborted" : "failure";
  }
  if (e.event !== "frame") {
    const what = e.label || e.proposal || e.skill || e.reason || "";
    $("log").prepend(el("div", "t=" + e.t.toFixed(2) + " " + e.event + " " + (e.stage || "") + " " + what,
                        e.correct === false ? "bad" : ""));
  }
  showProgress();
}

// ---- the live EEG trace -------------------------------------------------------------------
// The server sends each window the loop records as slices of min / max envelopes ("trace"
// messages: t0 in session s, rate in points/s, lo / hi per channel in µV) with each channel's
// quality flags over its window. One canvas per channel group (SSVEP, MI, EMG), the last
// TRACE_S seconds of session time, one row per channel, its flags beside its name.
const TRACE_S = 10;
// channel name -> {groups, flags, slices: [{t0, rate, lo, hi}]}; channels in order of arrival
const trace = {chans: {}, order: [], end: 0, dirty: false, n: 0};
window.traceLog = [];  // [start, end (session s), event, flagged channels] of each slice

function addTrace(m) {
  const end = m.t0 + m.lo[0].length / m.rate;
  trace.end = Math.max(trace.end, end);
  m.channels.forEach((ch, i) => {
    if (!trace.chans[ch]) { trace.chans[ch] = {groups: m.groups[ch], flags: [], slices: []}; trace.order.push(ch); }
    const c = trace.chans[ch];
    c.flags = m.flags[i];
    c.slices.push({t0: m.t0, rate: m.rate, lo: m.lo[i], hi: m.hi[i]});
  });
  for (const ch of trace.order) {
    const c = trace.chans[ch];
    c.slices = c.slices.filter((s) => s.t0 + s.lo.length / s.rate > trace.end - TRACE_S);
  }
  trace.n++;
  document.body.dataset.traced = trace.n;
  window.traceLog.push([m.t0, end, m.event, m.channels.filter((ch, i) => m.flags[i].length)]);
  $("eeg-title").textContent = "t = " + trace.end.toFixed(1) + " s (" + m.event + " " + (m.stage || "")
    + ", window of " + m.window_s.toFixed(1) + " s)";
  if (!trace.dirty) { trace.dirty = true; requestAnimationFrame(drawTrace); }
}

function drawTrace() {
  trace.dirty = false;
  const byGroup = {};
  for (const ch of trace.order) {
    const groups = trace.chans[ch].groups;
    for (const g of (groups.length ? groups : ["other"])) (byGroup[g] = byGroup[g] || []).push(ch);
  }
  const left = trace.end - TRACE_S, row = 18, labelW = 96;
  for (const group of ["SSVEP", "MI", "EMG", "other"].filter((g) => byGroup[g])) {
    const rows = byGroup[group];
    let canvas = $("eeg-" + group);
    if (!canvas) {
      canvas = el("canvas");
      canvas.id = "eeg-" + group;
      canvas.width = 460;
      $("traces").appendChild(el("div", group));
      $("traces").appendChild(canvas);
    }
    if (canvas.height !== row * rows.length + 4) canvas.height = row * rows.length + 4;
    const g = canvas.getContext("2d"), w = canvas.width - labelW - 4;
    g.fillStyle = "#000"; g.fillRect(0, 0, canvas.width, canvas.height);
    g.font = "10px sans-serif";
    rows.forEach((ch, r) => {
      const c = trace.chans[ch], mid = row * r + 11;
      let lo = Infinity, hi = -Infinity;
      for (const s of c.slices) for (let k = 0; k < s.lo.length; k++) {
        lo = Math.min(lo, s.lo[k]); hi = Math.max(hi, s.hi[k]);
      }
      const centre = (lo + hi) / 2, half = Math.max((hi - lo) / 2, 1e-6);
      g.strokeStyle = c.flags.length ? "#f77" : "#7bf";
      g.beginPath();
      for (const s of c.slices) for (let k = 0; k < s.lo.length; k++) {
        const x = labelW + w * (s.t0 + k / s.rate - left) / TRACE_S;
        if (x < labelW) continue;
        g.moveTo(x, mid - 8 * (s.hi[k] - centre) / half);
        g.lineTo(x, mid - 8 * (s.lo[k] - centre) / half + 0.5);
      }
      g.stroke();
      g.fillStyle = c.flags.length ? "#f77" : "#ccc";
      g.fillText(ch + (c.flags.length ? " " + c.flags.join("+") : ""), 2, mid + 3);
    });
  }
  const flagged = trace.order.filter((ch) => trace.chans[ch].flags.length);
  $("flags").replaceChildren(el("div", flagged.length
    ? "flags: " + flagged.map((ch) => ch + " " + trace.chans[ch].flags.join("+")).join(", ") : "signal quality: no flags",
    flagged.length ? "bad" : "ok"));
}

function togglePause() { send({type: paused ? "resume" : "pause"}); }
function abort() { send({type: "abort"}); }
$("pause").onclick = togglePause;
$("abort").onclick = abort;
document.addEventListener("keydown", (e) => {
  if (e.key === "p") togglePause();
  else if (e.key === "A") abort();  // shift+a: not by a slip of one key
  else if (e.key === "o") location.href = withToken("/operator");
  else if (e.key === "r") location.href = withToken("/replay");
});
connect();

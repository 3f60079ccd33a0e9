// Experimenter view: EEG windows by channel group with quality flags, decoder scores per
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
  socket = new WebSocket(scheme + location.host + withToken("/ws"));
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
  if (m.type === "eeg") { plotGroups(m); return; }
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

// One canvas per channel group (SSVEP, MI, EMG), one trace per channel, flags beside.
function plotGroups(m) {
  $("eeg-title").textContent = m.event + " " + (m.stage || "") + " at t = " + m.t.toFixed(1) + " s ("
    + (m.uV[0].length / m.sfreq).toFixed(1) + " s)";
  const byGroup = {};
  m.channels.forEach((ch, i) => {
    for (const g of (m.groups[ch].length ? m.groups[ch] : ["other"])) (byGroup[g] = byGroup[g] || []).push(i);
  });
  const traces = $("traces");
  traces.replaceChildren();
  for (const [group, rows] of Object.entries(byGroup)) {
    traces.appendChild(el("div", group));
    const canvas = el("canvas");
    canvas.width = 420; canvas.height = 18 * rows.length + 4;
    canvas.id = "eeg-" + group;
    traces.appendChild(canvas);
    const g = canvas.getContext("2d");
    g.fillStyle = "#000"; g.fillRect(0, 0, canvas.width, canvas.height);
    g.font = "10px sans-serif";
    rows.forEach((c, r) => {
      const trace = m.uV[c], mid = 18 * r + 11, n = trace.length;
      const mean = trace.reduce((a, b) => a + b, 0) / n;
      const peak = Math.max(1e-6, ...trace.map((v) => Math.abs(v - mean)));
      g.strokeStyle = m.flags[c].length ? "#f77" : "#7bf";
      g.beginPath();
      trace.forEach((v, i) => {
        const x = 40 + (canvas.width - 44) * i / Math.max(1, n - 1), y = mid - 8 * (v - mean) / peak;
        if (i) g.lineTo(x, y); else g.moveTo(x, y);
      });
      g.stroke();
      g.fillStyle = "#ccc";
      g.fillText(m.channels[c], 2, mid + 3);
    });
  }
  const flagged = m.channels.map((ch, i) => [ch, m.flags[i]]).filter(([, f]) => f.length);
  $("flags").replaceChildren(el("div", flagged.length
    ? "flags: " + flagged.map(([ch, f]) => ch + " " + f.join("+")).join(", ") : "signal quality: no flags",
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

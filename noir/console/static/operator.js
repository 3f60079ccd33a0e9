// Operator view: follows a running session over the WebSocket and renders the SSVEP stimuli.
"use strict";

const $ = (id) => document.getElementById(id);
const session = {width: 360, height: 240, confirmWindow: 1, speed: null, decisions: 0, frames: 0};

// ---- the display's refresh rate, measured from requestAnimationFrame --------------------
const deltas = [];
let lastFlip = null, reported = null;
window.refreshHz = null;

function measure(now) {
  if (lastFlip !== null) {
    deltas.push(now - lastFlip);
    if (deltas.length > 240) deltas.shift();
    if (deltas.length >= 60) {
      // the mean frame interval, dropped frames left out: the browser's clock is coarsened
      // (0.1 ms), so one interval (or their median) is not precise enough
      const sorted = [...deltas].sort((a, b) => a - b);
      const median = sorted[sorted.length >> 1];
      const kept = deltas.filter((d) => d < 1.5 * median);
      window.refreshHz = 1000 * kept.length / kept.reduce((a, b) => a + b, 0);
      if (reported === null || Math.abs(reported - window.refreshHz) > 0.5) {
        reported = window.refreshHz;
        $("refresh").textContent = "display " + reported.toFixed(1) + " Hz";
        if (socket === null) connect();  // the page joins once it can render stimuli
        else if (stimulusPage) send({type: "refresh", hz: reported});
      }
    }
  }
  lastFlip = now;
  stimulate(now);
  requestAnimationFrame(measure);
}
requestAnimationFrame(measure);

// ---- SSVEP stimuli: one patch per target, a sampled sinusoid, frame-locked -----------------
// Each frame's flip time (ms, page clock) and every target's luminance go to window.frameLog.
window.frameLog = [];
window.onsets = [];
window.frameTimes = [];
const stimuli = {targets: [], patches: [], onset: null, stage: null};

// Start flickering `targets` ([{name, freq, phase, u, v}], u/v in camera pixels).
function startStimuli(targets, stage) {
  stopStimuli();
  const camera = $("camera");
  stimuli.targets = targets;
  stimuli.stage = stage || "what";
  stimuli.patches = targets.map((t, k) => {
    const patch = el("div", null, "patch");
    // a target the camera does not see has no u / v: its patch sits in its slot along the bottom
    const placed = t.u !== undefined && t.v !== undefined;
    patch.style.left = (placed ? 100 * t.u / session.width : 100 * (k + 0.5) / targets.length) + "%";
    patch.style.top = (placed ? 100 * t.v / session.height : 85) + "%";
    const label = el("div", t.name + " " + t.freq + " Hz", "patch-label");
    label.style.left = patch.style.left;
    label.style.top = patch.style.top;
    camera.appendChild(patch);
    camera.appendChild(label);
    return [patch, label];
  });
  stimuli.onset = null;  // set on the first frame that shows them
}

function stopStimuli() {
  for (const [patch, label] of stimuli.patches) { patch.remove(); label.remove(); }
  stimuli.targets = [];
  stimuli.patches = [];
}

function stimulate(now) {
  if (!stimuli.targets.length || !window.refreshHz) return;
  const rate = window.refreshHz;
  if (stimuli.onset === null) {
    stimuli.onset = now;
    const onset = {stage: stimuli.stage, at: performance.timeOrigin + now,
                   targets: stimuli.targets.map((t) => ({name: t.name, freq: t.freq, phase: t.phase}))};
    window.onsets.push(onset);
    if (stimulusPage) send({type: "onset", ...onset});
  }
  // frame number since the onset at the measured refresh rate: a dropped frame skips a sample
  const n = Math.round((now - stimuli.onset) * rate / 1000);
  const states = {};
  stimuli.targets.forEach((t, i) => {
    const level = 0.5 * (1 + Math.sin(2 * Math.PI * t.freq * n / rate + (t.phase || 0)));
    const grey = Math.round(255 * level);
    stimuli.patches[i][0].style.background = "rgb(" + grey + "," + grey + "," + grey + ")";
    states[t.name] = level;
  });
  if (window.frameLog.length < 50000) window.frameLog.push({t: now, n: n, states: states});
}
window.startStimuli = startStimuli;
window.stopStimuli = stopStimuli;

// ---- the session's messages ---------------------------------------------------------------
let socket = null;
// Only the stimulus page (the first operator page open) reports onsets, its refresh rate and
// what it showed when; another operator page shows the same and reports nothing.
let stimulusPage = false;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + withToken("/ws?view=operator"));
  socket.onopen = () => { $("status").textContent = "connected"; };
  socket.onclose = () => { $("status").textContent = "disconnected: retrying"; setTimeout(connect, 1000); };
  socket.onmessage = (m) => handle(JSON.parse(m.data));
}

function log(text, className) {
  const line = el("div", text, className);
  $("log").prepend(line);
}

// After the frame that shows a message's effect: tell the server (decision -> screen latency).
// Nothing for messages of the backlog a page gets when it opens (seq null).
function shown(seq) {
  if (seq === null || !stimulusPage) return;
  requestAnimationFrame((now) => send({type: "shown", seq: seq, at: performance.timeOrigin + now}));
}

function handle(m) {
  if (m.type === "idle") { $("stage").textContent = "no session is running"; return; }
  if (m.type === "role") {
    stimulusPage = m.stimuli;
    document.body.dataset.role = stimulusPage ? "stimuli" : "observer";
    $("role").textContent = stimulusPage ? "" : "(a second operator page: it reports nothing)";
    if (stimulusPage && reported) send({type: "refresh", hz: reported});
    return;
  }
  if (m.type === "session") {
    session.width = m.width; session.height = m.height;
    session.confirmWindow = m.confirm_window; session.speed = m.speed;
    $("status").textContent = "session " + m.task + (m.live ? " (live)" : "");
    return;
  }
  if (m.type === "frame") {
    $("frame").src = "data:" + m.mime + ";base64," + m.data;
    session.frames++;
    $("camera").dataset.frames = session.frames;
    // when each frame arrived (page ms), its session time and whether the robot moved
    if (window.frameTimes.length < 20000) window.frameTimes.push([performance.now(), m.t, m.moving]);
    return;
  }
  // stimuli of the backlog are past (their onset is not now): only live ones flicker
  if (m.type === "stimuli") { if (!m.backlog) startStimuli(m.targets, "what"); return; }
  if (m.type === "cues") { if (!m.backlog) showCues(m.cues); return; }
  if (m.type === "warning") { $("warnings").appendChild(el("div", m.text)); return; }
  if (m.type === "aborting") { $("banner").textContent = "the experimenter aborts the session"; $("banner").className = "banner bad"; return; }
  if (m.type === "event") onEvent(m.event, m.backlog ? null : m.seq);
}

// A live session's cues: each instruction when it starts (a new list drops the old one).
let cueTimers = [];
window.cueLog = [];  // every instruction shown, in order
window.cuesSent = [];  // every instruction the session sent (one cut short by the next list is not shown)
function showCues(cues) {
  window.cuesSent.push(...cues.map((cue) => cue.text));
  cueTimers.forEach(clearTimeout);
  cueTimers = [];
  $("cue").textContent = "";
  let onset = 0;
  for (const cue of cues) {
    cueTimers.push(setTimeout(() => {
      $("cue").textContent = cue.text + " (" + cue.duration.toFixed(1) + " s)";
      window.cueLog.push(cue.text);
    }, onset * 1000));
    onset += cue.duration;
  }
}

let countdown = null;

function startCountdown(seconds) {
  clearInterval(countdown);
  const end = performance.now() + seconds * 1000;
  const tick = () => {
    const left = Math.max(0, (end - performance.now()) / 1000);
    $("countdown").textContent = "clench within " + left.toFixed(1) + " s to reject";
    if (left <= 0) clearInterval(countdown);
  };
  tick();
  countdown = setInterval(tick, 100);
}

function cursorAt(px) {
  let cursor = document.querySelector(".cursor");
  if (!cursor) { cursor = el("div", null, "cursor"); $("camera").appendChild(cursor); }
  cursor.style.left = (100 * px[0] / session.width) + "%";
  cursor.style.top = (100 * px[1] / session.height) + "%";
}

function onEvent(e, seq) {
  const kind = e.event;
  if (kind !== "frame") log("t=" + e.t.toFixed(2) + " " + kind + (e.stage ? " " + e.stage : ""));
  if (kind === "stage") {
    $("stage").textContent = {what: "WHAT: look at the object you want",
                              how: "HOW: imagine the movement of the skill you want",
                              where: "WHERE: steer the cursor"}[e.stage] || e.stage;
    $("options").replaceChildren();
    $("proposal").textContent = "";
    $("scores").replaceChildren();
    if (e.stage !== "what") stopStimuli();
    if (e.stage === "how") {
      for (const [mi, skill] of Object.entries(e.options || {})) {
        const option = el("div", null, "option");
        option.appendChild(el("span", MI_ICONS[mi] || mi, "icon"));
        option.appendChild(el("span", skill));
        $("options").appendChild(option);
      }
    }
    if (e.stage === "where" && e.start_px) cursorAt(e.start_px);
  } else if (kind === "decision") {
    if (e.stage === "what") stopStimuli();
    session.decisions++;
    document.body.dataset.decisions = session.decisions;
    $("proposal").textContent = "decoded: " + e.label;
    $("scores").replaceChildren(scoreBars(e.scores, e.label));
    startCountdown(session.confirmWindow / (session.speed || 1));
    shown(seq);
  } else if (kind === "proposal" && e.offered && e.ranking && e.ranking.length) {
    const best = e.ranking[0];
    $("proposal").textContent = "the robot proposes (learned): " + best.skill + "(" + best.object + ")";
    startCountdown(session.confirmWindow / (session.speed || 1));
  } else if (kind === "confirm") {
    clearInterval(countdown);
    $("countdown").textContent = "";
    $("proposal").textContent = (e.proposal || "") + (e.clench ? ": rejected" : ": accepted");
    shown(seq);
  } else if (kind === "where" && e.cursor_px) {
    cursorAt(e.cursor_px);
  } else if (kind === "skill_start") {
    stopStimuli();
    $("stage").textContent = "the robot moves";
    $("options").replaceChildren();
    $("banner").textContent = e.skill + "(" + e.object + ") - CLENCH TO STOP";
    $("banner").className = "banner stop";
  } else if (kind === "skill_end" || kind === "skill_failure") {
    $("banner").textContent = e.skill + (kind === "skill_end" ? " done" : " failed: " + e.reason);
    $("banner").className = "banner " + (kind === "skill_end" ? "ok" : "bad");
    const cursor = document.querySelector(".cursor");
    if (cursor) cursor.remove();
  } else if (kind === "task_end") {
    stopStimuli();
    $("stage").textContent = e.success ? "TASK DONE" : e.aborted ? "session aborted" : "task not done";
    $("stage").className = "banner " + (e.success ? "ok" : "bad");
    document.body.dataset.ended = e.success ? "success" : e.aborted ? "aborted" : "failure";
  }
}

// connect() runs once the display's refresh rate is measured (about 60 frames): a held session
// waits for a page that can render its stimuli from their onset.

// Shared by the console's pages: the access token, URLs, and small DOM helpers.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");

// A URL of this server, with the page's token when it has one.
function withToken(path) {
  if (!TOKEN) return path;
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function getJSON(path) {
  const response = await fetch(withToken(path));
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// An element with text (never parsed as HTML: records and events come from anyone).
function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

// Horizontal bars of {label: score}, best first; `chosen` is highlighted.
function scoreBars(scores, chosen) {
  const box = el("div", null, "bars");
  const entries = Object.entries(scores || {}).sort((a, b) => b[1] - a[1]);
  const values = entries.map(([, v]) => v);
  const lo = Math.min(0, ...values), hi = Math.max(...values, 1e-12);
  for (const [label, value] of entries) {
    const row = el("div", null, "bar" + (label === chosen ? " chosen" : ""));
    row.appendChild(el("span", label, "bar-label"));
    const track = el("span", null, "bar-track");
    const fill = el("span", null, "bar-fill");
    fill.style.width = (100 * (value - lo) / (hi - lo || 1)).toFixed(1) + "%";
    track.appendChild(fill);
    row.appendChild(track);
    row.appendChild(el("span", Number(value).toFixed(3), "bar-value"));
    box.appendChild(row);
  }
  return box;
}

// Links between the views keep the token.
function linkViews() {
  for (const a of document.querySelectorAll("a[data-view]")) a.href = withToken(a.dataset.view);
}

// Motor-imagery classes as the operator sees them (shapes every system font has; no emoji).
const MI_ICONS = {left_hand: "\u25C0 left hand", right_hand: "right hand \u25B6",
                  legs: "\u25BC feet", rest: "\u25CB rest"};
linkViews();

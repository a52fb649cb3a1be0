// The admin dashboard: signs in, then draws the overview and the forecast as inline SVG.
// No build step and no library: a bar chart and a line chart are a few lines each.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
let token = null;

function el(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function chart(container, values, labels, kind, width = 320) {
  const height = 140, left = 36, bottom = 18, top = 8;
  const max = Math.max(1, ...values);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const plotWidth = width - left - 4, plotHeight = height - top - bottom;
  const x = (i) => left + (i + 0.5) * (plotWidth / values.length);
  const y = (v) => top + plotHeight - (v / max) * plotHeight;
  svg.append(el("text", { x: 2, y: top + 8 }, formatNumber(max)), el("text", { x: 2, y: top + plotHeight }, "0"));
  if (kind === "bar") {
    const barWidth = Math.max(1, plotWidth / values.length - 2);
    values.forEach((v, i) => {
      const bar = el("rect", { class: "bar", x: x(i) - barWidth / 2, y: y(v), width: barWidth, height: top + plotHeight - y(v) });
      bar.append(el("title", {}, `${labels[i]}: ${v}`));
      svg.append(bar);
    });
  } else {
    svg.append(el("polyline", { class: "line", points: values.map((v, i) => `${x(i)},${y(v)}`).join(" ") }));
  }
  const step = Math.ceil(labels.length / 6);
  labels.forEach((label, i) => {
    if (i % step === 0) svg.append(el("text", { x: x(i), y: height - 4, "text-anchor": "middle" }, label));
  });
  container.replaceChildren(svg);
}

function formatNumber(value) {
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  return value >= 1000 ? `${(value / 1000).toFixed(1)}k` : `${Math.round(value * 100) / 100}`;
}

async function call(path, options = {}) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...options, headers });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.statusText);
  return body;
}

async function show() {
  const [overview, forecast] = await Promise.all([
    call("/analytics/overview?days=14"),
    call("/analytics/forecast?horizon=24h"),
  ]);
  const days = overview.days.map((d) => d.day.slice(5));
  for (const metric of ["active_users", "posts", "follows", "feed_reads", "impressions", "requests"]) {
    chart(document.getElementById(metric), overview.days.map((d) => d[metric]), days, "bar");
  }
  document.getElementById("forecast-method").textContent = `method: ${forecast.method}`;
  chart(
    document.getElementById("forecast"),
    forecast.hours.map((h) => h.requests_per_second),
    forecast.hours.map((h) => h.start.slice(11, 16)),
    "line",
    960,
  );
  document.getElementById("dashboard").hidden = false;
  document.body.dataset.ready = "true";
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("login");
  const status = document.getElementById("status");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      const session = await call("/sessions", {
        method: "POST",
        body: JSON.stringify({ handle: data.get("handle"), password: data.get("password") }),
      });
      token = session.token;
      status.textContent = `signed in as @${session.user.handle}`;
      form.hidden = true;
      await show();
    } catch (error) {
      status.textContent = error.message;
    }
  });
});

// DOM helpers, number formats, panels with a freshness line, toasts.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

const usd0 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
const usd2 = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
const usdBig = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", notation: "compact", maximumFractionDigits: 2 });
export const fmt = {
  big: (v) => v === null || v === undefined ? "—" : usdBig.format(v),
  usd: (v) => v === null || v === undefined ? "—" : (Math.abs(v) >= 1000 ? usd0 : usd2).format(v),
  price: (v) => v === null || v === undefined ? "—" : v >= 1 ? usd2.format(v) : `$${Number(v).toPrecision(4)}`,
  pct: (v, digits = 2) => v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`,
  signedPct: (v) => v === null || v === undefined ? "—" : `${v >= 0 ? "+" : ""}${(v * 100).toFixed(2)}%`,
  num: (v, digits = 2) => v === null || v === undefined ? "—" : Number(v).toFixed(digits),
  qty: (v) => v === null || v === undefined ? "—" : Number(v).toLocaleString("en-US", { maximumFractionDigits: 8 }),
  date: (v) => v ? new Date(v).toISOString().slice(0, 10) : "—",
  time: (v) => v ? new Date(v).toLocaleString() : "—",
};
export const tone = (v) => v === null || v === undefined ? "" : v >= 0 ? "up" : "down";

export function ago(ts) {
  const s = Math.max(0, (Date.now() - new Date(ts).getTime()) / 1000);
  if (s < 60) return `${Math.round(s)}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

const STALE_DATA_MS = 2 * 86400_000;
/** A titled panel; its footer says when it was fetched and how old the data is. */
export function panel(title, { cls = "span-6", asOf = null, data = null, badges = [], id } = {}, ...body) {
  const fresh = h("p", { class: "fresh", "data-fetched": new Date().toISOString(), "data-as-of": asOf ?? "" });
  if (data?.cachedAt) fresh.dataset.cachedAt = data.cachedAt;
  const el = h("section", { class: `panel ${cls}`, "aria-label": title, id },
    h("div", { class: "panel-head" }, h("h2", {}, title), h("div", { class: "badges" }, badges)),
    body, fresh);
  renderFreshness(fresh);
  return el;
}

export function renderFreshness(el) {
  const parts = [];
  if (el.dataset.cachedAt) parts.push(`offline copy from ${ago(el.dataset.cachedAt)}`);
  else parts.push(`updated ${ago(el.dataset.fetched)}`);
  if (el.dataset.asOf) parts.push(`data as of ${fmt.time(el.dataset.asOf)}`);
  el.textContent = parts.join(" · ");
  el.classList.toggle("stale", Boolean(el.dataset.cachedAt) ||
    (el.dataset.asOf && Date.now() - new Date(el.dataset.asOf).getTime() > STALE_DATA_MS));
}
setInterval(() => document.querySelectorAll(".fresh").forEach(renderFreshness), 5000);

export function toast(title, message = "", kind = "info", { ttl = 8000, action } = {}) {
  const box = document.getElementById("toasts");
  const el = h("div", { class: `toast ${kind}`, role: kind === "error" || kind === "critical" ? "alert" : "status" },
    h("div", {}, h("strong", {}, title), message ? h("p", {}, message) : null,
      action ? h("button", { type: "button", class: "ghost", onclick: () => { action.run(); el.remove() } }, action.label) : null),
    h("button", { type: "button", class: "x", "aria-label": "Dismiss", onclick: () => el.remove() }, "×"));
  box.append(el);
  while (box.children.length > 5) box.firstChild.remove();
  if (ttl) setTimeout(() => el.remove(), ttl);
  return el;
}

export const empty = (text) => h("p", { class: "empty" }, text);
export const reason = (text) => h("p", { class: "reason" }, text);

export function errorText(err) {
  if (err?.errors?.length) return err.errors.map((e) => `${e.row ? `row ${e.row}: ` : ""}${e.field ?? ""} ${e.message}`.trim()).join("; ");
  return err?.message ?? String(err);
}

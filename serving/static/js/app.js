// The dashboard shell: hash router, portfolio picker, live connection, alert toasts, ticker.
import { api, get, post, session, whenSignedOut } from "./api.js";
import { destroyAll } from "./charts.js";
import { Live } from "./live.js";
import { fmt, h, toast } from "./ui.js";
import * as alerts from "./views/alerts.js";
import * as auth from "./views/auth.js";
import * as insights from "./views/insights.js";
import * as market from "./views/market.js";
import * as overview from "./views/overview.js";
import * as portfolios from "./views/portfolios.js";
import * as reports from "./views/reports.js";
import * as risk from "./views/risk.js";

const VIEWS = { login: auth, overview, portfolios, risk, insights, market, asset: market.asset, alerts, reports };
const PICK = "crypto-risk.portfolio";
const $ = (id) => document.getElementById(id);
const main = $("main");

export const ctx = {
  portfolios: [],
  get portfolioId() {
    // The stored pick only counts while it is one of this user's portfolios (another user may log in).
    const picked = Number(localStorage.getItem(PICK));
    return this.portfolios.some((p) => p.id === picked) ? picked : this.portfolios[0]?.id ?? null;
  },
  get portfolio() { return this.portfolios.find((p) => p.id === this.portfolioId) ?? null },
  select(id) { localStorage.setItem(PICK, String(id)); fillPicker(); show() },
  async loadPortfolios() {
    this.portfolios = (await get("/portfolios?limit=500")).items;
    if (this.portfolioId) localStorage.setItem(PICK, String(this.portfolioId));
    fillPicker();
  },
  refreshAlertCount,
  navigate(hash) { if (location.hash === hash) show(); else location.hash = hash },
};

function fillPicker() {
  const sel = $("portfolio-select");
  sel.replaceChildren(...ctx.portfolios.map((p) => h("option", { value: p.id, selected: p.id === ctx.portfolioId }, p.name)));
  $("portfolio-pick").hidden = !session.signedIn || ctx.portfolios.length === 0;
}
$("portfolio-select").addEventListener("change", (e) => ctx.select(Number(e.target.value)));

let current = null;
let rendering = 0;
async function show() {
  const [name = "overview", ...params] = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const signedIn = session.signedIn;
  if (!signedIn && name !== "login") { location.hash = "#/login"; return }
  if (signedIn && name === "login") { location.hash = "#/overview"; return }
  const view = VIEWS[name] ?? overview;
  for (const a of document.querySelectorAll("nav a"))
    a.toggleAttribute("aria-current", a.getAttribute("href") === `#/${name}`) && a.setAttribute("aria-current", "page");
  const token = ++rendering;
  const scroll = current?.name === name ? scrollY : 0;
  try {
    const node = await view.render(ctx, params);
    if (token !== rendering) return;
    destroyAll();
    main.replaceChildren(node);
    current = { name, view };
    scrollTo(0, scroll);
    document.title = `${view.title ?? name} · crypto-risk`;
  } catch (err) {
    if (token !== rendering) return;
    main.replaceChildren(h("section", { class: "panel" }, h("h1", {}, "Could not load this view"), h("p", { class: "error" }, err.message)));
  }
}

// Re-render the current view after an event it cares about, but never under the user's typing.
let pending = null;
function refreshSoon() {
  clearTimeout(pending);
  pending = setTimeout(function again() {
    const a = document.activeElement;
    if (a && main.contains(a) && ["INPUT", "TEXTAREA", "SELECT"].includes(a.tagName)) { pending = setTimeout(again, 1500); return }
    show();
  }, 400);
}

async function onEvent(ev) {
  if (ev.type === "subscribed") { refreshTicker(); return }
  if (ev.channel === "price_updates") refreshTicker();
  if (ev.channel === "alerts") await alertToast(ev);
  if (ev.channel === "portfolio_updates" && ev.data?.type === "report")
    toast("Weekly report ready", ctx.portfolios.find((p) => p.id === ev.data.portfolio_id)?.name ?? "", "success",
      { action: { label: "Open reports", run: () => ctx.navigate("#/reports") } });
  else if (ev.channel === "portfolio_updates" && ev.data?.portfolio_id) await ctx.loadPortfolios().catch(() => {});
  if (current?.view.reactsTo?.(ev, ctx)) refreshSoon();
}

async function alertToast(ev) {
  refreshAlertCount();
  let alert = null;
  try { alert = (await get("/alerts?acknowledged=false&limit=20")).items.find((a) => a.id === ev.data?.alert_id) } catch { /* toast anyway */ }
  const title = alert?.title ?? ev.data?.title ?? "New alert";
  toast(title, alert?.message ?? "", alert?.severity ?? "warning", {
    ttl: 15000,
    action: alert ? { label: "Acknowledge", run: () => post(`/alerts/${alert.id}/ack`).then(refreshAlertCount).then(() => current?.view === alerts && show()) } : null,
  });
}

async function refreshAlertCount() {
  try {
    const { total } = await get("/alerts?acknowledged=false&limit=1");
    const el = $("alert-count");
    el.textContent = total; el.hidden = total === 0;
    el.setAttribute("aria-label", `${total} unacknowledged`);
  } catch { /* the count is a hint; the list view says why it failed */ }
}

const lastPrices = new Map();
let tickerTimer = null;
function refreshTicker() {
  clearTimeout(tickerTimer);
  tickerTimer = setTimeout(async () => {
    let data;
    try { data = await get("/market/overview") } catch { return }
    $("sim-badge").hidden = data.global?.source !== "simulated";
    const bar = $("ticker");
    bar.hidden = !data.top_assets.length;
    bar.replaceChildren(...data.top_assets.map((a) => {
      const el = h("a", { href: `#/asset/${a.symbol}`, "data-symbol": a.symbol, style: "text-decoration:none;color:inherit" },
        h("span", { class: "sym" }, a.symbol), fmt.price(a.price), " ",
        h("span", { class: a.price_change_pct_24h >= 0 ? "up" : "down" }, a.price_change_pct_24h === null ? "" : `${a.price_change_pct_24h.toFixed(2)}%`));
      if (lastPrices.has(a.symbol) && lastPrices.get(a.symbol) !== a.price) el.classList.add("flash");
      lastPrices.set(a.symbol, a.price);
      return el;
    }));
  }, 300);
}

const live = new Live({
  onEvent: (ev) => onEvent(ev).catch(() => {}),
  onState: (state) => {
    const el = $("conn");
    el.dataset.state = state;
    el.querySelector(".label").textContent = state;
    el.title = { live: "Receiving live updates", reconnecting: "Connection lost: reconnecting with backoff", offline: "Offline: showing the last data" }[state];
  },
});

async function signedIn() {
  $("nav").hidden = false; $("logout").hidden = false; $("conn").hidden = false;
  await ctx.loadPortfolios().catch(() => {});
  refreshAlertCount();
  live.start();
}

function signedOut() {
  live.stop();
  ctx.portfolios = [];
  for (const id of ["nav", "logout", "conn", "portfolio-pick", "ticker", "sim-badge"]) $(id).hidden = true;
  navigator.serviceWorker?.controller?.postMessage({ type: "clear-data" });
  location.hash = "#/login";
}

whenSignedOut(signedOut);
$("logout").addEventListener("click", async () => {
  const refresh_token = session.tokens?.refresh_token;
  session.clear();
  if (refresh_token) await api("/auth/logout", { method: "POST", json: { refresh_token } }).catch(() => {});
  signedOut();
});
auth.onSignedIn(async () => { await signedIn(); location.hash = "#/overview" });

addEventListener("hashchange", () => { show(); main.focus({ preventScroll: true }) });
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
if (session.signedIn) await signedIn();
await show();
window.__dashboardReady = true;

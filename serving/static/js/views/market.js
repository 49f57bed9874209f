// Market overview, trending coins, and per-asset pages with 1h/1d price charts.
import { get } from "../api.js";
import { lineChart } from "../charts.js";
import { empty, fmt, h, panel, reason } from "../ui.js";
import { metricsTable } from "./risk.js";

export const title = "Market";
export const reactsTo = (ev) => ev.channel === "price_updates";

const pctCell = (v) => h("td", { class: `num ${v >= 0 ? "up" : "down"}` }, v === null ? "—" : `${v >= 0 ? "+" : ""}${v.toFixed(2)}%`);
const sourceBadge = (source) => source ? h("span", { class: `badge ${source === "simulated" ? "sim" : ""}` }, source === "simulated" ? "simulated data" : source) : null;

export async function render() {
  const [overview, trending, assets] = await Promise.all([get("/market/overview"), get("/market/trending?limit=15"), get("/assets?limit=500")]);
  const g = overview.global;
  const figure = (label, value) => h("div", {}, h("div", { class: "sub" }, label), h("div", { class: "big", style: "font-size:1.3rem" }, value));
  return h("div", {}, h("h1", {}, "Market"), h("div", { class: "grid" },
    panel("Global market", { cls: "span-12", asOf: g?.time, data: overview, badges: [sourceBadge(g?.source)] },
      g ? h("div", { class: "grid" }, [
        figure("Total market cap", fmt.big(g.total_market_cap_usd)), figure("24h volume", fmt.big(g.total_volume_usd)),
        figure("BTC dominance", g.btc_dominance_pct === null ? "—" : `${g.btc_dominance_pct.toFixed(1)}%`),
        figure("Market cap 24h", g.market_cap_change_pct_24h === null ? "—" : `${g.market_cap_change_pct_24h.toFixed(2)}%`),
      ].map((f) => h("div", { class: "span-3" }, f))) : empty("No global market data yet.")),
    panel("Top assets", { cls: "span-8", asOf: overview.top_assets[0]?.time, data: overview },
      overview.top_assets.length ? h("div", { class: "table-wrap" }, h("table", { id: "top-assets" }, h("thead", {}, h("tr", {}, h("th", {}, "#"), h("th", {}, "Asset"), h("th", { class: "num" }, "Price"), h("th", { class: "num" }, "24h"), h("th", { class: "num" }, "Market cap"))),
        h("tbody", {}, overview.top_assets.map((a) => h("tr", {}, h("td", {}, a.market_cap_rank ?? ""), h("td", {}, h("a", { href: `#/asset/${a.symbol}` }, a.symbol), " ", h("span", { class: "sub" }, a.name)),
          h("td", { class: "num" }, fmt.price(a.price)), pctCell(a.price_change_pct_24h), h("td", { class: "num" }, fmt.big(a.market_cap))))))) : empty("No market snapshot yet.")),
    panel("Trending", { cls: "span-4", asOf: trending.items[0]?.time, data: trending },
      trending.items.length ? h("ol", { class: "list", id: "trending" }, trending.items.map((c) => h("li", {}, h("strong", {}, c.symbol), " ", c.name,
        h("div", { class: "meta" }, `rank ${c.market_cap_rank ?? "—"}${c.score !== null ? ` · score ${c.score}` : ""}`)))) : empty("No trending list yet.")),
    panel("All tracked assets", { cls: "span-12", data: assets },
      h("p", { class: "sub", id: "asset-index" }, assets.items.map((a, i) => [i ? " · " : "", h("a", { href: `#/asset/${a.symbol}`, title: a.name }, a.symbol)])))));
}

export const asset = {
  title: "Asset",
  reactsTo: (ev) => ev.channel === "price_updates",
  async render(ctx, [symbol, interval = "1d"]) {
    const sym = (symbol ?? "BTC").toUpperCase();
    const days = interval === "1h" ? 7 : 365;
    const start = new Date(Date.now() - days * 86400_000).toISOString();
    const [detail, candles, risk] = await Promise.all([get(`/assets/${encodeURIComponent(sym)}`),
      get(`/assets/${encodeURIComponent(sym)}/prices?interval=${interval}&limit=500&start=${encodeURIComponent(start)}`),
      get(`/assets/${encodeURIComponent(sym)}/risk`)]);
    const last = detail.latest_price, snap = detail.snapshot;
    const seg = h("div", { class: "seg", role: "group", "aria-label": "Candle interval" }, ["1h", "1d"].map((i) =>
      h("button", { type: "button", "aria-pressed": String(i === interval), onclick: () => ctx.navigate(`#/asset/${sym}/${i}`) }, i === "1h" ? "1h · 7 days" : "1d · 1 year")));
    const xFormat = interval === "1h" ? (v) => new Date(v).toISOString().slice(5, 16).replace("T", " ") : undefined;
    return h("div", {}, h("h1", {}, `${detail.name} (${sym})`), h("div", { class: "grid" },
      panel("Price", { cls: "span-4", asOf: last?.time, data: detail },
        h("div", { class: "big", id: "asset-price" }, fmt.price(last?.price)),
        snap ? h("div", { class: `sub ${snap.price_change_pct_24h >= 0 ? "up" : "down"}` }, snap.price_change_pct_24h === null ? "" : `${snap.price_change_pct_24h.toFixed(2)}% 24h`) : null,
        h("div", { class: "sub" }, `Market cap ${fmt.big(last?.market_cap ?? snap?.market_cap)} · rank ${detail.market_cap_rank ?? "—"}`),
        detail.is_stablecoin ? h("span", { class: "badge info" }, "stablecoin") : null),
      panel(`Price chart (${interval} candles, close)`, { cls: "span-8", asOf: candles.items.at(-1)?.time, data: candles, badges: [seg] },
        candles.items.length ? lineChart([{ label: `${sym} close`, points: candles.items.map((c) => [new Date(c.time).getTime(), c.close]) }],
          { label: `${sym} price`, yFormat: fmt.price, xFormat }) : empty("No prices in this range.")),
      panel("Asset risk", { cls: "span-12", asOf: risk.metrics?.time, data: risk }, risk.metrics ? metricsTable(risk.metrics) : reason(risk.reason))));
  },
};

// The morning view: value, 24h change, risk score, allocation, latest alerts and insights.
import { get, post } from "../api.js";
import { doughnut } from "../charts.js";
import { empty, fmt, h, panel, reason, tone } from "../ui.js";
import { insightItem, noPortfolio, optional, scoreComponents } from "./common.js";

export const title = "Overview";
export const reactsTo = (ev, ctx) => ev.channel === "price_updates" || ev.channel === "alerts" ||
  ev.data?.portfolio_id === undefined || ev.data?.portfolio_id === ctx.portfolioId;

async function change24h(positions) {
  // The 24h change of the current holdings from each asset's latest market snapshot.
  const priced = positions.filter((p) => p.value !== null);
  const details = await Promise.all(priced.map((p) => get(`/assets/${encodeURIComponent(p.symbol)}`).catch(() => null)));
  let before = 0, now = 0;
  const missing = [];
  priced.forEach((p, k) => {
    const pct = details[k]?.snapshot?.price_change_pct_24h;
    if (pct === null || pct === undefined) { missing.push(p.symbol); return }
    now += p.value; before += p.value / (1 + pct / 100);
  });
  return { abs: now - before, pct: before ? now / before - 1 : null, missing };
}

export async function render(ctx) {
  const id = ctx.portfolioId;
  if (!id) return h("div", { class: "grid" }, noPortfolio());
  const [summary, risk, alerts, insights] = await Promise.all([
    get(`/portfolios/${id}/summary`), optional(get(`/portfolios/${id}/risk`)),
    optional(get("/alerts?acknowledged=false&limit=5")), optional(get(`/portfolios/${id}/insights?limit=3`)),
  ]);
  const change = await change24h(summary.positions);
  const m = risk.metrics;

  const value = panel("Total value", { cls: "span-4", asOf: summary.as_of, data: summary },
    h("div", { class: "big", id: "total-value", "data-value": summary.value ?? "" }, fmt.usd(summary.value)),
    summary.pnl !== null ? h("div", { class: `sub ${tone(summary.pnl)}` }, `P&L ${fmt.usd(summary.pnl)} (${fmt.signedPct(summary.pnl_pct)})`) : null,
    summary.unpriced.length ? reason(`No price yet for ${summary.unpriced.join(", ")}`) : null);

  const day = panel("24h change", { cls: "span-4", data: summary },
    h("div", { class: `big ${tone(change.abs)}` }, change.pct === null ? "—" : fmt.usd(change.abs)),
    h("div", { class: `sub ${tone(change.pct)}` }, change.pct === null ? "no 24h market snapshot yet" : fmt.signedPct(change.pct)),
    change.missing.length ? reason(`Excludes ${change.missing.join(", ")} (no 24h snapshot)`) : null);

  const score = panel("Risk score", { cls: "span-4", asOf: m?.time, data: risk },
    risk.error ? reason(risk.error.message) : m?.risk_score !== null && m?.risk_score !== undefined
      ? [h("div", { class: "big", id: "risk-score" }, `${fmt.num(m.risk_score, 1)} / 10`),
         h("div", { class: "sub" }, `1 = lowest risk · ${m.window_days}-day window`), scoreComponents(m.score_components)]
      : [h("div", { class: "big", id: "risk-score" }, "—"), reason(m?.null_reasons?.risk_score ?? risk.reason ?? "not computed yet")]);

  const weights = summary.positions.filter((p) => p.weight !== null);
  const allocation = panel("Allocation", { cls: "span-6", asOf: summary.as_of, data: summary },
    weights.length ? doughnut(weights.map((p) => p.symbol), weights.map((p) => +(p.weight * 100).toFixed(2)), { label: "Allocation by value" })
      : empty("Add holdings to see the allocation."),
    weights.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Asset"), h("th", { class: "num" }, "Value"), h("th", { class: "num" }, "Weight"))),
      h("tbody", {}, weights.map((p) => h("tr", {}, h("td", {}, h("a", { href: `#/asset/${p.symbol}` }, p.symbol)), h("td", { class: "num" }, fmt.usd(p.value)), h("td", { class: "num" }, fmt.pct(p.weight, 1))))))) : null);

  const alertList = panel("Latest alerts", { cls: "span-6", data: alerts, badges: [h("a", { href: "#/alerts" }, "all")] },
    alerts.error ? reason(alerts.error.message) : alerts.items.length ? h("ul", { class: "list" }, alerts.items.map((a) =>
      h("li", {}, h("span", { class: `badge ${a.severity}` }, a.severity), " ", h("strong", {}, a.title),
        h("div", { class: "meta" }, fmt.time(a.triggered_at)), h("p", {}, a.message),
        h("button", { type: "button", class: "ghost", onclick: async (e) => { e.target.disabled = true; await post(`/alerts/${a.id}/ack`); ctx.refreshAlertCount(); e.target.closest("li").remove() } }, "Acknowledge"))))
      : empty("No open alerts."));

  const insightList = panel("Latest insights", { cls: "span-12", data: insights, badges: [h("a", { href: "#/insights" }, "all")] },
    insights.error ? reason(insights.error.message) : insights.items.length ? h("ul", { class: "list" }, insights.items.map(insightItem)) : empty("No insights yet: they follow the daily risk run."));

  return h("div", {}, h("h1", {}, ctx.portfolio?.name ?? "Overview"), h("div", { class: "grid" }, value, day, score, allocation, alertList, insightList));
}

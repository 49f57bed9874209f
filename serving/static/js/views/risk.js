// Risk analysis: metrics with method and window, rolling volatility, drawdown, correlation,
// contributions, VaR backtest, stress scenarios, risk history.
import { get } from "../api.js";
import { barChart, lineChart } from "../charts.js";
import { empty, fmt, h, panel, reason } from "../ui.js";
import { noPortfolio, optional } from "./common.js";

export const title = "Risk";
export const reactsTo = (ev, ctx) => ev.channel === "risk_metrics_updates" &&
  (ev.data?.portfolio_id === undefined || ev.data?.portfolio_id === ctx.portfolioId);

// [key, label, method, window ("W" = the metrics window), format]
export const METRICS = [
  ["volatility_30d", "Volatility 30d", "std of daily returns (ddof 1) × √365", "30d", fmt.pct],
  ["volatility_90d", "Volatility 90d", "std of daily returns (ddof 1) × √365", "90d", fmt.pct],
  ["volatility_365d", "Volatility 365d", "std of daily returns (ddof 1) × √365", "365d", fmt.pct],
  ["sharpe", "Sharpe ratio", "mean excess return / std, annualized (365)", "W", (v) => fmt.num(v)],
  ["sortino", "Sortino ratio", "mean excess return / downside deviation, annualized", "W", (v) => fmt.num(v)],
  ["max_drawdown", "Max drawdown", "worst peak-to-trough of value", "W", fmt.pct],
  ["current_drawdown", "Current drawdown", "value vs running peak", "W", fmt.pct],
  ["var_95", "VaR 95%", "historical, 1-day, loss fraction", "W", fmt.pct],
  ["var_99", "VaR 99%", "historical, 1-day, loss fraction", "W", fmt.pct],
  ["es_95", "Expected shortfall 95%", "historical mean loss beyond VaR, 1-day", "W", fmt.pct],
  ["es_99", "Expected shortfall 99%", "historical mean loss beyond VaR, 1-day", "W", fmt.pct],
  ["var_95_parametric", "VaR 95% parametric", "Gaussian, 1-day", "W", fmt.pct],
  ["var_95_cornish_fisher", "VaR 95% Cornish-Fisher", "skew/kurtosis-adjusted, 1-day", "W", fmt.pct],
  ["beta_btc", "Beta to BTC", "OLS slope on BTC daily returns", "W", (v) => fmt.num(v)],
  ["beta_market", "Beta to market", "OLS slope on the market-cap index", "W", (v) => fmt.num(v)],
  ["hhi", "Concentration (HHI)", "Σ weight², value weights on the as-of day", "as of", (v) => fmt.num(v, 3)],
  ["effective_holdings", "Effective holdings", "1 / HHI", "as of", (v) => fmt.num(v, 1)],
];

export function metricsTable(m) {
  return h("div", { class: "table-wrap" }, h("table", { id: "metrics" },
    h("thead", {}, h("tr", {}, h("th", {}, "Metric"), h("th", { class: "num" }, "Value"), h("th", {}, "Method"), h("th", {}, "Window"))),
    h("tbody", {}, METRICS.filter(([k]) => k in m).map(([k, label, method, win, f]) => h("tr", { "data-metric": k },
      h("td", {}, label), h("td", { class: "num" }, m[k] === null ? h("span", { class: "reason", title: m.null_reasons?.[k] ?? "" }, "n/a") : f(m[k])),
      h("td", { class: "sub" }, method, m[k] === null && m.null_reasons?.[k] ? h("div", { class: "reason" }, m.null_reasons[k]) : null),
      h("td", {}, win === "W" ? `${m.window_days}d` : win))))));
}

const t = (r) => new Date(r.time).getTime();
const series = (rows, key) => rows.filter((r) => r[key] !== null && r[key] !== undefined).map((r) => [t(r), r[key]]);

function heatColor(v) {
  if (v === null) return "#64748b";
  // -1 red .. 0 white .. +1 blue, light enough for black text.
  const a = Math.abs(v), mix = (c) => Math.round(255 - a * (255 - c));
  return v >= 0 ? `rgb(${mix(96)},${mix(165)},${mix(250)})` : `rgb(${mix(248)},${mix(113)},${mix(113)})`;
}

function heatmap(c) {
  return h("div", { class: "table-wrap" }, h("table", { class: "heat", id: "correlation", "aria-label": "Correlation matrix" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), c.symbols.map((s) => h("th", { scope: "col" }, s)))),
    h("tbody", {}, c.matrix.map((row, i) => h("tr", {}, h("th", { scope: "row" }, c.symbols[i]),
      row.map((v) => h("td", { style: `background:${heatColor(v)}`, title: v === null ? "undefined (too few overlapping returns)" : v.toFixed(3) }, v === null ? "n/a" : v.toFixed(2))))))));
}

function contributions(m) {
  const c = m.contributions ?? {};
  const rows = Object.entries(c.holdings ?? {});
  if (!rows.length) return [reason(c.null_reason ?? "not computed yet")];
  return [
    barChart(rows.map(([s]) => s), rows.map(([, v]) => v.volatility === null ? 0 : +(v.volatility * 100).toFixed(3)),
      { label: "Volatility contribution (percentage points)", yFormat: (v) => `${v}%`, horizontal: true }),
    h("div", { class: "table-wrap" }, h("table", { id: "contributions" }, h("thead", {}, h("tr", {}, h("th", {}, "Asset"), h("th", { class: "num" }, "Weight"),
      h("th", { class: "num" }, "Vol. contribution"), h("th", { class: "num" }, "Component VaR 95"), h("th", { class: "num" }, "Component VaR 99"))),
    h("tbody", {}, rows.map(([s, v]) => h("tr", {}, h("td", {}, s), h("td", { class: "num" }, fmt.pct(v.weight, 1)), h("td", { class: "num" }, fmt.pct(v.volatility)),
      h("td", { class: "num" }, fmt.pct(v.component_var_95)), h("td", { class: "num" }, fmt.pct(v.component_var_99))))))),
    c.null_reason ? reason(c.null_reason) : null,
  ];
}

function backtest(m) {
  const rows = Object.entries(m.backtest ?? {});
  if (!rows.length) return [reason("not computed yet")];
  return [h("div", { class: "table-wrap" }, h("table", { id: "backtest" }, h("thead", {}, h("tr", {}, h("th", {}, "Model"), h("th", { class: "num" }, "Test days"),
    h("th", { class: "num" }, "Breaches"), h("th", { class: "num" }, "Expected"), h("th", { class: "num" }, "Kupiec p"), h("th", {}, "Verdict"))),
  h("tbody", {}, rows.map(([k, b]) => h("tr", {}, h("td", {}, `${k.replace("var_", "VaR ")}% (${b.lookback_days}d lookback)`), h("td", { class: "num" }, b.days),
    h("td", { class: "num" }, b.breaches ?? "—"), h("td", { class: "num" }, b.expected_breaches === null ? "—" : fmt.num(b.expected_breaches, 1)),
    h("td", { class: "num" }, b.p_value === null || b.p_value === undefined ? "—" : fmt.num(b.p_value, 3)),
    h("td", {}, b.null_reason ? h("span", { class: "reason" }, b.null_reason) : b.model_rejected ? h("span", { class: "down" }, "rejected at 5%") : h("span", { class: "up" }, "not rejected"))))))),
  h("p", { class: "sub" }, "Kupiec proportion-of-failures test: the model is rejected when breaches are too many or too few.")];
}

function stress(m) {
  const rows = Object.entries(m.stress ?? {});
  if (!rows.length) return [reason("not computed yet")];
  const computed = rows.filter(([, s]) => s.portfolio_return !== null);
  return [
    computed.length ? barChart(computed.map(([k]) => k.replaceAll("_", " ")), computed.map(([, s]) => +(s.portfolio_return * 100).toFixed(2)),
      { label: "Portfolio return under scenario (%)", yFormat: (v) => `${v}%`, horizontal: true }) : null,
    h("div", { class: "table-wrap" }, h("table", { id: "stress" }, h("thead", {}, h("tr", {}, h("th", {}, "Scenario"), h("th", { class: "num" }, "Return"), h("th", { class: "num" }, "P&L"))),
      h("tbody", {}, rows.map(([k, s]) => h("tr", {}, h("td", {}, h("strong", {}, k.replaceAll("_", " ")), h("div", { class: "sub" }, s.description, s.start ? ` (${s.start} → ${s.end})` : "")),
        h("td", { class: `num ${s.portfolio_return < 0 ? "down" : "up"}` }, s.portfolio_return === null ? h("span", { class: "reason" }, s.null_reason) : fmt.signedPct(s.portfolio_return)),
        h("td", { class: "num" }, fmt.usd(s.pnl)))))))];
}

export async function render(ctx) {
  const id = ctx.portfolioId;
  if (!id) return h("div", { class: "grid" }, noPortfolio());
  const since = new Date(Date.now() - 400 * 86400_000).toISOString();
  const [risk, history, corr] = await Promise.all([get(`/portfolios/${id}/risk`),
    optional(get(`/portfolios/${id}/risk/history?limit=500&start=${encodeURIComponent(since)}`)), optional(get(`/portfolios/${id}/correlation`))]);
  const m = risk.metrics;
  if (!m) return h("div", {}, h("h1", {}, "Risk"), h("div", { class: "grid" }, panel("Risk metrics", { cls: "span-12", data: risk }, reason(risk.reason))));
  const rows = history.items ?? [];
  const asOf = m.time;
  const histPanel = (name, body) => panel(name, { cls: "span-6", asOf, data: history }, history.error ? reason(history.error.message) : rows.length < 2 ? empty("Needs at least two days of history.") : body());
  return h("div", {}, h("h1", {}, `Risk · ${ctx.portfolio?.name ?? ""}`), h("div", { class: "grid" },
    panel("Risk metrics", { cls: "span-6", asOf, data: risk, badges: [h("span", { class: "badge" }, `window ${m.window_days}d`), h("span", { class: "badge" }, "daily returns, 365/yr")] },
      metricsTable(m), m.null_reasons?.holdings ? reason(m.null_reasons.holdings) : null),
    histPanel("Rolling volatility (annualized)", () => lineChart([["30d", "volatility_30d"], ["90d", "volatility_90d"], ["365d", "volatility_365d"]].map(([l, k]) => ({ label: l, points: series(rows, k) })),
      { label: "Rolling volatility", yFormat: (v) => fmt.pct(v, 0) })),
    histPanel("Drawdown", () => lineChart([{ label: "Drawdown from peak", points: series(rows, "current_drawdown") }], { label: "Drawdown", yFormat: (v) => fmt.pct(v, 0), fill: true })),
    histPanel("Risk history", () => lineChart([{ label: "Risk score", points: series(rows, "risk_score") }, { label: "VaR 95% (×100)", points: series(rows, "var_95").map(([x, y]) => [x, y * 100]) }],
      { label: "Risk score and VaR over time", yFormat: (v) => fmt.num(v, 1) })),
    panel("Correlation (Pearson, daily returns)", { cls: "span-6", asOf: corr.correlation?.time, data: corr, badges: corr.correlation ? [h("span", { class: "badge" }, `window ${corr.correlation.window_days}d`)] : [] },
      corr.error ? reason(corr.error.message) : corr.correlation ? heatmap(corr.correlation) : reason(corr.reason)),
    panel("Risk contribution per holding", { cls: "span-6", asOf, data: risk }, contributions(m)),
    panel("VaR backtest", { cls: "span-6", asOf, data: risk }, backtest(m)),
    panel("Stress scenarios", { cls: "span-6", asOf, data: risk }, stress(m)),
    histPanel("Portfolio value", () => lineChart([{ label: "Value (USD)", points: series(rows, "value_usd") }], { label: "Portfolio value", yFormat: fmt.usd })),
  ));
}

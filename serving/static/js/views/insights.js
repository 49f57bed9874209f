// AI insights with the facts they cite.
import { get } from "../api.js";
import { empty, h, panel } from "../ui.js";
import { insightItem, noPortfolio } from "./common.js";

export const title = "Insights";
export const reactsTo = (ev, ctx) => ev.channel === "risk_metrics_updates" && ev.data?.portfolio_id === ctx.portfolioId;

const KINDS = ["weekly_analysis", "rebalancing", "market_sentiment", "risk_alert_explanation", "personalized_recommendation"];

export async function render(ctx, [kind]) {
  const id = ctx.portfolioId;
  if (!id) return h("div", { class: "grid" }, noPortfolio());
  const data = await get(`/portfolios/${id}/insights?limit=50${kind ? `&kind=${kind}` : ""}`);
  const filter = h("div", { class: "seg", role: "group", "aria-label": "Filter by kind" },
    [null, ...KINDS].map((k) => h("button", { type: "button", "aria-pressed": String((kind ?? null) === k),
      onclick: () => ctx.navigate(k ? `#/insights/${k}` : "#/insights") }, k ? k.replaceAll("_", " ") : "all")));
  return h("div", {}, h("h1", {}, "Insights"), h("div", { class: "grid" },
    panel("AI insights", { cls: "span-12", data, badges: [h("span", { class: "badge" }, "generated from your stored metrics; not financial advice")] },
      filter, data.items.length ? h("ul", { class: "list", id: "insights" }, data.items.map(insightItem)) : empty("No insights yet."))));
}

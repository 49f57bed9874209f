// Alerts: the list with acknowledge (toasts arrive through /ws, see app.js).
import { del, get, patch, post } from "../api.js";
import { empty, errorText, fmt, h, panel, toast } from "../ui.js";

export const title = "Alerts";
export const reactsTo = (ev) => ev.channel === "alerts";

// kind: [label, threshold hint, needs a symbol]
const KINDS = {
  var_breach: ["1-day VaR 95% above", "0.05 = 5%", false], drawdown: ["Drawdown worse than", "0.2 = 20%", false],
  concentration: ["Largest weight above", "0.5 = 50%", false], volatility_regime: ["30d volatility above", "0.8 = 80%", false],
  price_move: ["Price moves more than (24h)", "0.1 = 10%", true], price_above: ["Price above (USD)", "100000", true],
  price_below: ["Price below (USD)", "50000", true],
};

function rulesPanel(ctx, rules) {
  const error = h("p", { class: "error", role: "alert" });
  const kind = h("select", { id: "rule-kind", name: "kind" }, Object.entries(KINDS).map(([k, [label]]) => h("option", { value: k }, label)));
  const threshold = h("input", { id: "rule-threshold", name: "threshold", required: true, inputmode: "decimal", size: 10, placeholder: KINDS.var_breach[1] });
  const symbol = h("input", { id: "rule-symbol", name: "symbol", maxlength: 15, size: 8, placeholder: "BTC", disabled: true });
  kind.addEventListener("change", () => { threshold.placeholder = KINDS[kind.value][1]; symbol.disabled = !KINDS[kind.value][2] });
  const row = (r) => h("tr", {}, h("td", {}, KINDS[r.kind]?.[0] ?? r.kind), h("td", { class: "num" }, r.threshold),
    h("td", {}, r.symbol ?? ctx.portfolios.find((p) => p.id === r.portfolio_id)?.name ?? "—"),
    h("td", {}, r.is_triggered ? h("span", { class: "badge warning" }, "triggered") : "watching"),
    h("td", { class: "num" },
      h("button", { type: "button", class: "ghost", onclick: async () => { await patch(`/alerts/rules/${r.id}`, { is_active: !r.is_active }); ctx.navigate(location.hash) } }, r.is_active ? "Pause" : "Resume"), " ",
      h("button", { type: "button", class: "danger", "aria-label": `Delete rule ${r.id}`, onclick: async () => { await del(`/alerts/rules/${r.id}`); ctx.navigate(location.hash) } }, "Delete")));
  return panel("Alert rules", { cls: "span-12", data: rules },
    rules.items.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Rule"), h("th", { class: "num" }, "Threshold"), h("th", {}, "Watches"), h("th", {}, "State"), h("th", {}, ""))),
      h("tbody", {}, rules.items.map(row)))) : empty("No rules yet: alerts come from the rules you set here."),
    h("form", { class: "row", "aria-label": "New alert rule", onsubmit: async (e) => {
      e.preventDefault(); error.textContent = "";
      const body = { kind: kind.value, threshold: Number(threshold.value) };
      if (KINDS[kind.value][2]) body.symbol = symbol.value.trim().toUpperCase();
      if (ctx.portfolioId && (!KINDS[kind.value][2] || !body.symbol)) body.portfolio_id = ctx.portfolioId;
      try { await post("/alerts/rules", body); ctx.navigate(location.hash) } catch (err) { error.textContent = errorText(err) }
    } }, h("label", { for: "rule-kind" }, "When", kind), h("label", { for: "rule-threshold" }, "Threshold", threshold),
    h("label", { for: "rule-symbol" }, "Asset", symbol), h("button", { type: "submit" }, "Add rule")), error,
    h("p", { class: "sub" }, "Portfolio rules watch the selected portfolio; rules are evaluated after each risk run."));
}

export async function render(ctx, [which = "open"]) {
  const query = which === "all" ? "" : `&acknowledged=${which === "acknowledged"}`;
  const [data, rules] = await Promise.all([get(`/alerts?limit=100${query}`), get("/alerts/rules?limit=200")]);
  const seg = h("div", { class: "seg", role: "group", "aria-label": "Show" }, ["open", "acknowledged", "all"].map((k) =>
    h("button", { type: "button", "aria-pressed": String(k === which), onclick: () => ctx.navigate(`#/alerts/${k}`) }, k)));
  const item = (a) => h("li", { "data-alert": a.id },
    h("span", { class: `badge ${a.severity}` }, a.severity), " ", h("strong", {}, a.title),
    h("div", { class: "meta" }, `${a.kind.replaceAll("_", " ")} · ${fmt.time(a.triggered_at)}${a.acknowledged_at ? ` · acknowledged ${fmt.time(a.acknowledged_at)}` : ""}`),
    h("p", {}, a.message),
    a.acknowledged_at ? null : h("button", { type: "button", class: "ghost", "aria-label": `Acknowledge ${a.title}`, onclick: async (e) => {
      const li = e.target.closest("li");
      li.classList.add("pending"); e.target.disabled = true;
      try {
        await post(`/alerts/${a.id}/ack`);
        if (which === "open") li.remove(); else { e.target.remove(); li.classList.remove("pending") }
        ctx.refreshAlertCount();
        // Re-read the list: a render that fetched before this acknowledgement must not win.
        ctx.navigate(location.hash);
      } catch (err) { li.classList.remove("pending"); e.target.disabled = false; toast("Acknowledge refused", errorText(err), "error") }
    } }, "Acknowledge"));
  return h("div", {}, h("h1", {}, "Alerts"), h("div", { class: "grid" },
    panel("Alerts", { cls: "span-12", data, badges: [seg] },
      data.items.length ? h("ul", { class: "list", id: "alert-list" }, data.items.map(item)) : empty(which === "open" ? "No open alerts." : "No alerts.")),
    rulesPanel(ctx, rules)));
}

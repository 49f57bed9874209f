// Pieces several views share.
import { h } from "../ui.js";

export function noPortfolio() {
  return h("section", { class: "panel span-12" }, h("h1", {}, "No portfolio yet"),
    h("p", {}, "Create a portfolio and add holdings to see value and risk."),
    h("a", { class: "button", href: "#/portfolios" }, "Manage portfolios"));
}

export const optional = (promise) => promise.then((v) => v, (err) => ({ error: err }));

export function scoreComponents(components) {
  const rows = Object.entries(components ?? {});
  if (!rows.length) return null;
  const max = Math.max(...rows.map(([, c]) => c.points ?? 0), 1e-9);
  return h("div", { class: "bars", "aria-label": "Risk score components" }, rows.map(([name, c]) =>
    h("div", { class: "bar-row", title: `input ${c.input ?? "n/a"}, level ${c.level ?? "n/a"}` },
      h("span", {}, name.replaceAll("_", " ")),
      h("div", {}, h("div", { class: "bar", style: `width:${Math.max(2, 100 * (c.points ?? 0) / max)}%` })),
      h("span", { class: "num" }, c.points === null ? "n/a" : c.points.toFixed(2)))));
}

export function insightItem(i) {
  const facts = i.facts && Object.keys(i.facts).length ? i.facts : i.structured?.facts ?? i.structured?.cited_facts ?? null;
  const provider = i.provider === "offline" ? "offline rules engine" : `${i.provider}${i.model ? ` · ${i.model}` : ""}`;
  return h("li", { class: "insight" },
    h("strong", {}, i.title), h("div", { class: "meta" }, `${i.kind.replaceAll("_", " ")} · as of ${new Date(i.as_of).toISOString().slice(0, 10)} · ${provider}`,
      i.fallback_reason ? ` (fallback: ${i.fallback_reason})` : ""),
    h("p", {}, i.body),
    facts ? h("details", {}, h("summary", {}, "Facts cited"), factList(facts)) : null);
}

function factList(facts) {
  const entries = Array.isArray(facts) ? facts.map((f, n) => [n + 1, f]) : Object.entries(facts);
  return h("ul", { class: "facts" }, entries.map(([k, v]) =>
    h("li", {}, h("code", {}, String(k)), ": ", typeof v === "object" ? JSON.stringify(v) : String(v))));
}
